"""The self-built example library: labelled example sentences, the feature sentences
they were modelled on, their embeddings, and the build's metadata (counts, drops, usage).

Saved as plain files (JSONL, .npy, JSON) so a pipeline directory holds it and
`spacy.load()` needs no model call to bring it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import srsly

from ..errors import SettingsError
from ..ner.shapes import learn_shapes
from .embed import DEFAULT_EMBEDDER, embed

# How demos are retrieved: by similarity to the feature sentence an example was built from, to the
# example itself, or the mean of both.
RETRIEVE_BY = ("feature", "example", "both")
FILES = ("examples.jsonl", "features.jsonl", "example_vectors.npy", "feature_vectors.npy", "meta.json")


@dataclass
class ExampleLibrary:
    examples: List[Dict[str, Any]] = field(default_factory=list)  # {"sentence", "entities": [[text, label]], "feature"}
    features: List[str] = field(default_factory=list)
    meta: Dict[str, Any] = field(default_factory=dict)
    example_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    feature_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.examples)

    def embed_all(self, embedder: str = DEFAULT_EMBEDDER) -> None:
        self.example_vectors = embed([ex["sentence"] for ex in self.examples], embedder)
        self.feature_vectors = embed(self.features, embedder)
        self.meta["embedder"] = embedder

    def retrieve(
        self,
        query_vectors: np.ndarray,
        k: int,
        by: str = "feature",
        max_empty: int = 1,
        exclude: Optional[Sequence[Collection[int]]] = None,
    ) -> List[List[int]]:
        """Indices of the k most similar examples per query, least similar first (the nearest sits next
        to the question), with at most `max_empty` entity-less examples among them and none of the query's
        `exclude` indices (a leave-one-out check keeps an example from being its own demo)."""
        if k <= 0 or not self.examples:
            return [[] for _ in range(len(query_vectors))]
        sims = self.similarities(query_vectors, by)
        empty = np.array([not ex["entities"] for ex in self.examples])
        out = []
        for q, row in enumerate(sims):
            chosen: List[int] = []
            empties = 0
            skip = exclude[q] if exclude is not None else ()
            for idx in np.argsort(-row, kind="stable"):
                if idx in skip:
                    continue
                if empty[idx]:
                    if empties >= max_empty:
                        continue
                    empties += 1
                chosen.append(int(idx))
                if len(chosen) == k:
                    break
            out.append(chosen[::-1])
        return out

    def similarities(self, query_vectors: np.ndarray, by: str) -> np.ndarray:
        if by == "example":
            return query_vectors @ self.example_vectors.T
        feature_of = np.array([ex["feature"] for ex in self.examples])
        by_feature = (query_vectors @ self.feature_vectors.T)[:, feature_of]
        if by == "feature":
            return by_feature
        if by == "both":
            return (by_feature + query_vectors @ self.example_vectors.T) / 2
        raise SettingsError(f"retrieve_by must be one of {RETRIEVE_BY}, got {by!r}")

    def shapes(self) -> Dict[str, Dict[str, bool]]:
        """What every self-made entity of a type looks like: whether all hold a letter, and whether
        (nearly) all hold a capital. Learnt from the library's own pools and examples, so a type whose
        names are digits or lower case (a price, a cuisine) is left alone."""
        names: Dict[str, List[str]] = {}
        for label, pool in (self.meta.get("pools") or {}).items():
            names.setdefault(label, []).extend(pool)
        for ex in self.examples:
            for text, label in ex["entities"]:
                names.setdefault(label, []).append(text)
        return learn_shapes(names)

    def demos(self, indices: Sequence[int]) -> List[Tuple[str, List[Tuple[str, str]]]]:
        return [(self.examples[i]["sentence"], [tuple(e) for e in self.examples[i]["entities"]]) for i in indices]

    def to_disk(self, path: Union[str, Path]) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "examples.jsonl", self.examples)
        srsly.write_jsonl(path / "features.jsonl", [{"text": t} for t in self.features])
        np.save(path / "example_vectors.npy", self.example_vectors)
        np.save(path / "feature_vectors.npy", self.feature_vectors)
        srsly.write_json(path / "meta.json", self.meta)

    @classmethod
    def from_disk(cls, path: Union[str, Path]) -> ExampleLibrary:
        path = Path(path)
        missing = [name for name in FILES if not (path / name).is_file()]
        if missing:
            raise SettingsError(f"{path}: not a reverse_ner example library (missing {', '.join(missing)})")
        lib = cls(
            examples=list(srsly.read_jsonl(path / "examples.jsonl")),
            features=[row["text"] for row in srsly.read_jsonl(path / "features.jsonl")],
            meta=srsly.read_json(path / "meta.json"),
            example_vectors=np.load(path / "example_vectors.npy"),
            feature_vectors=np.load(path / "feature_vectors.npy"),
        )
        if len(lib.example_vectors) != len(lib.examples) or len(lib.feature_vectors) != len(lib.features):
            raise SettingsError(f"{path}: example library vectors do not match its examples; rebuild it")
        return lib
