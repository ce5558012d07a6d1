"""Self-correction: re-check the least certain annotations with the type's guideline.

Uncertainty of an annotation = mean token log-prob of its text and label in the answer that
generated it (`logprob` on each entity). Annotations below `threshold` are selected, at most
`max_share` of each type's annotations (stratified by type), least certain first. The model is
asked about one type per prompt, a few spans per prompt, each marked in its sentence, with the
type's guideline and labelled demos, and chooses:
  A correct; B wrong boundary (fix = the right span); C wrong type (fix = the type or "other");
  D not a named entity.
Applied: B replaces the span, C retypes (or drops if the type is not known), D drops.
"""

from __future__ import annotations

import copy
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from ..llm import ChatModel, ChatRequest
from ..ner.align import find_occurrences
from ..ner.answers import AnswerError, parse_json_answer
from ..ner.domain import ANSWERS, OTHER, DomainSpec
from .common import StepError, Warnings, compact, rng_for


@dataclass
class CorrectSettings:
    threshold: float = -0.05
    max_share: float = 0.2
    spans_per_prompt: int = 4
    temperature: float = 0.0
    seed: int = 0


def select(samples: List[Dict[str, Any]], s: CorrectSettings) -> Tuple[List[Tuple[int, int]], Dict[str, Any]]:
    """(sample index, entity index) of the annotations to re-check, and selection counts."""
    by_type: Dict[str, List[Tuple[float, int, int]]] = defaultdict(list)
    totals: Counter = Counter()
    no_score = 0
    for i, sample in enumerate(samples):
        for j, ent in enumerate(sample["entities"]):
            totals[ent["label"]] += 1
            lp = ent.get("logprob")
            if lp is None:
                no_score += 1
            elif lp < s.threshold:
                by_type[ent["label"]].append((lp, i, j))
    chosen: List[Tuple[int, int]] = []
    per_type = {}
    for label, cands in by_type.items():
        cap = int(math.floor(s.max_share * totals[label] + 1e-9))
        picked = sorted(cands)[:cap]
        per_type[label] = {"annotations": totals[label], "below_threshold": len(cands), "selected": len(picked)}
        chosen.extend((i, j) for _, i, j in picked)
    stats = {
        "annotations": sum(totals.values()),
        "without_logprob": no_score,
        "below_threshold": sum(len(c) for c in by_type.values()),
        "selected": len(chosen),
        "per_type": per_type,
    }
    return sorted(chosen), stats


def mark(sentence: str, span: str) -> str:
    hits = find_occurrences(sentence, span)
    if not hits:
        return sentence
    a, b = hits[0]
    return f"{sentence[:a]}[{sentence[a:b]}]{sentence[b:]}"


def answer_schema(n: int) -> Dict[str, Any]:
    item = {
        "type": "object",
        "properties": {
            "span": {"type": "string"},
            "choice": {"type": "string", "enum": list(ANSWERS)},
            "fix": {"type": "string"},
        },
        "required": ["span", "choice", "fix"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"answers": {"type": "array", "items": item, "minItems": n, "maxItems": n}},
        "required": ["answers"],
        "additionalProperties": False,
    }


def _items(pairs: List[Tuple[str, str]]) -> str:
    return "\n".join(f'{k}. Sentence: {mark(sent, span)}\n   Span: "{span}"' for k, (sent, span) in enumerate(pairs, 1))


def correction_request(
    spec: DomainSpec, label: str, pairs: List[Tuple[str, str]], s: CorrectSettings, key: str
) -> ChatRequest:
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
            {"role": "user", "content": _items([(d.sentence, d.span) for d in demos])},
            {"role": "assistant", "content": compact(demo_answer)},
            {"role": "user", "content": _items(pairs)},
        ],
        temperature=s.temperature,
        seed=s.seed,
        max_tokens=24 + 40 * len(pairs),
        json_schema=answer_schema(len(pairs)),
    )


