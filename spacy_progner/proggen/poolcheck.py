"""What ProgGen already knows about a generated sentence: the pool names it was asked to hold, and their types.

The diversify-y and diversify-x+y variants build each answer around names drawn from typed, type-checked
pools, yet the annotations come from the same free-running answer and are often wrong ("Bill Gates" ORG).
A required name that occurs in its sentence carries its pool's type, so an annotation that types it
differently, covers it with another boundary, or misses it is the first to re-check. This module only
marks them (`agree` false on the annotation, or a `proposed` entity for a missed name, with `pool_type`);
`correct` decides what happens to them, by the rule its settings name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..ner.align import entity_offsets, find_occurrences
from .common import norm

Pools = Dict[str, Any]
Span = Tuple[int, int, str]


def pool_types(pools: Pools) -> Dict[str, str]:
    """norm(name) -> type for every name the pools (vanilla and every topic) list under one type only;
    a name listed under two types says nothing (generation skips those by default)."""
    seen: Dict[str, set] = {}
    for pool in [pools.get("vanilla") or {}, *(pools.get("latent") or {}).values()]:
        for label, names in pool.items():
            for name in names:
                seen.setdefault(norm(name), set()).add(label)
    return {name: next(iter(labels)) for name, labels in seen.items() if len(labels) == 1}


def check_sample(sample: Dict[str, Any], types: Dict[str, str], labels: List[str], counts: Counter) -> None:
    """Mark one sample's annotations against the required pool names that occur in its sentence."""
    for a, b, label in pool_names(sample, types, labels):
        counts["pool_names_in_sentence"] += 1
        _judge(sample, a, b, label, counts)


def pool_names(sample: Dict[str, Any], types: Dict[str, str], labels: List[str]) -> Iterator[Span]:
    """Each occurrence of a required pool name of a known type in the sample's sentence, with that type."""
    for name in (sample.get("requirements") or {}).get("entities") or []:
        label = types.get(norm(name))
        if label in labels:
            yield from ((a, b, label) for a, b in find_occurrences(sample["sentence"], name))


def _judge(sample: Dict[str, Any], a: int, b: int, label: str, counts: Counter) -> None:
    sentence = sample["sentence"]
    covering = [e for e in sample["entities"] if any(s < b and t > a for s, t in entity_offsets(sentence, e))]
    if not covering:
        text = sample["sentence"][a:b]
        sample["entities"].append(
            {"text": text, "label": label, "agree": False, "proposed": True, "pool_type": label, "pool": "missed"}
        )
        counts["missed"] += 1
        return
    for e in covering:
        if e.get("proposed"):
            continue
        verdict = _verdict(norm(e["text"]) == norm(sentence[a:b]), e["label"] == label)
        e["agree"] = verdict == "agree" and e.get("agree", True)
        e["pool_type"], e["pool"] = label, verdict
        counts[verdict] += 1


def _verdict(exact: bool, same_type: bool) -> str:
    return "agree" if exact and same_type else ("typed_differently" if exact else "other_boundary")


VERDICTS = ("agree", "typed_differently", "other_boundary", "missed")  # best first


def occurrence_verdict(sentence: str, spans: List[Span], a: int, b: int, label: str) -> str:
    """How one annotation, as (start, end, label) spans, treats one pool-name occurrence [a, b): the best
    verdict over the spans that overlap it ("missed" if none does)."""
    found = [
        _verdict(norm(sentence[s:t]) == norm(sentence[a:b]), lab == label) for s, t, lab in spans if s < b and t > a
    ]
    return min(found, key=VERDICTS.index) if found else "missed"


def answer_spans(sample: Dict[str, Any]) -> List[Span]:
    """The generating answer's own annotation (no entity another source proposed) as spans."""
    sentence = sample["sentence"]
    ents = [e for e in sample["entities"] if not e.get("proposed")]
    return [(s, t, e["label"]) for e in ents for s, t in entity_offsets(sentence, e)]


def three_way(samples: List[Dict[str, Any]], pools: Optional[Pools], labels: List[str]) -> Dict[str, Any]:
    """The generating answer, the pool types and a second annotation (each sample's `tagger` spans, from
    `distill.tagcheck`) on the required pool names found in their sentences: each annotation's verdict
    against the pool type, and the two verdicts side by side ("answer/tagger" counts)."""
    types = pool_types(pools or {})
    counts: Dict[str, Counter] = {"answer": Counter(), "tagger": Counter(), "pairs": Counter()}
    for sample in samples:
        sentence = sample["sentence"]
        tagger: List[Span] = [(x[0], x[1], x[2]) for x in sample.get("tagger") or []]
        for a, b, label in pool_names(sample, types, labels):
            mine = occurrence_verdict(sentence, answer_spans(sample), a, b, label)
            theirs = occurrence_verdict(sentence, tagger, a, b, label)
            counts["answer"][mine] += 1
            counts["tagger"][theirs] += 1
            counts["pairs"][f"{mine}/{theirs}"] += 1
    n = sum(counts["answer"].values())
    return {
        "pool_names_in_sentence": n,
        **{who: {v: counts[who][v] for v in VERDICTS} for who in ("answer", "tagger")},
        "answer_agreement": round(counts["answer"]["agree"] / n, 4) if n else None,
        "tagger_agreement": round(counts["tagger"]["agree"] / n, 4) if n else None,
        "pairs": dict(counts["pairs"].most_common()),
    }


def trust_pool(samples: List[Dict[str, Any]], outcomes: Counter) -> None:
    """The pool type settles what it can without a call: a required name typed differently takes its
    pool's type, a missed one is added. Another boundary stays marked for the A/B/C/D re-check."""
    for sample in samples:
        for e in sample["entities"]:
            if e.get("pool") == "missed" and e.get("proposed"):
                e.update(proposed=False, agree=True, correction="pool")
                outcomes["added from pool"] += 1
            elif e.get("pool") == "typed_differently":
                e.update(label=e["pool_type"], agree=True, correction="pool")
                outcomes["retyped to pool type"] += 1


def check_pool_types(samples: List[Dict[str, Any]], pools: Optional[Pools], labels: List[str]) -> Dict[str, Any]:
    """Mark every sample in place; counts of the required pool names found and how the answer typed them."""
    counts: Counter = Counter()
    types = pool_types(pools or {})
    for sample in samples:
        check_sample(sample, types, labels, counts)
    judged = counts["agree"] + counts["typed_differently"] + counts["other_boundary"]
    return {
        **{k: counts.get(k, 0) for k in ("pool_names_in_sentence", "agree", "typed_differently", "other_boundary")},
        "missed": counts.get("missed", 0),
        "agreement": round(counts["agree"] / judged, 4) if judged else None,
    }
