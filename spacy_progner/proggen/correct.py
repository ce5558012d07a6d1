"""Self-correction: re-check the least certain annotations with the type's guideline.

Uncertainty of an annotation = mean token log-prob of its text and label in the answer that
generated it (`logprob` on each entity). Annotations below `threshold` are selected, at most
`max_share` of each type's annotations (stratified by type), least certain first. An annotation a
second source disagrees with (`agree` false: a cross-check student, or the pool type of a required
name, see `poolcheck`) comes before every log-prob candidate. The model is
asked about one type per prompt, a few spans per prompt, each marked in its sentence, with the
type's guideline and labelled demos, and chooses:
  A correct; B wrong boundary (fix = the right span); C wrong type (fix = the type or "other");
  D not a named entity.
Applied: B replaces the span, C retypes (or drops if the type is not known), D drops. With `trust_spec`,
an annotation the spec's own guideline demos judge D under its type is dropped before selection.
"""

from __future__ import annotations

import copy
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import StepError
from ..llm import ChatModel, ChatRequest
from ..ner.align import find_occurrences
from ..ner.answers import AnswerError, closed_object, compact, parse_json_answer
from ..ner.domain import ANSWERS, OTHER, DomainSpec
from ..seeds import rng_for
from .common import Warnings
from .poolcheck import check_pool_types, trust_pool, trust_spec

SIGNALS = ("logprob", "agreement")
POOL_RULES = ("recheck", "trust_pool")


@dataclass
class CorrectSettings:
    threshold: float = -0.05  # select_by logprob: re-check annotations whose mean token log-prob is below it
    max_share: float = 0.2
    spans_per_prompt: int = 4
    temperature: float = 0.0
    seed: int = 0
    # what marks an annotation uncertain: "logprob" (needs a transport that gives log-probs) or
    # "agreement" (an independent second annotation disagrees: `agree` false on the entity; no log-probs
    # needed; least log-prob first where there are log-probs)
    select_by: str = "logprob"
    # with entity pools: what settles an annotation the pool type of a required name disagrees with (and a
    # required name the answer missed): "recheck" asks A/B/C/D first; "trust_pool" retypes it (adds the
    # missed name) without a call, and re-checks only a different boundary
    pool_rule: str = "recheck"
    # drop, without a call, an annotation whose exact text the spec's guideline demos judge D under its
    # type (`DomainSpec.not_entities`), before the uncertain ones are selected
    trust_spec: bool = False

    def __post_init__(self) -> None:
        if self.select_by not in SIGNALS:
            raise StepError(f"correct: select_by must be one of {', '.join(SIGNALS)}, got {self.select_by!r}")
        if self.pool_rule not in POOL_RULES:
            raise StepError(f"correct: pool_rule must be one of {', '.join(POOL_RULES)}, got {self.pool_rule!r}")
        if not 0 < self.max_share <= 1:
            raise StepError(f"correct: max_share must be in (0, 1], got {self.max_share}")


def uncertainty(ent: Dict[str, Any], s: CorrectSettings) -> Optional[Tuple[int, float]]:
    """Sort key of a candidate for re-checking (lower: re-checked sooner), or None if it is not one.
    A disagreement (`agree` false) comes first, least log-prob first; then, selecting by log-prob, an
    annotation below the threshold. With `select_by` agreement an unmarked annotation is no candidate."""
    lp = ent.get("logprob")
    agree = ent.get("agree")
    if agree is False:
        return (0, lp if lp is not None else 0.0)
    if s.select_by == "logprob" and lp is not None and lp < s.threshold:
        return (1, lp)
    return None


