"""Entity pools (ReverseNER step 1): names per type from the definitions, then a type check.

The type check must really check: every name gets a verdict (names a cut-off or partial answer left
out are asked again), and a name the model gives another of the types moves to that type's pool
instead of vanishing (a band listed among solo artists is still a good band name)."""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from typing import Dict, List, Sequence, Tuple

from ..llm import ChatModel
from ..ner import AnswerError, LabelSet
from ..ner.answers import complete_pairs, list_answer, parse_json_answer
from ..ner.labels import OTHER
from . import prompts

logger = logging.getLogger("spacy_progner.reverse_ner")

TYPECHECK_BATCH = 12  # names per type-check prompt, mixed across types so the model compares them
TYPECHECK_ROUNDS = 3  # asks per name at most: unanswered names go again in smaller prompts
NONE = "NONE"


def plausible_name(text: str, label: str) -> bool:
    """A pool entry must look like a name, not a sentence or a description."""
    words = text.split()
    return (
        0 < len(words) <= 8
        and len(text) < prompts.MAX_NAME_CHARS  # a name this long was closed by the grammar mid-word
        and "\n" not in text
        and text.upper() != label.upper()
        and not re.search(r"[.!?]\s+\S", text)  # two sentences
        and not text.endswith((":", ";", ","))
    )


def name_key(text: str) -> str:
    """How a verdict is matched to the name it judges: case, spacing and quotes aside."""
    return " ".join(str(text).strip().strip("\"'“”‘’«»").casefold().split())


