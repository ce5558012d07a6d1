"""A second, independent annotation of a generated corpus by the `reverse_ner` tagger.

ProgGen's sentences are annotated by the same free-running answer that wrote them; the tagger (demos
from a library built for the domain) annotates them again without seeing that answer. Where the two
disagree, one of them is wrong: those annotations (and the tagger's spans the answer missed) are what
`correct --select-by agreement` re-checks first, on every backend (no log-probs needed).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any, Dict, List, Optional

from spacy.language import Language

from .annotate import AnnotateError, AnnotateSettings, annotate
from .crosscheck import compare


def tagcheck(
    nlp: Language, samples: List[Dict[str, Any]], settings: Optional[AnnotateSettings] = None
) -> Dict[str, Any]:
    """The samples with `agree` on every entity, the tagger's missed spans `proposed` and its whole
    annotation as `tagger` ([start, end, label] spans); counts."""
    s = settings or AnnotateSettings()
    tagged = annotate(nlp, [(str(x.get("id", i)), x["sentence"]) for i, x in enumerate(samples)], s, "tagcheck")
    out = copy.deepcopy(samples)
    counts: Counter = Counter()
    for sample, other in zip(out, tagged["samples"]):
        spans = [(e["start"], e["end"], e["label"]) for e in other["entities"]]
        compare(sample, set(spans), counts)
        sample["tagger"] = [list(span) for span in spans]  # the tagger's own annotation, to count agreement later
    total = counts["agree"] + counts["disagree"]
    return {
        "samples": out,
        "metrics": {
            **{k: counts[k] for k in ("agree", "disagree", "proposed")},
            "agreement": round(counts["agree"] / total, 4) if total else None,
            "tagger": tagged["metrics"],
        },
    }


def take_tagger(samples: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The samples annotated by the tagger instead of the generating answer (its `tagger` spans, with
    character offsets): the tagger's demos come from real text of the domain, so its boundaries and types
    follow the domain's conventions where the generating answer follows its own."""
    out = []
    for sample in samples:
        if "tagger" not in sample:
            raise AnnotateError(f"sample {sample.get('id')!r} has no tagger annotation (run tagcheck first)")
        sentence = sample["sentence"]
        ents = [{"text": sentence[a:b], "label": label, "start": a, "end": b} for a, b, label in sample["tagger"]]
        out.append({**{k: v for k, v in sample.items() if k != "entities"}, "entities": ents})
    return out
