"""What ProgGen already knows about a generated sentence: the pool names it was asked to hold, and their types.

The diversify-y and diversify-x+y variants build each answer around names drawn from typed, type-checked
pools, yet the annotations come from the same free-running answer and are often wrong ("Bill Gates" ORG).
A required name that occurs in its sentence carries its pool's type, so an annotation that types it
differently, covers it with another boundary, or misses it is the first to re-check. This module only
marks them (`agree` false on the annotation, or a `proposed` entity for a missed name, with `pool_type`);
`correct` decides what happens to them, by the rule its settings name. The domain spec is known too: an
annotation its guideline demos judge no entity of that type (`DomainSpec.not_entities`) can go without a
call (`trust_spec`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ..errors import StepError
from ..ner.align import entity_offsets, find_occurrences, overlaps, with_offsets
from .common import norm

Pools = Dict[str, Any]
Span = Tuple[int, int, str]
Placed = Tuple[Dict[str, Any], int, int]  # an annotation and one place it stands


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
    """Mark one sample's annotations against the required pool names that occur in its sentence; one
    verdict counted per occurrence (the best of the annotations covering it)."""
    placed = _placed(sample)  # before any missed name is added: those are proposed, never the answer's
    for a, b, label in pool_names(sample, types, labels):
        counts["pool_names_in_sentence"] += 1
        counts[_judge(sample, placed, a, b, label)] += 1


def pool_names(sample: Dict[str, Any], types: Dict[str, str], labels: List[str]) -> Iterator[Span]:
    """Each occurrence of a required pool name of a known type in the sample's sentence, with that type."""
    for name in (sample.get("requirements") or {}).get("entities") or []:
        label = types.get(norm(name))
        if label in labels:
            yield from ((a, b, label) for a, b in find_occurrences(sample["sentence"], name))


def _judge(sample: Dict[str, Any], placed: List[Placed], a: int, b: int, label: str) -> str:
    """Mark the answer's annotations covering the occurrence [a, b) (or the name as missed); its verdict."""
    sentence = sample["sentence"]
    covering = [(e, s, t) for e, s, t in placed if overlaps(s, t, a, b)]
    verdict = occurrence_verdict(sentence, [(s, t, e["label"]) for e, s, t in covering], a, b, label)
    if verdict == "missed":
        _mark_missed(sample, a, b, label)
    for e, s, t in covering:
        mine = _verdict(norm(sentence[s:t]) == norm(sentence[a:b]), e["label"] == label)
        e["agree"] = mine == "agree" and e.get("agree", True)
        e["pool_type"], e["pool"] = label, mine
    return verdict


def _mark_missed(sample: Dict[str, Any], a: int, b: int, label: str) -> None:
    """A required name no annotation covers: the entity another source proposed exactly there (a tagger's
    span) is marked, else one is proposed with the pool's type (placed as the sample's entities are)."""
    sentence, ents = sample["sentence"], sample["entities"]
    for e in ents:
        if e.get("proposed") and (a, b) in entity_offsets(sentence, e):
            e.update(agree=False, pool_type=label, pool="missed")
            return
    offsets = {"start": a, "end": b} if with_offsets(ents) else {}
    missed = {"agree": False, "proposed": True, "pool_type": label, "pool": "missed"}
    ents.append({"text": sentence[a:b], "label": label, **offsets, **missed})


def _verdict(exact: bool, same_type: bool) -> str:
    return "agree" if exact and same_type else ("typed_differently" if exact else "other_boundary")


VERDICTS = ("agree", "typed_differently", "other_boundary", "missed")  # best first


def occurrence_verdict(sentence: str, spans: List[Span], a: int, b: int, label: str) -> str:
    """How one annotation, as (start, end, label) spans, treats one pool-name occurrence [a, b): the best
    verdict over the spans that overlap it ("missed" if none does)."""
    name = norm(sentence[a:b])
    found = [_verdict(norm(sentence[s:t]) == name, lab == label) for s, t, lab in spans if overlaps(s, t, a, b)]
    return min(found, key=VERDICTS.index) if found else "missed"


def _placed(sample: Dict[str, Any]) -> List[Placed]:
    """The generating answer's own annotations (no entity another source proposed), at each place each
    stands (see ner.align.entity_offsets)."""
    own = [e for e in sample["entities"] if not e.get("proposed")]
    return [(e, s, t) for e in own for s, t in entity_offsets(sample["sentence"], e)]


def answer_spans(sample: Dict[str, Any]) -> List[Span]:
    """The generating answer's own annotation as (start, end, label) spans."""
    return [(s, t, e["label"]) for e, s, t in _placed(sample)]


def three_way(samples: List[Dict[str, Any]], pools: Optional[Pools], labels: List[str]) -> Dict[str, Any]:
    """The generating answer, the pool types and a second annotation (each sample's `tagger` spans, from
    `distill.tagcheck`) on the required pool names found in their sentences: each annotation's verdict
    against the pool type, and the two verdicts side by side ("answer/tagger" counts)."""
    types = pool_types(pools or {})
    counts: Dict[str, Counter] = {"answer": Counter(), "tagger": Counter(), "pairs": Counter()}
    for sample in samples:
        if "tagger" not in sample:
            raise StepError(f"three_way: sample {sample.get('id')!r} has no tagger annotation (run tagcheck first)")
        sentence, mine = sample["sentence"], answer_spans(sample)
        tagger: List[Span] = [(x[0], x[1], x[2]) for x in sample["tagger"]]
        for a, b, label in pool_names(sample, types, labels):
            verdicts = (
                occurrence_verdict(sentence, mine, a, b, label),
                occurrence_verdict(sentence, tagger, a, b, label),
            )
            counts["answer"][verdicts[0]] += 1
            counts["tagger"][verdicts[1]] += 1
            counts["pairs"]["/".join(verdicts)] += 1
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
                e.update(label=e["pool_type"], proposed=False, agree=True, correction="pool")
                outcomes["added from pool"] += 1
            elif e.get("pool") == "typed_differently":
                e.update(label=e["pool_type"], agree=True, correction="pool")
                outcomes["retyped to pool type"] += 1


def trust_spec(samples: List[Dict[str, Any]], not_entities: Dict[str, Set[str]], outcomes: Counter) -> None:
    """Drop every annotation whose text the spec's guideline demos judge D under its type (the embedded
    model labels "restaurant" a Restaurant_Name ~100 times in 1,500 generated queries although the spec's
    own demo says D for exactly that)."""
    known = {label: {norm(t) for t in texts} for label, texts in not_entities.items()}
    for sample in samples:
        kept = [e for e in sample["entities"] if norm(e["text"]) not in known.get(e["label"], ())]
        if len(kept) < len(sample["entities"]):  # counted only when it happens: no zero outcome in the record
            outcomes["dropped (spec: not an entity)"] += len(sample["entities"]) - len(kept)
        sample["entities"] = kept


def check_pool_types(samples: List[Dict[str, Any]], pools: Optional[Pools], labels: List[str]) -> Dict[str, Any]:
    """Mark every sample in place; counts of the required pool names found and how the answer treated
    them (one verdict per occurrence: they add up to `pool_names_in_sentence`)."""
    counts: Counter = Counter()
    types = pool_types(pools or {})
    for sample in samples:
        check_sample(sample, types, labels, counts)
    n = counts["pool_names_in_sentence"]
    return {
        "pool_names_in_sentence": n,
        **{v: counts[v] for v in VERDICTS},
        "agreement": round(counts["agree"] / n, 4) if n else None,
    }
