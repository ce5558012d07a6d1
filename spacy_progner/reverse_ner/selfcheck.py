"""A build checked without gold: the tagger labels each example of its own library, with the nearest other
examples as demos (never one made from the same feature sentence, which would hand it the answer), and its
answer is scored against the example's own labels.

Two builds of the same settings can differ by several F1 points, and a user who builds once cannot tell
which one they got. Examples that the tagger does not reproduce from their neighbours teach it
contradictory things (a name typed one way here and another way there, names left unlabelled): a type
with low agreement is where a build is weak. The check costs one call per example checked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Set

from spacy.scorer import PRFScore

from ..errors import SettingsError
from ..ner.labels import OTHER
from ..seeds import rng_for
from .infer import Demos, Tagger
from .library import ExampleLibrary


@dataclass
class SelfCheckSettings:
    # a type the tagger reproduces below this F1 is named in a warning
    min_agreement: float = 0.6
    # examples checked (one call each): a seeded sample of this many; 0 checks every example
    max_examples: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.min_agreement <= 1:
            raise SettingsError(f"check-build: min_agreement must be in [0, 1], got {self.min_agreement}")
        if not isinstance(self.max_examples, int) or self.max_examples < 0:
            raise SettingsError(f"check-build: max_examples must be an integer >= 0, got {self.max_examples!r}")


def checked_indices(library: ExampleLibrary, settings: SelfCheckSettings) -> List[int]:
    """The examples to check: all, or a seeded sample of `max_examples` in library order."""
    indices = list(range(len(library)))
    if settings.max_examples and settings.max_examples < len(indices):
        indices = sorted(rng_for(settings.seed, "check-build").sample(indices, settings.max_examples))
    return indices


def leave_one_out_demos(tagger: Tagger, indices: List[int]) -> List[Demos]:
    """Per checked example, the demos the tagger would retrieve for it from the rest of the library: the
    example and its siblings (made from the same feature sentence) left out."""
    library = tagger.library
    assert library is not None
    siblings: Dict[int, Set[int]] = defaultdict(set)  # feature sentence -> the examples made from it
    for j, ex in enumerate(library.examples):
        siblings[ex["feature"]].add(j)
    exclude = [siblings[library.examples[i]["feature"]] for i in indices]
    s = tagger.s
    picks = library.retrieve(library.example_vectors[indices], s.k, s.retrieve_by, s.max_empty, exclude)
    return [library.demos(p) for p in picks]


def self_check(tagger: Tagger, settings: SelfCheckSettings) -> Dict[str, Any]:
    """Micro and per-type P/R/F of the tagger's answers against the library's own labels, the examples it
    did not reproduce, and warnings naming the weak types."""
    library = tagger.library
    if library is None or not len(library) or tagger.s.k <= 0:
        raise SettingsError("check-build: the pipeline has no example library to check (or k = 0)")
    indices = checked_indices(library, settings)
    sentences = [library.examples[i]["sentence"] for i in indices]
    tagged = tagger.tag(sentences, progress="check-build", demos=leave_one_out_demos(tagger, indices))
    counts = {label: PRFScore() for label in tagger.labels}
    missed = []
    for i, mentions in zip(indices, tagged):
        said = {(m.text, m.label) for m in mentions if m.score >= tagger.s.threshold}
        own = {(text, label) for text, label in library.examples[i]["entities"] if label != OTHER}
        for label, score in counts.items():
            score.score_set({m for m in said if m[1] == label}, {m for m in own if m[1] == label})
        if said != own:
            missed.append({"example": i, "sentence": library.examples[i]["sentence"],
                           "library": sorted(own), "tagger": sorted(said)})  # fmt: skip
    per_type = {label: _prf(c) for label, c in counts.items()}
    micro = _prf(sum(counts.values(), PRFScore()))
    return {
        "examples": len(indices),
        "agreement": micro["f"],
        "micro": micro,
        "per_type": per_type,
        "reproduced": len(indices) - len(missed),
        "not_reproduced": missed,
        "warnings": warnings_for(micro, per_type, settings),
    }


def _prf(score: PRFScore) -> Dict[str, Any]:
    return {"p": round(score.precision, 4), "r": round(score.recall, 4), "f": round(score.fscore, 4),
            "entities": score.tp + score.fn}  # fmt: skip


def warnings_for(micro: Dict[str, Any], per_type: Dict[str, Dict[str, Any]], settings: SelfCheckSettings) -> List[str]:
    """What the agreement says about the build, each with what to do about it."""
    out = []
    for label, prf in per_type.items():
        if prf["entities"] and prf["f"] < settings.min_agreement:
            out.append(
                f"type {label}: the tagger reproduces the library's own {label} examples at F1 {prf['f']:.2f} only "
                f"(below {settings.min_agreement}): they contradict each other or the definition; read them in "
                "`not_reproduced`, sharpen the definition, or build again with another seed"
            )
        elif not prf["entities"]:
            out.append(f"type {label}: no checked example holds it; build with more entities or examples per type")
    if micro["f"] < settings.min_agreement:
        out.append(
            f"the build as a whole: agreement F1 {micro['f']:.2f} (below {settings.min_agreement}); "
            "a second build with another seed may well be better"
        )
    return out
