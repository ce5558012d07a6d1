"""`annotate` on the real embedded model: a few sentences written for this project, k = 0 (no library)."""

from __future__ import annotations

import pytest
import spacy

from spacy_progner.distill.annotate import AnnotateSettings, annotate

pytestmark = pytest.mark.real_model

LABELS = {  # as the news benchmarks define them
    "PER": "the name of a person (first name, surname or full name), real or fictional",
    "ORG": "the name of an organisation: company, sports team or club, political party, government body, "
    "institution, agency, newspaper or union",
    "LOC": "the name of a place: country, city, region, state, continent, river, mountain, street or building",
}

TEXTS = [
    ("a", "Paris Hilton flew from Paris to Lagos on Monday ."),
    ("b", "The council will meet again on Thursday ."),
    ("c", "Kessler Motors chairman Frank Ostermann resigned in Munich ."),
]


def test_annotate_on_the_real_model(local_model):
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe(
        "reverse_ner", config={"labels": LABELS, "k": 0, "model": {"@llm_models": "spacy_progner.LocalGGUF.v1"}}
    )
    pipe.model = pipe.tagger.model = local_model
    result = annotate(nlp, TEXTS, AnnotateSettings(logprobs=True))
    samples = {x["id"]: x for x in result["samples"]}
    assert list(samples) == ["a", "b", "c"]
    found = {(x["id"], e["text"], e["label"]) for x in samples.values() for e in x["entities"]}
    # llama.cpp batches parallel sequences by timing, so greedy answers can differ between runs (seen: "Lagos"
    # missed once in a full run, found alone): ask for most of the plain names, not one exact answer.
    assert len({("a", "Lagos", "LOC"), ("c", "Frank Ostermann", "PER"), ("c", "Munich", "LOC")} & found) >= 2
    for x in samples.values():
        for e in x["entities"]:
            assert x["sentence"][e["start"] : e["end"]] == e["text"]
            assert e["logprob"] is not None and 0 < e["confidence"] <= 1  # the local model gives log-probs
    assert result["metrics"]["entities_with_logprob"] == result["metrics"]["entities"]
