"""Builds merged into one library: every distinct example keeps its feature sentence and its vectors."""

from __future__ import annotations

import numpy as np
import pytest
from bench.merged import merge_libraries

from spacy_progner.errors import SettingsError
from spacy_progner.reverse_ner.library import ExampleLibrary

LABELS = {"PER": "a person", "LOC": "a place"}
VECTOR = {text: np.random.default_rng(i).normal(size=8).astype(np.float32) for i, text in enumerate([
    "Someone lives somewhere .", "It rained .", "A man travelled .",
    "Ana Pike lives in Velm .", "Rain fell .", "Ivo Brandt flew to Graz .",
])}  # fmt: skip


def build(examples, features, pools, seed, seconds=10.0):
    """A library as a build leaves it; each sentence's vector is fixed, so a vector names its sentence."""
    return ExampleLibrary(
        examples=[{"sentence": s, "entities": e, "feature": f} for s, e, f in examples],
        features=features,
        meta={"labels": LABELS, "settings": {"seed": seed}, "pools": pools, "seconds": seconds,
              "usage": {"expand": {"calls": 3}}, "counts": {"examples": {"kept": len(examples)}}},
        example_vectors=np.array([VECTOR[s] for s, _, _ in examples]),
        feature_vectors=np.array([VECTOR[t] for t in features]),
    )  # fmt: skip


ONE = build(
    [("Ana Pike lives in Velm .", [["Ana Pike", "PER"], ["Velm", "LOC"]], 0), ("Rain fell .", [], 1)],
    ["Someone lives somewhere .", "It rained ."],
    {"PER": ["Ana Pike"], "LOC": ["Velm"]},
    seed=0,
)
TWO = build(  # its first feature sentence is also ONE's second, and it holds one feature sentence twice
    [("Rain fell .", [], 0), ("Ivo Brandt flew to Graz .", [["Ivo Brandt", "PER"], ["Graz", "LOC"]], 2)],
    ["It rained .", "It rained .", "A man travelled ."],
    {"PER": ["Ivo Brandt", "Ana Pike"], "LOC": ["Graz"]},
    seed=1,
    seconds=20.0,
)


def test_merged_library_holds_each_distinct_example_once_with_its_own_feature_and_vectors():
    merged = merge_libraries([ONE, TWO])
    sentences = [ex["sentence"] for ex in merged.examples]
    assert sentences == ["Ana Pike lives in Velm .", "Rain fell .", "Ivo Brandt flew to Graz ."]
    assert merged.features == ["Someone lives somewhere .", "It rained .", "A man travelled ."]
    features = {ex["sentence"]: merged.features[ex["feature"]] for ex in merged.examples}
    assert features == {"Ana Pike lives in Velm .": "Someone lives somewhere .", "Rain fell .": "It rained .",
                        "Ivo Brandt flew to Graz .": "A man travelled ."}  # fmt: skip
    assert all(np.array_equal(v, VECTOR[s]) for s, v in zip(sentences, merged.example_vectors))
    assert all(np.array_equal(v, VECTOR[t]) for t, v in zip(merged.features, merged.feature_vectors))
    nearest = merged.retrieve(VECTOR["A man travelled ."][None, :], k=1)[0][0]  # by feature sentence
    assert merged.examples[nearest]["sentence"] == "Ivo Brandt flew to Graz ."


def test_merged_metadata_unites_the_pools_and_books_every_build():
    meta = merge_libraries([ONE, TWO]).meta
    assert meta["pools"] == {"PER": ["Ana Pike", "Ivo Brandt"], "LOC": ["Velm", "Graz"]}
    assert meta["seconds"] == 30.0 and "usage" not in meta and "counts" not in meta  # no one build's cost
    assert [(b["examples"], b["settings"]["seed"], b["usage"]["expand"]["calls"]) for b in meta["merged"]] == [
        (2, 0, 3), (2, 1, 3)]  # fmt: skip
    assert meta["labels"] == LABELS


def test_builds_of_other_types_or_embedder_or_none_at_all_are_refused_by_name():
    other = build([("Rain fell .", [], 0)], ["It rained ."], {}, seed=2)
    other.meta["labels"] = {"PER": "a person"}
    with pytest.raises(SettingsError, match="library 2 has other labels than library 1"):
        merge_libraries([ONE, other])
    other.meta = {**ONE.meta, "embedder": "another-embedder"}
    with pytest.raises(SettingsError, match="library 2 has other embedder than library 1"):
        merge_libraries([ONE, other])
    with pytest.raises(SettingsError, match="no library given"):
        merge_libraries([])
    empty = merge_libraries([build([], [], {}, seed=3)])
    assert len(empty) == 0 and empty.example_vectors.shape == (0, 0)
