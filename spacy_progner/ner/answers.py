"""JSON-schema answers: the schema we ask for, and a parser that says exactly what was wrong."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ..errors import ProgNERError
from ..llm.protocol import Choice

Mention = Tuple[str, str]  # (text, label)

logger = logging.getLogger("spacy_progner.ner")


class AnswerError(ProgNERError, ValueError):
    """A model answer could not be used; the message names the place and the reason."""


def compact(obj: Any) -> str:
    """JSON as demos show it and logs quote it: one line, no spaces (the model copies this style, and it
    is the fewest tokens to generate)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def mention_bound(text: str) -> int:
    """How many mentions a tagging answer for `text` may list: half its words, 3 to 16.

    A greedy small model sometimes repeats one mention until max_tokens and the whole answer is
    lost; with `maxItems` the grammar closes the list instead. Half the words loses 13 of the 4,894
    distinct PER/LOC/ORG mentions of CoNLL-2003 test (none of WikiGold's). Wide characters (CJK
    scripts, written without spaces) count half a word each, so such text is not bounded to 3."""
    words = len(text.split()) + sum(unicodedata.east_asian_width(c) in "WF" for c in text) // 2
    return min(16, max(3, (words + 1) // 2))


def entity_list_schema(
    labels: Iterable[str], max_items: Optional[int] = None, max_text_chars: Optional[int] = None
) -> Dict[str, Any]:
    """[{"text", "label"}, ...]; with `max_text_chars`, each text also holds 1 to that many characters (a
    generating answer that loops inside a name, or lists empty names, closes instead of running on)."""
    text = {"type": "string"} if max_text_chars is None else {**_string(max_text_chars), "minLength": 1}
    item = closed_object({"text": text, "label": {"type": "string", "enum": list(labels)}})
    schema: Dict[str, Any] = {"type": "array", "items": item}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def entity_schema(
    labels: Iterable[str],
    sentence: bool = False,
    max_items: Optional[int] = None,
    max_chars: Optional[int] = None,
    max_text_chars: Optional[int] = None,
) -> Dict[str, Any]:
    """{"entities": [{"text", "label"}]}, optionally with a "sentence" first (generation answers) of at most
    `max_chars` characters, so a sentence that loops inside its string closes instead of running on."""
    props: Dict[str, Any] = {}
    if sentence:
        props["sentence"] = _string(max_chars)
    props["entities"] = entity_list_schema(labels, max_items, max_text_chars)
    return closed_object(props)


def closed_object(props: Dict[str, Any]) -> Dict[str, Any]:
    """An object with exactly `props`, all required: an answer the grammar lets hold nothing else."""
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def parse_json_answer(choice: Choice, where: str, lenient: bool = False) -> Any:
    """JSON out of an answer; a truncated or broken answer is an AnswerError naming `where`.

    lenient: also accept the outermost {...} inside prose or a code fence (answers from models
    that were not held to a JSON schema, e.g. through spacy-llm's text interface)."""
    text = choice.text.strip()
    try:
        return json.loads(text)
    except ValueError as err:
        start, end = text.find("{"), text.rfind("}")
        if lenient and 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except ValueError:
                pass
        if choice.truncated:
            raise AnswerError(f"{where}: answer was cut off at max_tokens ({len(text)} chars): {text[-80:]!r}") from err
        reason = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        raise AnswerError(f"{where}: answer is not JSON ({reason}): {text[:120]!r}") from err


def parse_entities(data: Any, labels: Iterable[str], where: str, drops: Optional[Counter] = None) -> List[Mention]:
    """(text, label) pairs from {"entities": [...]}; unknown labels and empty texts are dropped and counted."""
    known = set(labels)
    drops = drops if drops is not None else Counter()
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        raise AnswerError(f"{where}: answer has no 'entities' list: {json.dumps(data)[:120]}")
    out: List[Mention] = []
    for item in data["entities"]:
        mention, reason = check_item(item, known)
        if mention is None:
            drops[reason] += 1
        else:
            out.append(mention)
    return out


def complete_items(text: str, key: str = "entities") -> Optional[Dict[str, list]]:
    """{key: [...]} with the items of a cut-off answer's `key` list that were written in full, or
    None if there are none (nothing to keep)."""
    head = text.find(f'"{key}"')
    start = text.find("[", head) if head >= 0 else -1
    if start < 0:
        return None
    decoder, items, i = json.JSONDecoder(), [], start + 1
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        try:
            item, i = decoder.raw_decode(text, i)
        except ValueError:
            break
        items.append(item)
    return {key: items} if items else None


def complete_pairs(text: str) -> Dict[str, Any]:
    """The "key": value pairs a cut-off JSON object wrote in full (a value must be a complete JSON value
    followed by a comma or the closing brace; the last, unfinished one is left out)."""
    decoder, i = json.JSONDecoder(), text.find("{") + 1
    pairs: Dict[str, Any] = {}
    if i <= 0:
        return {}
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        try:
            key, i = decoder.raw_decode(text, i)
            while i < len(text) and text[i] in " \t\r\n:":
                i += 1
            value, i = decoder.raw_decode(text, i)
        except ValueError:
            return pairs
        rest = text[i:].lstrip()
        if not isinstance(key, str) or not rest or rest[0] not in ",}":
            return pairs
        pairs[key] = value


def parse_or_salvage(
    choice: Choice,
    where: str,
    salvage: Callable[[str], Optional[Dict[str, list]]],
    drops: Counter,
    lenient: bool = False,
) -> Any:
    """The JSON of an answer; one cut off at max_tokens gives what `salvage` finds written in full in it
    ({key: [complete items]}), counted as `cut_off_items_kept` with a warning. An answer with nothing to
    salvage is an AnswerError like any other unusable answer."""
    try:
        return parse_json_answer(choice, where, lenient=lenient)
    except AnswerError as err:
        data = salvage(choice.text) if choice.truncated else None
        if data is None:
            raise
        drops["cut_off_items_kept"] += 1
        logger.warning("%s (kept its %d complete items)", err, sum(len(v) for v in data.values()))
        return data


def list_answer(
    choice: Choice, key: str, where: str, drops: Optional[Counter] = None, lenient: bool = False
) -> List[Any]:
    """The `key` list of a JSON answer ({key: [...]}). An answer cut off at max_tokens keeps the items
    it wrote in full (counted as `cut_off_items_kept`, with a warning) rather than losing them all;
    one with no complete item, or without the list, is an AnswerError like any other unusable answer.
    lenient: the answer may wrap its JSON in prose (models not held to a schema, e.g. through spacy-llm)."""
    drops = drops if drops is not None else Counter()
    data = parse_or_salvage(choice, where, lambda text: complete_items(text, key), drops, lenient)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise AnswerError(f"{where}: answer has no {key!r} list: {json.dumps(data)[:120]}")
    return data[key]


def entity_answer(
    choice: Choice, labels: Iterable[str], where: str, drops: Optional[Counter] = None, lenient: bool = False
) -> List[Mention]:
    """The mentions of a tagging answer ({"entities": [...]}), cut-off answers keeping their complete
    items (see `list_answer`)."""
    drops = drops if drops is not None else Counter()
    items = list_answer(choice, "entities", where, drops, lenient=lenient)
    return parse_entities({"entities": items}, labels, where, drops)


def text_tokens(text: str) -> int:
    """A generous estimate of the tokens `text` takes (BPE vocabularies average 3-4 bytes a token in
    English; rare names and other scripts take more), for sizing answer budgets without a tokenizer."""
    return len(text.encode("utf8")) // 3 + 2


# The tokens one answer item takes beyond its strings when a model pretty-prints its JSON (newline and
# indentation before each key and brace, as the small model does when no demo shows the compact form).
ITEM_OVERHEAD = 24


def item_budget(*strings: str) -> int:
    """max_tokens share of one answer item holding `strings`, pretty-printed."""
    return ITEM_OVERHEAD + sum(text_tokens(s) for s in strings)


def check_item(item: Any, known: Set[str]) -> Tuple[Optional[Mention], str]:
    """One answer item as (text, label), or None and why it is unusable: malformed_item | empty_text |
    unknown_label. Every reader of entity answers (tagging, generation) applies the same checks."""
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not isinstance(item.get("label"), str):
        return None, "malformed_item"
    text, label = item["text"].strip(), item["label"].strip()
    if not text:
        return None, "empty_text"
    if label not in known:
        return None, "unknown_label"
    return (text, label), ""


def _string(max_chars: Optional[int]) -> Dict[str, Any]:
    return {"type": "string"} if max_chars is None else {"type": "string", "maxLength": max_chars}


def string_list_schema(key: str, n: int, max_chars: Optional[int] = None) -> Dict[str, Any]:
    """{key: [str, ...]} with at most n items of at most `max_chars` characters each: the grammar closes
    the list and each string, so a model that starts repeating itself (a list item after item, or one
    item word after word) cannot run on to max_tokens."""
    return closed_object({key: {"type": "array", "items": _string(max_chars), "minItems": 1, "maxItems": n}})