def select(samples: List[Dict[str, Any]], s: CorrectSettings) -> Tuple[List[Tuple[int, int]], Dict[str, Any]]:
    """(sample index, entity index) of the annotations to re-check, and selection counts.

    Per type, the least certain first, at most `max_share` of the type's annotations. Proposed spans (a
    second annotator's, which the first missed) have a budget of their own of the same size, so checking
    what was labelled never crowds out winning back what was missed."""
    pools: Dict[Tuple[str, bool], List[Tuple[Tuple[int, float], int, int]]] = defaultdict(list)
    totals: Counter = Counter()
    no_score = 0
    for i, sample in enumerate(samples):
        for j, ent in enumerate(sample["entities"]):
            proposed = bool(ent.get("proposed"))
            totals[ent["label"]] += 0 if proposed else 1
            signal = ent.get("agree") if s.select_by == "agreement" else ent.get("logprob", ent.get("agree"))
            no_score += signal is None
            score = uncertainty(ent, s)
            if score is not None:
                pools[(ent["label"], proposed)].append((score, i, j))
    chosen: List[Tuple[int, int]] = []
    per_type: Dict[str, Dict[str, int]] = {}
    for (label, proposed), cands in sorted(pools.items()):
        cap = int(math.floor(s.max_share * totals[label] + 1e-9))
        picked = sorted(cands)[:cap]
        key = f"{label} (proposed)" if proposed else label
        per_type[key] = {"annotations": totals[label], "below_threshold": len(cands), "selected": len(picked)}
        chosen.extend((i, j) for _, i, j in picked)
    stats = {
        "select_by": s.select_by,
        "annotations": sum(totals.values()),
        "proposed": sum(len(c) for (_, proposed), c in pools.items() if proposed),
        "without_score": no_score,
        "below_threshold": sum(len(c) for (_, proposed), c in pools.items() if not proposed),
        "selected": len(chosen),
        "per_type": per_type,
    }
    return sorted(chosen), stats


def _settled(entities: List[Dict[str, Any]], outcomes: Counter) -> List[Dict[str, Any]]:
    """The annotations after correction: dropped ones removed, proposed ones (a second annotator's spans
    the first missed) kept only if the check confirmed them, and duplicates a fix made removed (one
    text per sentence, or one span where annotations carry character offsets)."""
    kept, seen = [], set()
    for e in entities:
        if e.pop("drop", False):
            continue
        if e.get("proposed") and e.get("correction") not in ("A", "B", "C"):
            outcomes["proposed, not confirmed (dropped)"] += 1
            continue
        key = (e["start"], e["end"]) if "start" in e else e["text"]
        if key in seen:
            outcomes["duplicate after fix (dropped)"] += 1
            continue
        seen.add(key)
        kept.append(e)
    return kept


def nearest(hits: List[Tuple[int, int]], ent: Dict[str, Any]) -> Tuple[int, int]:
    """The occurrence of a boundary fix that belongs to the annotation: the one overlapping (else
    nearest to) its character offsets where it has them, else the first."""
    if "start" not in ent:
        return hits[0]
    start, end = ent["start"], ent["end"]
    return min(hits, key=lambda h: (not (h[0] < end and h[1] > start), abs(h[0] - start)))


def mark(sentence: str, span: str, start: Optional[int] = None) -> str:
    if start is not None and sentence[start : start + len(span)] == span:
        a, b = start, start + len(span)
    else:
        hits = find_occurrences(sentence, span)
        if not hits:
            return sentence
        a, b = hits[0]
    return f"{sentence[:a]}[{sentence[a:b]}]{sentence[b:]}"


def answer_schema(n: int) -> Dict[str, Any]:
    item = closed_object(
        {"span": {"type": "string"}, "choice": {"type": "string", "enum": list(ANSWERS)}, "fix": {"type": "string"}}
    )
    return closed_object({"answers": {"type": "array", "items": item, "minItems": n, "maxItems": n}})


Item = Tuple[str, str, Optional[int]]  # sentence, span text, the span's character offset (None: first hit)


def _items(items: List[Item]) -> str:
    return "\n".join(
        f'{k}. Sentence: {mark(sent, span, start)}\n   Span: "{span}"' for k, (sent, span, start) in enumerate(items, 1)
    )


