"""What the entities of a type look like, learnt from examples, to catch the small model's commonest
annotation error: a common noun or a number labelled as a name ("company" ORG, "costs" PER, "6" LOC).

A type whose examples all hold a letter (and nearly all a capital) rejects a mention without one.
Types whose examples are numbers or lower case (a price, a cuisine) learn no such rule."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

Shapes = Dict[str, Dict[str, bool]]
CAPITAL_SHARE = 0.95  # "nearly all": a type is capitalised if this share of its names holds a capital


def capitalised(names: Sequence[str]) -> bool:
    """Whether (nearly) all of a type's names hold a capital letter."""
    return bool(names) and sum(any(c.isupper() for c in n) for n in names) >= CAPITAL_SHARE * len(names)


def learn_shapes(names: Mapping[str, Iterable[str]], min_names: int = 5) -> Shapes:
    """Per type with at least `min_names` examples: do all hold a letter, do (nearly) all hold a capital."""
    out: Shapes = {}
    for label, texts in names.items():
        texts = list(texts)
        if len(texts) >= min_names:
            out[label] = {
                "letter": all(any(c.isalpha() for c in n) for n in texts),
                "capital": capitalised(texts),
            }
    return out


def fits_shape(text: str, label: str, shapes: Shapes) -> str:
    """'' if a mention looks like the examples of its type, else why not (shape_no_letter | shape_lowercase)."""
    shape = shapes.get(label)
    if not shape:
        return ""
    if shape["letter"] and not any(c.isalpha() for c in text):
        return "shape_no_letter"
    if shape["capital"] and not any(c.isupper() for c in text):
        return "shape_lowercase"
    return ""


def keep_shaped(mentions: Sequence[Tuple[str, str]], shapes: Shapes, stats: Counter) -> List[Tuple[str, str]]:
    """The mentions that fit their type's shape; each drop is counted in `stats` as dropped_<reason>."""
    kept = []
    for text, label in mentions:
        reason = fits_shape(text, label, shapes)
        if reason:
            stats[f"dropped_{reason}"] += 1
        else:
            kept.append((text, label))
    return kept


# Scripts named by the first word of their letters' Unicode names. A letter named otherwise (MICRO SIGN,
# FEMININE ORDINAL INDICATOR, MODIFIER LETTER APOSTROPHE, FULLWIDTH LATIN ...) belongs to none of them
# and is never taken for another language.
SCRIPTS = frozenset(
    "LATIN CJK HIRAGANA KATAKANA HANGUL CYRILLIC GREEK ARABIC HEBREW THAI LAO DEVANAGARI BENGALI GURMUKHI "
    "GUJARATI TAMIL TELUGU KANNADA MALAYALAM SINHALA TIBETAN MYANMAR GEORGIAN ARMENIAN ETHIOPIC KHMER".split()
)


def script_of(char: str) -> str:
    """The script of a letter (one of SCRIPTS), or '' if its Unicode name names none."""
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return word if word in SCRIPTS else ""


def learn_scripts(texts: Iterable[str]) -> FrozenSet[str]:
    """The scripts the letters of some example texts are written in (a spec's demos: its language's)."""
    return frozenset(script_of(c) for text in texts for c in text if c.isalpha()) - {""}


def foreign_letters(text: str, scripts: FrozenSet[str]) -> str:
    """The letters of `text` in a script none of the examples use ('' if none, or no scripts learnt):
    the small model now and then drops a word of another language into a sentence ("a good下午 tea")."""
    if not scripts:
        return ""
    allowed = scripts | {""}  # a letter of no named script is never foreign
    return "".join(c for c in text if c.isalpha() and script_of(c) not in allowed)
