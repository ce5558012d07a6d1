"""Several library builds merged into one (the benchmark's `library+merged` row): whether more examples to
retrieve from, drawn from builds of other seeds, make a steadier tagger than one build. Measured on
MIT-Restaurant it tagged worse than each build alone, so the package keeps one build and this stays here."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np

from spacy_progner.errors import SettingsError
from spacy_progner.reverse_ner.library import ExampleLibrary


def merge_libraries(libraries: Sequence[ExampleLibrary]) -> ExampleLibrary:
    """One library from several builds for the same types: every distinct example, with its feature sentence.

    Why: which examples a build keeps depends on its sampling's luck, and a thin build leaves a type with
    few examples; the union gives retrieval more examples per type to choose the nearest from, so no one
    build's misses decide a type. Builds must share their types and embedder (their vectors are reused)."""
    if not libraries:
        raise SettingsError("merge libraries: no library given")
    first = libraries[0]
    for i, lib in enumerate(libraries[1:], start=2):
        for key in ("labels", "embedder"):
            if lib.meta.get(key) != first.meta.get(key):
                raise SettingsError(f"merge libraries: library {i} has other {key} than library 1; build it alike")
    merged = ExampleLibrary(examples=[], features=[], meta=_merged_meta(libraries))
    feature_at: Dict[str, int] = {}  # feature sentence -> its index in the merged library
    example_rows: List[np.ndarray] = []
    feature_rows: List[np.ndarray] = []
    for lib in libraries:
        for text, vector in zip(lib.features, lib.feature_vectors):
            if text not in feature_at:
                feature_at[text] = len(merged.features)
                merged.features.append(text)
                feature_rows.append(vector)
        seen = {ex["sentence"] for ex in merged.examples}
        for ex, vector in zip(lib.examples, lib.example_vectors):
            if ex["sentence"] not in seen:
                seen.add(ex["sentence"])
                merged.examples.append({**ex, "feature": feature_at[lib.features[ex["feature"]]]})
                example_rows.append(vector)
    merged.example_vectors = _matrix(example_rows, first.example_vectors)
    merged.feature_vectors = _matrix(feature_rows, first.feature_vectors)
    return merged


def _matrix(rows: List[np.ndarray], like: np.ndarray) -> np.ndarray:
    """Vectors as one float32 matrix; none at all keep the width of `like`."""
    if not rows:
        return np.zeros((0, like.shape[1] if like.ndim == 2 else 0), dtype=np.float32)
    return np.vstack(rows).astype(np.float32)


def _merged_meta(libraries: Sequence[ExampleLibrary]) -> Dict[str, Any]:
    """The first build's types, model and embedder, every build's pools, the builds' summed seconds, and
    what each build was (settings, size, cost, counts): a merged library cost all of its builds."""
    pools: Dict[str, Dict[str, None]] = {}  # insertion-ordered sets
    for lib in libraries:
        for label, pool in (lib.meta.get("pools") or {}).items():
            pools.setdefault(label, {}).update(dict.fromkeys(pool))
    keys = ("settings", "seconds", "usage", "counts")
    builds = [{"examples": len(lib), **{k: lib.meta.get(k) for k in keys}} for lib in libraries]
    meta = {k: v for k, v in libraries[0].meta.items() if k not in keys}
    meta["seconds"] = round(sum(b["seconds"] or 0.0 for b in builds), 1)
    return {**meta, "pools": {label: list(names) for label, names in pools.items()}, "merged": builds}
