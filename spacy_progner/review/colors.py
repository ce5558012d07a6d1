"""Label colours as displaCy draws them: its own colour for a label it knows (ORG, LOC, ...), and for the
user's own types the other colours of displaCy's palette in spec order, rather than displaCy's one grey
for every unknown label, so six to twelve custom types stay apart on the page."""

from __future__ import annotations

from typing import Dict, List, Sequence

from spacy.displacy.render import DEFAULT_LABEL_COLORS

ALIASES = {"PER": "PERSON"}  # CoNLL-style names of labels displaCy knows under another name
EXTRA = ["#aa9cfc", "#feca74", "#bfeeb7", "#c887fb", "#ff8197", "#9cc9cc", "#ffeb80", "#f0d0ff", "#bfe1d9", "#e4e7d2"]


def label_colors(labels: Sequence[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for label in labels:
        known = DEFAULT_LABEL_COLORS.get(label) or DEFAULT_LABEL_COLORS.get(ALIASES.get(label, ""))
        if known:
            out[label] = known
    spare: List[str] = [c for c in dict.fromkeys([*EXTRA, *DEFAULT_LABEL_COLORS.values()]) if c not in out.values()]
    for label in labels:
        if label not in out:
            out[label] = spare.pop(0) if spare else "#ddd"
    return out
