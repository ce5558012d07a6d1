"""Reverse expansion (ReverseNER step 3): which entities an example should hold, and turning a model's
answer into an example whose entities sit verbatim in its sentence.

An answer whose entity differs from its sentence only in form (casing, quotes around a title) is
repaired to the sentence's own text rather than dropped; each repair and each drop is counted."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.language import Language

from ..ner import align_mentions
from ..ner.align import find_occurrences
from ..ner.answers import Mention

QUOTES = "\"'“”‘’«»„`"
MIN_LENGTH_RATIO, MAX_LENGTH_RATIO, LENGTH_SLACK = 1 / 3, 3.0, 6  # words of an example vs its feature


def upper_share(text: str) -> float:
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    return sum(1 for w in words if w.isupper()) / max(1, len(words))


def uncased(text: str) -> bool:
    """Text written without capitals (spoken queries, chat): it has letters and none is upper case."""
    return any(c.isalpha() for c in text) and not any(c.isupper() for c in text)


def match_shape(feature: str, sentence: str, ents: Sequence[Mention]) -> Tuple[str, List[Mention]]:
    """The model tends to write ordinary case whatever the feature's; the casing is what the demo must
    teach. An all-caps feature (a headline) gets an all-caps example, an uncased one a lower-case example."""
    if upper_share(feature) >= 0.6 and upper_share(sentence) < 0.6:
        return sentence.upper(), [(t.upper(), lab) for t, lab in ents]
    if uncased(feature) and not uncased(sentence):
        return sentence.lower(), [(t.lower(), lab) for t, lab in ents]
    return sentence, list(ents)


def word_range(feature: str) -> Tuple[int, int]:
    """The fewest and most words an example of `feature` may have: within a factor of three, or within a
    few words (short features). The expansion prompt states it too, since a small model asked for "the
    same form" as a five-word query writes review-like prose of twenty words or more."""
    n = len(feature.split())
    low = max(1, min(n - LENGTH_SLACK, math.ceil(n * MIN_LENGTH_RATIO)))
    return low, max(n + LENGTH_SLACK, math.floor(n * MAX_LENGTH_RATIO))


def length_fits(feature: str, sentence: str) -> bool:
    """Same form: as many words as `word_range` allows."""
    low, high = word_range(feature)
    return low <= len(sentence.split()) <= high


def plan_entities(
    feature: str, pools: Dict[str, List[str]], rng: random.Random, empty_rate: float, max_entities: int
) -> List[Mention]:
    """Which pool entities an expansion of `feature` should hold: density follows the feature's names
    (capitalised words, in cased text), else one to three; sometimes none."""
    if rng.random() < empty_rate:
        return []
    tokens = feature.split()
    caps = sum(1 for t in tokens[1:] if t[:1].isupper())
    if caps and upper_share(feature) < 0.5:
        count = min(max_entities, max(1, round(caps * rng.uniform(0.4, 0.8))))
    else:
        count = rng.randint(1, min(3, max_entities))
    labels = [label for label, pool in pools.items() if pool]
    picked: List[Mention] = []
    for _ in range(count):
        label = rng.choice(labels)
        name = rng.choice(pools[label])
        if all(name != p[0] for p in picked):
            picked.append((name, label))
    return picked


def repair(sentence: str, ents: Sequence[Mention], stats: Counter) -> Tuple[List[Mention], List[Mention]]:
    """(entities as the sentence writes them, entities not found in it). Quotes around an entity are not
    part of it (repaired_quotes); an entity found only with other casing takes the sentence's text
    (repaired_case)."""
    fixed: List[Mention] = []
    missing: List[Mention] = []
    for text, label in ents:
        bare = text.strip(QUOTES + " ")
        if bare and bare != text and (written := _as_written(sentence, bare)):
            form, reason = written, "quotes"
        elif text in sentence:
            form, reason = text, ""
        elif written := _as_written(sentence, text):
            form, reason = written, "case"
        else:
            missing.append((text, label))
            continue
        if reason:
            stats[f"repaired_{reason}"] += 1
        fixed.append((form, label))
    return fixed, missing


def _as_written(sentence: str, text: str) -> Optional[str]:
    """The sentence's own text of the first occurrence of `text` (exact, else ignoring case), if any."""
    hits = find_occurrences(sentence, text)
    return sentence[hits[0][0] : hits[0][1]] if hits else None


def invalid(nlp: Language, sentence: str, ents: Sequence[Mention]) -> Optional[str]:
    """Why an example whose entities `repair` placed in its sentence cannot be used (an entity not on
    token boundaries, or two overlapping), else None."""
    doc = nlp.make_doc(sentence)
    for text, label in ents:
        spans, _ = align_mentions(doc, [(text, label)], alignment_mode="strict")
        if not spans:
            return "entity_misaligned"
    _, st = align_mentions(doc, list(dict.fromkeys(ents)), alignment_mode="strict")
    if st.dropped.get("overlap"):
        return "entities_overlap"
    return None
