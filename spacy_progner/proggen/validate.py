"""Parse, validate and deduplicate generated samples; every drop is counted by reason.

A generation answer is {"examples": [{"sentence", "entities": [{"text", "label"}]}]}. Each
kept entity carries `logprob`: the mean token log-prob of its text and label in the answer
(the model's own certainty, used by `correct`); None when the transport gave no log-probs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ..llm import Choice
from ..ner.align import find_occurrences
from ..ner.answers import AnswerError, check_item, compact, parse_json_answer
from ..ner.logprobs import entity_logprobs
from ..ner.shapes import Shapes, fits_shape
from .common import Warnings, norm

MAX_SENTENCE_WORDS = 80
# check_item's reasons as the generate metrics name them (entity_* beside the sentence-level drops)
ITEM_DROPS = {
    "malformed_item": "entity_malformed",
    "empty_text": "entity_empty",
    "unknown_label": "entity_unknown_type",
}


def parse_generation(
    choice: Choice,
    labels: Sequence[str],
    where: str,
    drops: Counter,
    warnings: Warnings,
    fixes: Optional[Counter] = None,
    shapes: Optional[Shapes] = None,
) -> List[Dict[str, Any]]:
    """The usable examples in one answer: sentence + entities (text found in the sentence, known type,
    shaped like the type's entities in `shapes`, e.g. not a lower-case common noun as PER)."""
    try:
        data = parse_json_answer(choice, where)
    except AnswerError as err:
        drops["answer_truncated" if choice.truncated else "answer_not_json"] += 1
        warnings.add(str(err))
        return []
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        drops["answer_without_examples"] += 1
        warnings.add(f"{where}: answer has no 'examples' list: {compact(data)[:120]}")
        return []
    scores = entity_logprobs(choice, examples)
    known = set(labels)
    out = []
    for i, (ex, ex_scores) in enumerate(zip(examples, scores)):
        place = f"{where}, example {i}"
        if not isinstance(ex, dict) or not isinstance(ex.get("sentence"), str) or not ex["sentence"].strip():
            drops["example_without_sentence"] += 1
            continue
        sentence = " ".join(ex["sentence"].split())
        if len(sentence.split()) > MAX_SENTENCE_WORDS:
            drops["sentence_too_long"] += 1
            continue
        items = ex.get("entities")
        if not isinstance(items, list):
            drops["example_without_entities_list"] += 1
            warnings.add(f"{place}: no 'entities' list")
            continue
        entities: List[Dict[str, Any]] = []
        seen: Dict[str, str] = {}
        for item, score in zip(items, ex_scores):
            mention, reason = check_item(item, known)
            if mention is None:
                drops[ITEM_DROPS[reason]] += 1
                if reason == "unknown_label":
                    warnings.add(
                        f"{place}: unknown type {item['label']!r} for {item['text']!r} (known: {', '.join(labels)})"
                    )
                continue
            text, label = " ".join(mention[0].split()), mention[1]
            hits = find_occurrences(sentence, text)
            if not hits:
                drops["entity_not_in_sentence"] += 1
                continue
            exact = sentence[hits[0][0] : hits[0][1]]
            if exact != text:
                if fixes is not None:
                    fixes["entity_case_fixed"] += 1
                text = exact
            misfit = fits_shape(text, label, shapes or {})
            if misfit:
                drops[f"entity_{misfit}"] += 1
                continue
            if text in seen:
                drops["entity_duplicate" if seen[text] == label else "entity_conflicting_type"] += 1
                continue
            seen[text] = label
            entities.append({"text": text, "label": label, "logprob": score})
        out.append({"sentence": sentence, "entities": entities})
    return out


class Deduper:
    """Drops sentences seen before (case/whitespace-insensitive) and copies of the demos."""

    def __init__(self, demos: Iterable[str] = ()):
        self.demos = {norm(s) for s in demos}
        self.seen: set = set()

    def keep(self, sentence: str, drops: Counter) -> bool:
        key = norm(sentence)
        if key in self.demos:
            drops["sentence_copies_a_demo"] += 1
            return False
        if key in self.seen:
            drops["sentence_duplicate"] += 1
            return False
        self.seen.add(key)
        return True
