"""Builds merged into one library: every distinct example keeps its feature sentence and its vectors."""

from __future__ import annotations

import numpy as np
import pytest

from spacy_progner.errors import SettingsError
from spacy_progner.reverse_ner.library import ExampleLibrary, merge_libraries

LABELS = {"PER": "a person", "LOC": "a place"}


def build(examples, features, pools, seed):
    lib = ExampleLibrary(
        examples=[{"sentence": s, "entities": e, "feature": f} for s, e, f in examples],
        features=features,
        meta={"labels": LABELS, "settings": {"seed": seed}, "pools": pools, "seconds": 10.0 + seed},
    )
    lib.embed_all()
    return lib


ONE = build(
    [("Ana Pike lives in Velm .", [["Ana Pike", "PER"], ["Velm", "LOC"]], 0), ("Rain fell .", [], 1)],
    ["Someone lives somewhere .", "It rained ."],
    {"PER": ["Ana Pike"], "LOC": ["Velm"]},
    seed=0,
)
TWO = build(
    [("Rain fell .", [], 0), ("Ivo Brandt flew to Graz .", [["Ivo Brandt", "PER"], ["Graz", "LOC"]], 1)],
    ["It rained .", "A man travelled ."],  # its first feature sentence is also ONE's second
    {"PER": ["Ivo Brandt", "Ana Pike"], "LOC": ["Graz"]},
    seed=1,
)


def test_merged_library_holds_each_distinct_example_once_with_its_own_feature_and_vectors():
    merged = merge_libraries([ONE, TWO])
    sentences = [ex["sentence"] for ex in merged.examples]
    assert sentences == ["Ana Pike lives in Velm .", "Rain fell .", "Ivo Brandt flew to Graz ."]
    assert merged.features == ["Someone lives somewhere .", "It rained .", "A man travelled ."]
    for ex, vector in zip(merged.examples, merged.example_vectors):
        source = ONE if ex["sentence"] in [x["sentence"] for x in ONE.examples] else TWO
        i = [x["sentence"] for x in source.examples].index(ex["sentence"])
        assert merged.features[ex["feature"]] == source.features[source.examples[i]["feature"]]
        assert np.allclose(vector, source.example_vectors[i])
    assert merged.feature_vectors.shape == (3, ONE.feature_vectors.shape[1])
    assert np.allclose(merged.feature_vectors[2], TWO.feature_vectors[1])
    assert merged.meta["pools"] == {"PER": ["Ana Pike", "Ivo Brandt"], "LOC": ["Velm", "Graz"]}
    assert [b["examples"] for b in merged.meta["merged"]] == [2, 2]
    assert [b["settings"]["seed"] for b in merged.meta["merged"]] == [0, 1]
    nearest = merged.retrieve(TWO.example_vectors[1:], k=1)[0][0]
    assert merged.examples[nearest]["sentence"] == "Ivo Brandt flew to Graz ."


def test_builds_of_other_types_or_none_at_all_are_refused_by_name():
    other = build([("Ana Pike spoke .", [["Ana Pike", "PER"]], 0)], ["Someone spoke ."], {}, seed=2)
    other.meta["labels"] = {"PER": "a person"}
    with pytest.raises(SettingsError, match="library 2 has other labels than library 1"):
        merge_libraries([ONE, other])
    with pytest.raises(SettingsError, match="no library given"):
        merge_libraries([])
