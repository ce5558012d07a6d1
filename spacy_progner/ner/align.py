"""Map (text, label) mentions from a model answer onto token spans of a Doc.

Every occurrence of a mention is tagged (case-sensitive first, then
case-insensitive), only at word boundaries ("Rome" never matches inside
"Romeo"), snapped to tokens by `alignment_mode`, and overlaps are resolved by
score, then length, then position. Everything dropped is counted by reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc, Span

from ..errors import SettingsError

MODES = ("strict", "expand", "contract")


@dataclass
class AlignStats:
    mentions: int = 0
    spans: int = 0
    dropped: Counter = field(default_factory=Counter)

    def update(self, other: AlignStats) -> None:
        self.mentions += other.mentions
        self.spans += other.spans
        self.dropped.update(other.dropped)

    def to_dict(self) -> Dict[str, object]:
        return {"mentions": self.mentions, "spans": self.spans, "dropped": dict(self.dropped)}


def _pattern(text: str, flags: int) -> re.Pattern[str]:
    left = r"(?<!\w)" if text[:1].isalnum() else ""
    right = r"(?!\w)" if text[-1:].isalnum() else ""
    return re.compile(left + re.escape(text) + right, flags)


def find_occurrences(doc_text: str, text: str) -> List[Tuple[int, int]]:
    """Character offsets of `text` at word boundaries; case-insensitive only if there is no exact hit."""
    for flags in (0, re.IGNORECASE):
        hits = [(m.start(), m.end()) for m in _pattern(text, flags).finditer(doc_text)]
        if hits:
            return hits
    return []


def entity_offsets(sentence: str, entity: Dict[str, Any]) -> List[Tuple[int, int]]:
    """Where a sample's entity sits: at its character offsets where it has them, else at every occurrence
    of its text (as `align_mentions` and to-docbin place an annotation without offsets)."""
    if "start" in entity:
        return [(entity["start"], entity["end"])]
    return find_occurrences(sentence, entity["text"])


def overlaps(a: int, b: int, start: int, end: int) -> bool:
    """Whether the character ranges [a, b) and [start, end) share a character."""
    return a < end and start < b


def with_offsets(entities: Sequence[Dict[str, Any]]) -> bool:
    """Whether a sample's entities are placed by character offsets (all of them, or there are none), so an
    entity added to them must carry its offsets too."""
    return all("start" in e for e in entities)


def align_mentions(
    doc: Doc,
    mentions: Iterable[Union[Tuple[str, str], Tuple[str, str, float]]],
    labels: Optional[Sequence[str]] = None,
    alignment_mode: str = "strict",
) -> Tuple[List[Span], AlignStats]:
    """Non-overlapping labelled spans for the mentions, plus what was dropped and why."""
    if alignment_mode not in MODES:
        raise SettingsError(f"alignment_mode must be one of {MODES}, got {alignment_mode!r}")
    stats = AlignStats()
    known = set(labels) if labels is not None else None
    candidates: Dict[Tuple[int, int, str], Tuple[float, int]] = {}
    seen = set()
    for order, mention in enumerate(mentions):
        text, label = mention[0], mention[1]
        score = float(mention[2]) if len(mention) > 2 else 1.0  # type: ignore[misc]
        stats.mentions += 1
        text = text.strip()
        if (text, label) in seen:
            stats.dropped["duplicate"] += 1
            continue
        seen.add((text, label))
        if not text:
            stats.dropped["empty_text"] += 1
            continue
        if known is not None and label not in known:
            stats.dropped["unknown_label"] += 1
            continue
        hits = find_occurrences(doc.text, text)
        if not hits:
            stats.dropped["not_in_text"] += 1
            continue
        aligned = 0
        for start, end in hits:
            span = doc.char_span(start, end, label=label, alignment_mode=alignment_mode)
            if span is None or not span.text.strip():
                continue
            key = (span.start, span.end, label)
            if key not in candidates or candidates[key][0] < score:
                candidates[key] = (score, order)
            aligned += 1
        if not aligned:
            stats.dropped["misaligned"] += 1
    ranked = sorted(candidates.items(), key=lambda kv: (-kv[1][0], -(kv[0][1] - kv[0][0]), kv[0][0], kv[1][1]))
    taken = [False] * len(doc)
    spans: List[Span] = []
    for (start, end, label), _ in ranked:
        if any(taken[start:end]):
            stats.dropped["overlap"] += 1
            continue
        for i in range(start, end):
            taken[i] = True
        spans.append(Span(doc, start, end, label=label))
    spans.sort(key=lambda s: s.start)
    stats.spans = len(spans)
    return spans, stats