def generate_pools(
    model: ChatModel,
    labels: LabelSet,
    per_type: int,
    per_call: int,
    domain: str,
    seed: int,
    stats: Counter,
    only: Sequence[str] = (),
) -> Dict[str, List[str]]:
    """`per_type` names asked per type (of `only`, if given; the other types of `labels` are named as what
    the type is not), `per_call` a call; deduplicated across types, implausible ones dropped. A cut-off
    answer keeps the names it wrote in full."""
    calls = max(1, -(-per_type // per_call))
    plan = [(label, seed * 1000 + i) for label in (only or labels) for i in range(calls)]
    requests = [prompts.pool_request(labels, label, per_call, domain, seed=s) for label, s in plan]
    with model.ledger.step("reverse_ner.pools"):
        results = model.chat_many(requests, progress="entity pools")
    pools: Dict[str, List[str]] = {label: [] for label, _ in plan}
    seen = set()
    for (label, _), result in zip(plan, results):
        choice = result.choices[0]
        stats["cut_off"] += choice.truncated
        try:
            names = list_answer(choice, "entities", f"entity pool for {label}", stats)
        except AnswerError as err:
            stats["bad_answer"] += 1
            logger.warning("%s", err)
            continue
        for name in names:
            stats["generated"] += 1
            name = " ".join(str(name).split())
            if not plausible_name(name, label):
                stats["implausible"] += 1
            elif name_key(name) in seen:
                stats["duplicate"] += 1
            else:
                seen.add(name_key(name))
                pools[label].append(name)
    return pools


def typecheck_pools(
    model: ChatModel, labels: LabelSet, pools: Dict[str, List[str]], seed: int, stats: Counter
) -> Dict[str, List[str]]:
    """Each name typed by the model: kept in its pool, moved to the pool of the type given, or dropped (NONE).

    With the OTHER outlet (`labels` holding OTHER) the asked pools are checked against the asked types
    alone, and the outlet's names against the asked types and the named kinds of other names none of them
    covers (`with_other_kinds`): a kind (or NONE) keeps such a name in the outlet. An outlet name the check
    gives an asked type is dropped, not moved: a name in doubt teaches neither pool."""
    asked = labels.without_other()
    todo = [(label, name) for label, pool in pools.items() for name in pool if label != OTHER]
    verdicts = _verdicts(model, asked, todo, seed, stats)
    if OTHER in pools:
        kinds = asked.with_other_kinds()
        verdicts.update(_verdicts(model, kinds, [(OTHER, name) for name in pools[OTHER]], seed, stats))
    kept: Dict[str, List[str]] = {label: [] for label in pools}
    for label, pool in pools.items():
        for name in pool:
            got = verdicts.get((label, name), label)
            if got == label or (label == OTHER and got not in asked):
                kept[label].append(name)
            elif label == OTHER:
                stats["typecheck_other_of_asked_type"] += 1
            elif got == NONE:
                stats["typecheck_none"] += 1
            else:
                stats["typecheck_moved"] += 1
                kept[got].append(name)
    return restore_emptied(pools, kept, stats)


def restore_emptied(pools: Dict[str, List[str]], kept: Dict[str, List[str]], stats: Counter) -> Dict[str, List[str]]:
    """An asked type the check left with no name at all gets its generated names back, unchecked (and out
    of the pools they were moved to). A small model types the phrases of a descriptive type ("critically
    acclaimed" for a REVIEW type) as another type's every time; an empty pool would end the build, while
    names written from the type's own definition still teach it. The OTHER outlet's pool is asked again
    instead (`outlet_pool_by_kind`)."""
    for label, pool in pools.items():
        if label == OTHER or kept[label] or not pool:
            continue
        back = {name_key(name) for name in pool}
        for other in kept:
            kept[other] = [name for name in kept[other] if name_key(name) not in back]
        kept[label] = list(pool)
        stats["typecheck_restored"] += len(pool)
        logger.warning(
            "reverse_ner: the pool type check typed none of the %d names written for %s as %s; they are kept "
            "unchecked (if its examples look wrong, rephrase its definition)",
            len(pool),
            label,
            label,
        )
    return kept


def outlet_pool_by_kind(
    model: ChatModel, labels: LabelSet, per_call: int, domain: str, seed: int, stats: Counter
) -> List[str]:
    """The OTHER outlet's pool asked again, one named kind none of the asked types covers a call
    (`with_other_kinds`), and checked as the outlet's pool is. For when the check leaves the pool asked by
    the outlet's definition empty: where the asked types cover the common names (people, places and
    organisations all asked), a small model still answers that request with countries and companies,
    which the check rightly gives asked types."""
    kinds = labels.with_other_kinds()
    uncovered = [kind for kind in kinds if kind not in labels]
    stats["outlet_asked_by_kind"] += len(uncovered)
    by_kind = generate_pools(model, kinds, per_call, per_call, domain, seed, stats, only=uncovered)
    names = [name for pool in by_kind.values() for name in pool]  # deduplicated across kinds already
    return typecheck_pools(model, labels, {OTHER: names}, seed, stats)[OTHER]


def _verdicts(
    model: ChatModel, labels: LabelSet, todo: List[Tuple[str, str]], seed: int, stats: Counter
) -> Dict[Tuple[str, str], str]:
    """The type `labels` (or NONE) the model gives each (pool, name) of `todo`; names a cut-off or partial
    answer left out go again in smaller prompts, those never answered get no verdict (kept: the generator
    typed them)."""
    verdicts: Dict[Tuple[str, str], str] = {}
    rng = random.Random(seed)
    for round_ in range(TYPECHECK_ROUNDS):
        if not todo:
            break
        batch = max(1, TYPECHECK_BATCH >> round_)  # a name left out twice goes in a smaller prompt
        rng.shuffle(todo)
        chunks = [todo[i : i + batch] for i in range(0, len(todo), batch)]
        requests = [prompts.typecheck_request(labels, [name for _, name in chunk]) for chunk in chunks]
        with model.ledger.step("reverse_ner.pools"):
            results = model.chat_many(requests, progress=f"type-checking pools (round {round_ + 1})")
        for chunk, result in zip(chunks, results):
            verdicts.update(read_verdicts(chunk, result.choices[0], labels, stats))
        todo = [item for item in todo if item not in verdicts]
        stats["typecheck_asked_again"] += len(todo) if round_ + 1 < TYPECHECK_ROUNDS else 0
    stats["typecheck_unanswered"] += len(todo)
    return verdicts


def read_verdicts(
    chunk: Sequence[Tuple[str, str]], choice, labels: LabelSet, stats: Counter
) -> Dict[Tuple[str, str], str]:
    """The verdicts of one type-check answer ({name: type}) for the chunk's names. A cut-off answer keeps
    the verdicts it wrote in full; an unusable one gives none, and its names are asked again."""
    stats["typecheck_cut_off"] += choice.truncated
    try:
        data = parse_json_answer(choice, "pool type check")
    except AnswerError as err:
        data = complete_pairs(choice.text) if choice.truncated else None
        if not data:
            logger.warning("%s", err)
            stats["typecheck_bad_answer"] += 1
            return {}
        stats["cut_off_items_kept"] += 1
        logger.warning("%s (kept its %d complete verdicts)", err, len(data))
    if not isinstance(data, dict):
        stats["typecheck_bad_answer"] += 1
        return {}
    by_key = {name_key(k): v for k, v in data.items() if v in (*labels, NONE)}
    return {(label, name): by_key[name_key(name)] for label, name in chunk if name_key(name) in by_key}