def correction_request(spec: DomainSpec, label: str, pairs: List[Item], s: CorrectSettings, key: str) -> ChatRequest:
    t = spec.types[label]
    others = [lab for lab in spec.types if lab != label]
    system = (
        f"You check named-entity annotations in {spec.domain}. Each span, marked [like this] in its sentence, "
        f"was annotated as {label}.\n{label}: {t.definition}\nGuideline: {t.rule}\n"
        "For each span choose:\n"
        f"A: correct, the span is exactly a {label} entity\n"
        f"B: wrong boundary: it is a {label} entity but the span is too long or too short; fix = the right span\n"
        f"C: wrong type: it is an entity of another type; fix = one of {', '.join(others)} or {OTHER}\n"
        "D: not a named entity\n"
        'Use fix "" for A and D. Answer compact JSON on one line.'
    )
    demos = list(t.guideline_demos)
    rng_for(s.seed, spec.name, label, key).shuffle(demos)
    demo_answer = {"answers": [{"span": d.span, "choice": d.answer, "fix": d.fix} for d in demos]}
    return ChatRequest(
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": _items([(d.sentence, d.span, None) for d in demos])},
            {"role": "assistant", "content": compact(demo_answer)},
            {"role": "user", "content": _items(pairs)},
        ],
        temperature=s.temperature,
        seed=s.seed,
        max_tokens=24 + 40 * len(pairs),
        json_schema=answer_schema(len(pairs)),
    )


