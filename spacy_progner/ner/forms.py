"""The forms a tagging answer can take, each with its schema, its demo rendering and its reader.

- `mentions`: {"entities": [{"text": "Anna Berg", "label": "PER"}, ...]}: one object per mention.
- `pairs`:    {"entities": [["Anna Berg", "PER"], ...]}: one [text, type] pair per mention. The same
  reading order as `mentions` (a mention, then its type) without the "text"/"label" keys and braces:
  about 4 fewer answer tokens a mention, and as many fewer prompt tokens in every demo.
- `by_type`:  {"PER": ["Anna Berg"], "LOC": ["Oslo"]}: one list of mentions per type that occurs ({} for
  none). About half the answer tokens of `mentions`, and as many fewer prompt tokens in every demo; on a
  CPU, generated tokens are the dearest part of a call.

A cut-off answer keeps its complete items in every form.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ..llm.protocol import Choice
from .answers import (
    AnswerError,
    Mention,
    check_item,
    closed_object,
    compact,
    complete_items,
    complete_pairs,
    entity_answer,
    entity_list_schema,
    list_answer,
    parse_entities,
    parse_or_salvage,
)

ANSWER_FORMS = ("mentions", "pairs", "by_type")
_LIST_START = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*\[')


def by_type_schema(labels: Iterable[str], max_items: Optional[int] = None) -> Dict[str, Any]:
    """An object whose keys are types (each optional, none other allowed) and values lists of mentions."""
    mentions: Dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    if max_items is not None:
        mentions["maxItems"] = max_items
    return {"type": "object", "properties": {lab: mentions for lab in labels}, "additionalProperties": False}


def pair_list_schema(labels: Iterable[str], max_items: Optional[int] = None) -> Dict[str, Any]:
    """A list of [text, type] pairs (a tuple schema: llama.cpp's grammar holds each pair to two items)."""
    pair = {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "string", "enum": list(labels)}],
        "minItems": 2,
        "maxItems": 2,
    }
    schema: Dict[str, Any] = {"type": "array", "items": pair}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def answer_schema(labels: Sequence[str], form: str, max_items: Optional[int] = None) -> Dict[str, Any]:
    """A whole answer: the by_type object, or {"entities": <the form's list>}."""
    value = value_schema(labels, form, max_items)
    if form == "by_type":
        return value
    return closed_object({"entities": value})


def value_schema(labels: Sequence[str], form: str, max_items: Optional[int] = None) -> Dict[str, Any]:
    """One text's answer inside a grouped answer ({"1": ..., "2": ...}): the by_type object, or the list
    of mention objects or pairs."""
    if form == "by_type":
        return by_type_schema(labels, max_items)
    return pair_list_schema(labels, max_items) if form == "pairs" else entity_list_schema(labels, max_items)


def as_value(entities: Sequence[Mention], form: str) -> Any:
    """The mentions as one text's answer value in `form` (see `value_schema`)."""
    if form == "by_type":
        grouped: Dict[str, List[str]] = {}
        for text, label in entities:
            grouped.setdefault(label, []).append(text)
        return grouped
    if form == "pairs":
        return [[t, lab] for t, lab in entities]
    return [{"text": t, "label": lab} for t, lab in entities]


def as_items(pairs: List[Any]) -> List[Any]:
    """Pairs as mention objects, so one reader (`check_item`) checks every form; anything that is not a
    pair is passed on as it is and counted there as malformed."""
    return [{"text": p[0], "label": p[1]} if isinstance(p, list) and len(p) == 2 else p for p in pairs]


def render(entities: Sequence[Mention], form: str) -> str:
    """A demo answer in `form`, as compact JSON (the model copies the style)."""
    value = as_value(entities, form)
    return compact(value if form == "by_type" else {"entities": value})


def read_value(value: Any, labels: Iterable[str], where: str, form: str, drops: Counter) -> List[Mention]:
    """The mentions of one text's answer value in `form` (an AnswerError if it has the wrong shape)."""
    if form == "by_type":
        return by_type_mentions(value, labels, where, drops)
    if not isinstance(value, list):
        raise AnswerError(f"{where}: expected a list of mentions, got {json.dumps(value)[:120]}")
    return parse_entities({"entities": as_items(value) if form == "pairs" else value}, labels, where, drops)


def complete_by_type(text: str) -> Optional[Dict[str, list]]:
    """The type lists a cut-off by_type answer wrote in full, and the complete mentions of the list it
    was writing; None if there is no mention at all."""
    data: Dict[str, list] = {k: v for k, v in complete_pairs(text).items() if isinstance(v, list)}
    starts = list(_LIST_START.finditer(text))
    if starts and starts[-1].group(1) not in data:
        last = starts[-1]
        partial = complete_items(text[last.start() :], last.group(1))
        if partial:
            data.update(partial)
    return data if any(data.values()) else None


def by_type_answer(
    choice: Choice, labels: Iterable[str], where: str, drops: Optional[Counter] = None, lenient: bool = False
) -> List[Mention]:
    """The mentions of a by_type answer; unknown types, non-string and empty mentions dropped and counted."""
    drops = drops if drops is not None else Counter()
    data = parse_or_salvage(choice, where, complete_by_type, drops, lenient)
    return by_type_mentions(data, labels, where, drops)


def by_type_mentions(data: Any, labels: Iterable[str], where: str, drops: Counter) -> List[Mention]:
    if not isinstance(data, dict):
        raise AnswerError(f"{where}: answer is not an object from type to mentions: {json.dumps(data)[:120]}")
    known, out = set(labels), []
    for label, items in data.items():
        for item in items if isinstance(items, list) else [items]:
            mention, reason = check_item({"text": item, "label": label}, known)
            if mention is None:
                drops[reason] += 1
            else:
                out.append(mention)
    return out


def read_answer(
    choice: Choice,
    labels: Iterable[str],
    where: str,
    form: str,
    drops: Optional[Counter] = None,
    lenient: bool = False,
) -> List[Mention]:
    """The mentions of a tagging answer in `form`."""
    read = {"by_type": by_type_answer, "pairs": pairs_answer}.get(form, entity_answer)
    return read(choice, labels, where, drops, lenient=lenient)


def pairs_answer(
    choice: Choice, labels: Iterable[str], where: str, drops: Optional[Counter] = None, lenient: bool = False
) -> List[Mention]:
    """The mentions of a pairs answer ({"entities": [[text, type], ...]}); a cut-off answer keeps its
    complete pairs (see `list_answer`)."""
    drops = drops if drops is not None else Counter()
    items = list_answer(choice, "entities", where, drops, lenient=lenient)
    return parse_entities({"entities": as_items(items)}, labels, where, drops)
