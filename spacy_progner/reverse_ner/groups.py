"""Several similar sentences in one request, sharing one set of demos (`group_size` > 1).

On a CPU the prompt is most of a call's time: about 230 tokens a sentence that llama.cpp reads anew,
most of them the retrieved demos. Sentences that are alike want alike demos, so a group of them can
share one set: the demos are read once per group instead of once per sentence. The answer is one
JSON object keyed by the texts' numbers ({"1": ..., "2": ...}), each value in the answer form
(`ner.forms`); a cut-off answer keeps the texts it answered in full.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..llm import Choice
from ..ner.answers import AnswerError, Mention, complete_pairs, parse_json_answer
from ..ner.forms import read_value


def similar_groups(vectors: np.ndarray, size: int) -> List[List[int]]:
    """Indices in groups of at most `size`: each group the first sentence not yet placed and the most
    similar of the rest (greedy; a batch of 64 sentences is small)."""
    left = list(range(len(vectors)))
    groups: List[List[int]] = []
    while left:
        seed, rest = left[0], left[1:]
        if rest:
            sims = vectors[rest] @ vectors[seed]
            picked = [rest[i] for i in np.argsort(-sims, kind="stable")[: size - 1]]
        else:
            picked = []
        group = [seed, *sorted(picked)]
        groups.append(group)
        left = [i for i in left if i not in group]
    return groups


def group_vector(vectors: np.ndarray, group: Sequence[int]) -> np.ndarray:
    """The direction the group's demos are retrieved for: the normalised mean of its sentences."""
    mean = vectors[list(group)].mean(axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def numbered(texts: Sequence[str]) -> str:
    return "\n".join(f"{n}. {text}" for n, text in enumerate(texts, 1))


def read_group(
    choice: Choice, n: int, labels: Sequence[str], form: str, where: str, drops: Counter
) -> List[Optional[List[Mention]]]:
    """Per text of the group, its mentions, or None where the answer gave none usable (counted)."""
    try:
        data: Any = parse_json_answer(choice, where)
    except AnswerError:
        if not choice.truncated:
            raise
        data = complete_pairs(choice.text)
        drops["cut_off_texts_kept"] += 1
    if not isinstance(data, dict):
        raise AnswerError(f"{where}: answer is not an object keyed by text number: {choice.text[:120]!r}")
    out: List[Optional[List[Mention]]] = []
    for i in range(1, n + 1):
        value: Dict[str, Any] = data.get(str(i))  # type: ignore[assignment]
        try:
            out.append(None if value is None else read_value(value, labels, f"{where}, text {i}", form, drops))
        except AnswerError:
            out.append(None)
        if out[-1] is None:
            drops["texts_unanswered_in_group"] += 1
    return out
