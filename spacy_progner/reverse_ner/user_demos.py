"""Demos from your own text: texts the tagger labelled, that a second opinion agrees with, join the library.

Why: the library's examples are sentences the LLM wrote from feature sentences; your texts look like your
texts. A text where a cross-check student (`crosscheck`) agrees with every label the tagger gave, proposed
no name the tagger missed, and every label is confident is the closest thing to a gold example there is
without a person (the self-improving zero-shot NER line of work retrieves such annotations as demos). Each
joins as an example that is its own feature sentence, so retrieval finds it for texts like it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from ..errors import SettingsError
from .embed import DEFAULT_EMBEDDER, embed
from .library import ExampleLibrary

SOURCE = "user"  # an example's `source` when it is one of your texts


@dataclass
class UserDemoSettings:
    budget: int = 200  # texts added at most: the most confident first
    min_confidence: float = 0.9  # every label of a text at least this confident
    max_empty_share: float = 0.1  # of the added texts, those without any name

    def __post_init__(self) -> None:
        if not isinstance(self.budget, int) or self.budget < 0:
            raise SettingsError(f"user demos: budget must be a whole number >= 0, got {self.budget!r}")
        if not 0 <= self.min_confidence <= 1:
            raise SettingsError(f"user demos: min_confidence must be in [0, 1], got {self.min_confidence!r}")
        if not 0 <= self.max_empty_share <= 1:
            raise SettingsError(f"user demos: max_empty_share must be in [0, 1], got {self.max_empty_share!r}")


def _confidence(entity: Dict[str, Any]) -> float:
    """An entity's confidence; one without (no log-probs, one sample) counts as sure."""
    value = entity.get("confidence")
    return 1.0 if value is None else value


def trusted(sample: Dict[str, Any], labels: Sequence[str], min_confidence: float) -> bool:
    """Every label agreed (`agree`), none proposed by the student alone, all of the asked types, all
    confident."""
    ents = sample.get("entities", [])
    return all(
        e.get("agree") is True and not e.get("proposed") and e["label"] in labels and _confidence(e) >= min_confidence
        for e in ents
    )


def choose(samples: List[Dict[str, Any]], labels: Sequence[str], s: UserDemoSettings) -> List[Dict[str, Any]]:
    """The trusted samples, most confident first (its least confident label; a text without names last),
    within the budget and the share of texts without names."""
    if samples and not any("agree" in e for x in samples for e in x.get("entities", [])):
        raise SettingsError("user demos: the corpus has no `agree` marks; run `crosscheck` on it first")
    ranked = sorted(
        (x for x in samples if trusted(x, labels, s.min_confidence)),
        key=lambda x: -min((_confidence(e) for e in x["entities"]), default=0.0),
    )
    max_empty = int(s.max_empty_share * s.budget)
    out: List[Dict[str, Any]] = []
    for x in ranked:
        if len(out) == s.budget:
            break
        if not x["entities"]:
            if max_empty == 0:
                continue
            max_empty -= 1
        out.append(x)
    return out


def add_user_demos(
    library: ExampleLibrary, samples: List[Dict[str, Any]], labels: Sequence[str], settings: UserDemoSettings
) -> Tuple[ExampleLibrary, Dict[str, Any]]:
    """A new library: `library` plus the chosen samples as examples (each its own feature sentence,
    `source` "user"); counts."""
    known = {ex["sentence"] for ex in library.examples}  # added before: not twice
    chosen = choose([x for x in samples if x["sentence"] not in known], labels, settings)
    texts = [x["sentence"] for x in chosen]
    embedder = library.meta.get("embedder", DEFAULT_EMBEDDER)
    vectors = embed(texts, embedder)
    first = len(library.features)
    examples = [
        {"sentence": x["sentence"], "entities": [[e["text"], e["label"]] for e in x["entities"]],
         "feature": first + i, "source": SOURCE}
        for i, x in enumerate(chosen)
    ]  # fmt: skip
    counts = {"candidates": len(samples), "added": len(examples), "added_empty": sum(not x["entities"] for x in chosen)}
    before = library.meta.get("user_demos", {}).get("added", 0)
    meta = {**library.meta, "user_demos": {**settings.__dict__, "added": before + len(examples)}}
    out = ExampleLibrary(
        examples=library.examples + examples,
        features=library.features + texts,
        meta=meta,
        example_vectors=_stacked(library.example_vectors, vectors),
        feature_vectors=_stacked(library.feature_vectors, vectors),
    )
    return out, counts


def _stacked(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    if old.size == 0:
        return new
    if new.size == 0:
        return old
    return np.vstack([old, new]).astype(np.float32)