def correct(
    model: ChatModel,
    spec: DomainSpec,
    samples: List[Dict[str, Any]],
    s: CorrectSettings,
    pools: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The samples with the selected annotations re-checked and the answers applied; metrics; decisions.
    With the entity pools the samples were generated from, the pool types of their required names are
    checked first (`poolcheck`) and settled by `s.pool_rule`."""
    _check_types(samples, list(spec.types))
    out = copy.deepcopy(samples)
    tally = Tally()
    pool_check = check_pool_types(out, pools, list(spec.types)) if pools else None
    if pools and s.pool_rule == "trust_pool":
        trust_pool(out, tally.outcomes)
    if s.trust_spec:
        trust_spec(out, spec.not_entities(), tally.outcomes)
    chosen, selection = select(out, s)
    warnings = Warnings("correct")
    if selection["without_score"] == selection["annotations"] and selection["annotations"]:
        hint = "the transport gave none; try select_by agreement" if s.select_by == "logprob" else "run crosscheck"
        warnings.add(f"no annotation has a {s.select_by} score ({hint}): nothing selected for correction")
    requests, batches = _requests(spec, out, chosen, s)
    results = model.chat_many(requests, progress="correct") if requests else []
    for (label, chunk), result in zip(batches, results):
        answers = _answers(result, label, [out[i]["id"] for i, _ in chunk], warnings)
        if answers is None:
            tally.outcomes["unanswered (kept)"] += len(chunk)
            continue
        for (i, j), ans in zip(chunk, answers):
            tally.apply(out[i], out[i]["entities"][j], label, ans, list(spec.types))
    for sample in out:
        sample["entities"] = _settled(sample["entities"], tally.outcomes)
    metrics = {
        "settings": {
            "threshold": s.threshold,
            "max_share": s.max_share,
            "spans_per_prompt": s.spans_per_prompt,
            "select_by": s.select_by,
            "pool_rule": s.pool_rule if pools else None,
            "trust_spec": s.trust_spec,
        },
        "pool_check": pool_check,
        "selection": selection,
        "prompts": len(requests),
        **tally.to_dict(),
        "entities_before": sum(len(x["entities"]) for x in samples),
        "entities_after": sum(len(x["entities"]) for x in out),
        "warnings": warnings.to_dict(),
    }
    return {"samples": out, "metrics": metrics, "decisions": tally.decisions}


def _check_types(samples: List[Dict[str, Any]], labels: List[str]) -> None:
    if not samples:
        raise StepError("correct: no samples to correct (the corpus is empty)")
    for n, sample in enumerate(samples):
        for ent in sample.get("entities", []):
            if ent.get("label") not in labels:
                raise StepError(
                    f"correct: sample {n} ({sample.get('id')}): unknown type {ent.get('label')!r}; known: {labels}"
                )


def _requests(spec: DomainSpec, samples: List[Dict[str, Any]], chosen: List[Tuple[int, int]], s: CorrectSettings):
    """One prompt per type and `spans_per_prompt` chosen annotations, with the (type, indices) it asks about."""
    groups: Dict[str, List[Tuple[int, int]]] = defaultdict(list)
    for i, j in chosen:
        groups[samples[i]["entities"][j]["label"]].append((i, j))
    requests, batches = [], []
    for label, items in groups.items():
        for start in range(0, len(items), s.spans_per_prompt):
            chunk = items[start : start + s.spans_per_prompt]
            ents = [samples[i]["entities"][j] for i, j in chunk]
            pairs = [(samples[i]["sentence"], e["text"], e.get("start")) for (i, _), e in zip(chunk, ents)]
            requests.append(correction_request(spec, label, pairs, s, f"{start}"))
            batches.append((label, chunk))
    return requests, batches


def _answers(result, label: str, ids: List[Any], warnings: Warnings) -> Optional[List[Any]]:
    """The answer list of one correction prompt, or None (and a warning) when it is unusable."""
    where = f"correct: {label} prompt for samples {ids}"
    try:
        data = parse_json_answer(result.choices[0], where)
        answers = data.get("answers") if isinstance(data, dict) else None
        if not isinstance(answers, list) or len(answers) != len(ids):
            raise AnswerError(f"{where}: expected {len(ids)} answers, got {compact(data)[:120]}")
    except AnswerError as err:
        warnings.add(str(err))
        return None
    return answers


@dataclass
class Tally:
    """What the answers chose and what applying them did."""

    choices: Counter = field(default_factory=Counter)
    per_type: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    outcomes: Counter = field(default_factory=Counter)
    decisions: List[Dict[str, Any]] = field(default_factory=list)

    def apply(self, sample: Dict[str, Any], ent: Dict[str, Any], label: str, ans: Any, labels: List[str]) -> None:
        """A: keep; B: move to the fixed span (the occurrence at the annotation); C: retype or drop; D: drop."""
        choice = str(ans.get("choice", "")).upper() if isinstance(ans, dict) else ""
        fix = str(ans.get("fix") or "").strip() if isinstance(ans, dict) else ""
        if choice not in ANSWERS:
            self.outcomes["invalid choice (kept)"] += 1
            return
        self.choices[choice] += 1
        self.per_type[label][choice] += 1
        self.decisions.append({"id": sample["id"], "text": ent["text"], "label": label, "choice": choice, "fix": fix})
        ent["correction"] = choice
        if choice == "A":
            self.outcomes["kept"] += 1
        elif choice == "B":
            self.outcomes[_fix_boundary(sample["sentence"], ent, fix)] += 1
        elif choice == "C" and fix in labels and fix != label:
            ent["label"] = fix
            self.outcomes["retyped"] += 1
        elif choice == "C" and fix == label:
            self.outcomes["same type (kept)"] += 1
        else:
            ent["drop"] = True
            self.outcomes["dropped (other type)" if choice == "C" else "dropped (not an entity)"] += 1

    def to_dict(self) -> Dict[str, Any]:
        return {
            "choices": {k: self.choices.get(k, 0) for k in ANSWERS},
            "choices_per_type": {k: dict(v) for k, v in self.per_type.items()},
            "outcomes": dict(self.outcomes),
        }


def _fix_boundary(sentence: str, ent: Dict[str, Any], fix: str) -> str:
    hits = find_occurrences(sentence, fix) if fix else []
    if not hits:
        return "boundary fix not in sentence (kept)"
    a, b = nearest(hits, ent)
    ent["text"] = sentence[a:b]
    if "start" in ent:
        ent["start"], ent["end"] = a, b
    return "span replaced"
