"""The kind check (`kind_check`): the names a sentence was tagged with, typed once more in that sentence
against the asked types and the named kinds of other names none of them covers (`LabelSet.with_other_kinds`:
place, nationality, event, product, date). A name the check calls a kind, or none of the offered types, is
dropped.

Why: asked for PER and ORG of news text, the small model puts countries, cups and nationalities into the
nearest asked type. The OTHER outlet (`other_names`) takes most of them out; some still get an asked type
(Lisbon as PER). Offered a named kind beside the asked types, the model picks PLACE or EVENT for such names
and keeps companies and clubs in ORG (the pool check found the same), though it drops some real names too:
precision up, recall down (benchmarks/reverse_ner_asked_other_kinds.md). One short call per sentence that
has a name; a sentence without one costs nothing."""

from __future__ import annotations

from collections import Counter
from typing import List, Sequence, Tuple

from ..llm import ChatModel
from ..ner import LabelSet
from . import prompts
from .pools import read_verdicts


def kind_requests(kinds: LabelSet, sentences: Sequence[str], names: Sequence[Sequence[str]]):
    """(index, request) for each sentence with names: its names, typed in the sentence, against `kinds` (the
    asked types and the kinds none of them covers, `LabelSet.with_other_kinds`)."""
    return [
        (i, prompts.typecheck_request(kinds, in_text_order(sentence, found), text=sentence))
        for i, (sentence, found) in enumerate(zip(sentences, names))
        if found
    ]


def in_text_order(sentence: str, names: Sequence[str]) -> List[str]:
    """Each name once, in the order the sentence has them: the same prompt (and cached answer) every run,
    whatever order the votes came in."""
    return sorted(set(names), key=lambda name: (sentence.find(name), name))


def check_kinds(
    model: ChatModel, labels: LabelSet, sentences: Sequence[str], mentions: List[list], stats: Counter
) -> List[list]:
    """`mentions` (one list per sentence, each item with `.text`) without those the check types as another
    kind or NONE. A name the answer does not type (cut off, unparseable) is kept: the tagger found it."""
    kinds = labels.with_other_kinds()
    todo = kind_requests(kinds, sentences, [[m.text for m in found] for found in mentions])
    results = model.chat_many([request for _, request in todo], progress="kind check" if todo else None)
    out = list(mentions)
    for (i, _), result in zip(todo, results):
        chunk: List[Tuple[str, str]] = [(m.label, m.text) for m in mentions[i]]
        verdicts = read_verdicts(chunk, result.choices[0], kinds, stats)
        out[i] = [m for m in mentions[i] if verdicts.get((m.label, m.text), m.label) in labels]
        stats["kind_check_dropped"] += len(mentions[i]) - len(out[i])
    stats["kind_check_calls"] += len(todo)
    return out
