"""reverse_ner end to end on the real embedded model: a tiny library build, then tagging (under a minute)."""

from __future__ import annotations

import pytest
import reverse_ner_fixtures as F

pytestmark = pytest.mark.real_model


def test_build_and_tag_on_the_embedded_model(tmp_path):
    nlp = F.make_nlp(
        {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False, "n_parallel": 2},
        n_clusters=3,
        entities_per_type=5,
        expansions_per_feature=1,
        k=1,
        check_examples="off",
        min_examples_per_type=1,  # a type without an example gets two top-up asks (at most 6 calls)
    )
    pipe = nlp.get_pipe("reverse_ner")
    pipe.initialize(texts=F.TASK_TEXTS[:6])
    lib = pipe.library
    counts = lib.meta["counts"]["examples"]
    assert counts["generated"] == 3 + counts.get("top_up_calls", 0) <= 3 + 6
    assert all(lib.meta["pools"][label] for label in F.LABELS)
    for ex in lib.examples:
        assert all(text in ex["sentence"] and label in F.LABELS for text, label in ex["entities"])
    doc = nlp("Anna Berg moved from Vienna to work for Nordlicht Energy.")
    group = doc.spans["reverse_ner"]
    assert len(group.attrs["scores"]) == len(group)
    # Whatever the model answers must be real spans of this sentence with known labels.
    for ent in doc.ents:
        assert ent.label_ in F.LABELS and ent.text in doc.text
    assert {e.text for e in doc.ents} & {"Anna Berg", "Vienna", "Nordlicht Energy"}