def correct(model: ChatModel, spec: DomainSpec, samples: List[Dict[str, Any]], s: CorrectSettings) -> Dict[str, Any]:
    if not samples:
        raise StepError("correct: no samples to correct (the generated corpus is empty)")
    labels = list(spec.types)
    for n, sample in enumerate(samples):
        for ent in sample.get("entities", []):
            if ent.get("label") not in labels:
                raise StepError(
                    f"correct: sample {n} ({sample.get('id')}): unknown type {ent.get('label')!r}; known: {labels}"
                )
    chosen, selection = select(samples, s)
    warnings = Warnings("correct")
    if selection["without_logprob"] == selection["annotations"] and selection["annotations"]:
        warnings.add("no annotation has a log-prob (the transport gave none): nothing selected for correction")
    groups: Dict[str, List[Tuple[int, int]]] = defaultdict(list)
    for i, j in chosen:
        groups[samples[i]["entities"][j]["label"]].append((i, j))
    requests, batches = [], []
    for label, items in groups.items():
        for start in range(0, len(items), s.spans_per_prompt):
            chunk = items[start : start + s.spans_per_prompt]
            pairs = [(samples[i]["sentence"], samples[i]["entities"][j]["text"]) for i, j in chunk]
            requests.append(correction_request(spec, label, pairs, s, f"{start}"))
            batches.append((label, chunk))
    results = model.chat_many(requests, progress="correct") if requests else []
    out = copy.deepcopy(samples)
    choices: Counter = Counter()
    per_type: Dict[str, Counter] = defaultdict(Counter)
    outcomes: Counter = Counter()
    decisions: List[Dict[str, Any]] = []
    for (label, chunk), result in zip(batches, results):
        where = f"correct: {label} prompt for samples {[out[i]['id'] for i, _ in chunk]}"
        try:
            data = parse_json_answer(result.choices[0], where)
            answers = data.get("answers") if isinstance(data, dict) else None
            if not isinstance(answers, list) or len(answers) != len(chunk):
                raise AnswerError(f"{where}: expected {len(chunk)} answers, got {compact(data)[:120]}")
        except AnswerError as err:
            warnings.add(str(err))
            outcomes["unanswered (kept)"] += len(chunk)
            continue
        for (i, j), ans in zip(chunk, answers):
            ent = out[i]["entities"][j]
            choice = str(ans.get("choice", "")).upper() if isinstance(ans, dict) else ""
            fix = str(ans.get("fix") or "").strip() if isinstance(ans, dict) else ""
            if choice not in ANSWERS:
                outcomes["invalid choice (kept)"] += 1
                continue
            choices[choice] += 1
            per_type[label][choice] += 1
            decisions.append({"id": out[i]["id"], "text": ent["text"], "label": label, "choice": choice, "fix": fix})
            ent["correction"] = choice
            if choice == "A":
                outcomes["kept"] += 1
            elif choice == "B":
                hits = find_occurrences(out[i]["sentence"], fix) if fix else []
                if not hits:
                    outcomes["boundary fix not in sentence (kept)"] += 1
                else:
                    a, b = hits[0]
                    ent["text"] = out[i]["sentence"][a:b]
                    outcomes["span replaced"] += 1
            elif choice == "C":
                if fix in labels and fix != label:
                    ent["label"] = fix
                    outcomes["retyped"] += 1
                elif fix == label:
                    outcomes["same type (kept)"] += 1
                else:
                    ent["drop"] = True
                    outcomes["dropped (other type)"] += 1
            else:
                ent["drop"] = True
                outcomes["dropped (not an entity)"] += 1
    for sample in out:
        sample["entities"] = [e for e in sample["entities"] if not e.pop("drop", False)]
        seen = set()
        kept = []
        for e in sample["entities"]:  # a fix may make two annotations the same
            if e["text"] not in seen:
                seen.add(e["text"])
                kept.append(e)
            else:
                outcomes["duplicate after fix (dropped)"] += 1
        sample["entities"] = kept
    metrics = {
        "settings": {"threshold": s.threshold, "max_share": s.max_share, "spans_per_prompt": s.spans_per_prompt},
        "selection": selection,
        "prompts": len(requests),
        "choices": {k: choices.get(k, 0) for k in ANSWERS},
        "choices_per_type": {k: dict(v) for k, v in per_type.items()},
        "outcomes": dict(outcomes),
        "entities_before": sum(len(x["entities"]) for x in samples),
        "entities_after": sum(len(x["entities"]) for x in out),
        "warnings": warnings.to_dict(),
    }
    return {"samples": out, "metrics": metrics, "decisions": decisions}
