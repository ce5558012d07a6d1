"""What every ProgGen step shares: deduplication, named warnings, asking for JSON list answers."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from wasabi import msg

from ..llm import ChatModel, ChatRequest, ChatResult
from ..llm.ledger import paid_calls
from ..ner.answers import AnswerError, compact, parse_json_answer

MAX_WARNINGS = 20


def norm(text: str) -> str:
    """Key for deduplication: case- and whitespace-insensitive, outer punctuation stripped."""
    return re.sub(r"\s+", " ", text).strip().strip(".,;:!?\"'").lower()


def dedupe(values: Iterable[str], max_words: int = 12) -> Tuple[List[str], Counter]:
    """Unique non-empty values in first-seen order, with drops counted by reason."""
    seen: set = set()
    out: List[str] = []
    drops: Counter = Counter()
    for value in values:
        value = " ".join(str(value).split()).strip(" .,;")
        if not value:
            drops["empty"] += 1
        elif len(value.split()) > max_words:
            drops["too_long"] += 1
        elif norm(value) in seen:
            drops["duplicate"] += 1
        else:
            seen.add(norm(value))
            out.append(value)
    return out, drops


class Warnings:
    """Named warnings for bad answers: counted always, the first few printed and kept in the metrics."""

    def __init__(self, step: str):
        self.step = step
        self.items: List[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.items) < MAX_WARNINGS:
            self.items.append(text)
            msg.warn(f"{self.step}: {text}")

    def to_dict(self) -> Dict[str, Any]:
        return {"count": self.count, "first": self.items}


def ask_lists(
    model: ChatModel,
    requests: Sequence[ChatRequest],
    key: str,
    where: Sequence[str],
    warnings: Warnings,
    progress: Optional[str] = None,
) -> List[Optional[List[str]]]:
    """Answers to {key: [str]} requests; an unusable answer is None and a warning naming `where`."""
    results = model.chat_many(list(requests), progress=progress)
    out: List[Optional[List[str]]] = []
    for result, place in zip(results, where):
        out.append(parse_list(result, key, place, warnings))
    return out


def parse_list(result: ChatResult, key: str, where: str, warnings: Warnings) -> Optional[List[str]]:
    try:
        data = parse_json_answer(result.choices[0], where)
    except AnswerError as err:
        warnings.add(str(err))
        return None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        warnings.add(f"{where}: answer has no '{key}' list: {compact(data)[:120]}")
        return None
    return [v for v in data[key] if isinstance(v, str)]


def step_calls(record: Dict[str, Any], usage: Dict[str, Any]) -> int:
    """The model calls a step record stands for: those behind its usage (`paid_calls`), or, where that usage
    lost a resumed run's earlier legs (`usage_incomplete`), the record's own count of calls."""
    return record["calls"] if record.get("usage_incomplete") else paid_calls(usage)
