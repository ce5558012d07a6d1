"""Parse, validate and deduplicate generated samples; every drop is counted by reason.

A generation answer is {"examples": [{"sentence", "entities": [{"text", "label"}]}]}. Each
kept entity carries `logprob`: the mean token log-prob of its text and label in the answer
(the model's own certainty, used by `correct`); None when the transport gave no log-probs.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence

from ..llm import Choice
from ..ner.align import find_occurrences
from ..ner.answers import AnswerError, check_item, compact, complete_items, parse_or_salvage
from ..ner.logprobs import entity_logprobs
from ..ner.shapes import Shapes, fits_shape, foreign_letters
from .common import Warnings, norm

MAX_SENTENCE_WORDS = 80
# A template slot left unfilled: "[Recipient's Name]", "[Insert product]", "{company}", "<date>". A
# sentence holding one is a form, not text of the domain, and its "entities" are slot names. Bracketed
# words only (1-8 words, a letter in them): "[1]" or "(AP)" stay.
PLACEHOLDER = re.compile(r"\[[^\[\]\d]*[A-Za-z][^\[\]]{0,60}\]|\{[A-Za-z_][^{}]{0,60}\}|<[A-Za-z][^<>]{0,60}>")


def placeholder(sentence: str) -> str:
    """The first unfilled template slot in the sentence, or "" (see PLACEHOLDER)."""
    for match in PLACEHOLDER.finditer(sentence):
        if len(match.group(0).split()) <= 8:
            return match.group(0)
    return ""


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
    scripts: FrozenSet[str] = frozenset(),
) -> List[Dict[str, Any]]:
    """The usable examples in one answer: sentence (its letters in the `scripts` of the spec's demos, if
    given) + entities (text found in the sentence, known type, shaped like the type's entities in
    `shapes`, e.g. not a lower-case common noun as PER)."""
    salvaged = drops["cut_off_items_kept"]
    try:  # an answer cut off at max_tokens keeps the examples it wrote in full (counted: cut_off_items_kept)
        data = parse_or_salvage(choice, where, lambda text: complete_items(text, "examples"), drops)
    except AnswerError as err:  # nothing whole in it: dropped
        drops["answer_truncated" if choice.truncated else "answer_not_json"] += 1
        warnings.add(str(err))
        return []
    if drops["cut_off_items_kept"] > salvaged:
        warnings.add(f"{where}: answer was cut off at max_tokens; its unfinished example dropped, the rest kept")
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        drops["answer_without_examples"] += 1
        warnings.add(f"{where}: answer has no 'examples' list: {compact(data)[:120]}")
        return []
    check = EntityCheck(labels, drops, warnings, fixes if fixes is not None else Counter(), shapes or {})
    out = []
    for i, (ex, ex_scores) in enumerate(zip(examples, entity_logprobs(choice, examples))):
        place = f"{where}, example {i}"
        if not isinstance(ex, dict) or not isinstance(ex.get("sentence"), str) or not ex["sentence"].strip():
            drops["example_without_sentence"] += 1
            continue
        sentence = " ".join(ex["sentence"].split())
        if len(sentence.split()) > MAX_SENTENCE_WORDS:
            drops["sentence_too_long"] += 1
            continue
        slot = placeholder(sentence)
        if slot:
            drops["template_placeholder"] += 1
            warnings.add(f"{place}: an unfilled template slot {slot!r}: {sentence[:80]!r}")
            continue
        foreign = foreign_letters(sentence, scripts)
        if foreign:
            drops["sentence_other_script"] += 1
            warnings.add(f"{place}: letters of a script the spec's demos do not use ({foreign!r}): {sentence[:80]!r}")
            continue
        if not isinstance(ex.get("entities"), list):
            drops["example_without_entities_list"] += 1
            warnings.add(f"{place}: no 'entities' list")
            continue
        out.append({"sentence": sentence, "entities": check.entities(sentence, ex["entities"], ex_scores, place)})
    return out


class EntityCheck:
    """The entity items of one generated example that can be kept; every drop counted by reason."""

    def __init__(self, labels: Sequence[str], drops: Counter, warnings: Warnings, fixes: Counter, shapes: Shapes):
        self.labels, self.known = list(labels), set(labels)
        self.drops, self.warnings, self.fixes, self.shapes = drops, warnings, fixes, shapes

    def entities(self, sentence: str, items: List[Any], scores: List[Optional[float]], place: str):
        out: List[Dict[str, Any]] = []
        seen: Dict[str, str] = {}
        for item, score in zip(items, scores):
            mention, reason = check_item(item, self.known)
            if mention is None:
                self.drops[ITEM_DROPS[reason]] += 1
                if reason == "unknown_label":
                    known = ", ".join(self.labels)
                    self.warnings.add(f"{place}: unknown type {item['label']!r} for {item['text']!r} (known: {known})")
                continue
            text = self.in_sentence(sentence, " ".join(mention[0].split()))
            label = mention[1]
            if text is None:
                continue
            misfit = fits_shape(text, label, self.shapes)
            if misfit:
                self.drops[f"entity_{misfit}"] += 1
                continue
            if text in seen:
                self.drops["entity_duplicate" if seen[text] == label else "entity_conflicting_type"] += 1
                continue
            seen[text] = label
            out.append({"text": text, "label": label, "logprob": score})
        return out

    def in_sentence(self, sentence: str, text: str) -> Optional[str]:
        """The entity as the sentence writes it (casing fixed and counted), or None if it is not there."""
        hits = find_occurrences(sentence, text)
        if not hits:
            self.drops["entity_not_in_sentence"] += 1
            return None
        exact = sentence[hits[0][0] : hits[0][1]]
        if exact != text:
            self.fixes["entity_case_fixed"] += 1
        return exact


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
