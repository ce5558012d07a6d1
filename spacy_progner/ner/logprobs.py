"""Token log-probs of answer items: the model's own certainty about each entity it wrote.

Both methods use it: ProgGen's generation answers ({"examples": [{"sentence", "entities"}]}) and the
`reverse_ner` tagging answer ({"entities": [...]}); `correct` selects the least certain by it."""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ..llm import Choice
from .answers import complete_items
from .forms import complete_by_type


def token_offsets(choice: Choice) -> Optional[List[Tuple[int, int, float]]]:
    """(start, end, logprob) per answer token in characters of the answer text; None if the tokens do
    not spell it. llama.cpp's server returns the content without a code fence the model wrote around
    it ("```json ... ```") but the fence's tokens with the log-probs: the text is found inside them."""
    if not choice.logprobs:
        return None
    spelled = "".join(t for t, _ in choice.logprobs)
    shift = spelled.find(choice.text) if choice.text else -1
    if shift < 0:
        return None
    out, pos = [], -shift
    for tok, lp in choice.logprobs:
        out.append((pos, pos + len(tok), lp))
        pos += len(tok)
    return out


def _mean_lp(offsets: Sequence[Tuple[int, int, float]], ranges: Iterable[Tuple[int, int]]) -> Optional[float]:
    lps = [lp for s, e, lp in offsets for a, b in ranges if s < b and e > a]
    return round(sum(lps) / len(lps), 4) if lps else None


def entity_logprobs(choice: Choice, examples: List[Any]) -> List[List[Optional[float]]]:
    """Per example, per entity item: mean log-prob of the tokens of its text and label values in the answer."""
    offsets = token_offsets(choice)
    out: List[List[Optional[float]]] = []
    text, cursor = choice.text, 0
    for ex in examples:
        ents = ex.get("entities") if isinstance(ex, dict) else None
        ents = ents if isinstance(ents, list) else []
        row: List[Optional[float]] = []
        if isinstance(ex, dict) and isinstance(ex.get("sentence"), str):
            m = re.compile(r'"sentence"\s*:\s*' + re.escape(json.dumps(ex["sentence"], ensure_ascii=False))).search(
                text, cursor
            )
            if m:
                cursor = m.end()
        for item in ents:
            score = None
            if offsets is not None and isinstance(item, dict) and isinstance(item.get("text"), str):
                ranges = []
                for key in ("text", "label"):
                    value = item.get(key)
                    if not isinstance(value, str):
                        continue
                    lit = json.dumps(value, ensure_ascii=False)
                    m = re.compile(rf'"{key}"\s*:\s*' + re.escape(lit)).search(text, cursor)
                    if m:
                        ranges.append((m.end() - len(lit) + 1, m.end() - 1 if len(lit) > 2 else m.end()))
                if ranges:
                    cursor = max(b for _, b in ranges)
                    score = _mean_lp(offsets, ranges)
            row.append(score)
        out.append(row)
    return out


def item_logprobs(choice: Choice, form: str = "mentions") -> Dict[Tuple[str, str], float]:
    """(text, label) -> mean token log-prob of the items of a tagging answer in `form` (see `ner.forms`);
    empty without log-probs or when the answer is not JSON (a cut-off answer's complete items keep theirs)."""
    if not choice.logprobs:
        return {}
    if form == "by_type":
        return _by_type_logprobs(choice)
    if form == "pairs":
        return _pairs_logprobs(choice)
    data = _answer_data(choice, complete_items)
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        return {}
    out: Dict[Tuple[str, str], float] = {}
    for item, score in zip(data["entities"], entity_logprobs(choice, [data])[0]):
        if score is not None and isinstance(item, dict) and isinstance(item.get("text"), str):
            out.setdefault((item["text"].strip(), str(item.get("label", "")).strip()), score)
    return out


def _by_type_logprobs(choice: Choice) -> Dict[Tuple[str, str], float]:
    """Per mention of a by_type answer: the mean log-prob of the tokens of its type key and its text."""
    offsets = token_offsets(choice)
    data = _answer_data(choice, complete_by_type)
    if offsets is None or not isinstance(data, dict):
        return {}
    text, cursor = choice.text, 0
    out: Dict[Tuple[str, str], float] = {}
    for label, items in data.items():
        head = re.compile(re.escape(json.dumps(label, ensure_ascii=False)) + r"\s*:\s*\[").search(text, cursor)
        if head is None or not isinstance(items, list):
            continue
        key, cursor = (head.start() + 1, head.start() + 1 + len(label)), head.end()
        for item in items:
            lit = json.dumps(item, ensure_ascii=False) if isinstance(item, str) else None
            at = text.find(lit, cursor) if lit else -1
            if at < 0:
                continue
            cursor = at + len(lit)  # type: ignore[arg-type]
            score = _mean_lp(offsets, [key, (at + 1, cursor - 1)])
            if score is not None:
                out.setdefault((item.strip(), label), score)
    return out


def _pairs_logprobs(choice: Choice) -> Dict[Tuple[str, str], float]:
    """Per mention of a pairs answer: the mean log-prob of the tokens of its text and its type."""
    offsets = token_offsets(choice)
    data = _answer_data(choice, complete_items)
    if offsets is None or not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        return {}
    text, cursor = choice.text, 0
    out: Dict[Tuple[str, str], float] = {}
    for item in data["entities"]:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)):
            continue
        ranges = []
        for value in item:
            lit = json.dumps(value, ensure_ascii=False)
            at = text.find(lit, cursor)
            if at < 0:
                break
            cursor = at + len(lit)
            ranges.append((at + 1, cursor - 1))
        score = _mean_lp(offsets, ranges) if len(ranges) == 2 else None
        if score is not None:
            out.setdefault((item[0].strip(), item[1].strip()), score)
    return out


def _answer_data(choice: Choice, salvage: Callable[[str], Any]) -> Any:
    """The answer's JSON, or what `salvage` finds written in full in a cut-off one."""
    try:
        return json.loads(choice.text)
    except ValueError:
        return salvage(choice.text)
