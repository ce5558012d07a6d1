"""How a benchmark row's pipeline is made: the settings of a lever reach the model block and the pipe."""

from __future__ import annotations

from bench.reverse_ner import Tagging, make_nlp

from spacy_progner.ner import LabelSet

LABELS = LabelSet({"PER": "the name of a person", "LOC": "the name of a place"})


def test_a_model_lever_reaches_both_kinds_of_row_and_the_filter_rows_differ_only_as_named():
    tagging = Tagging(k=2, options={"group_size": 2}, model={"n_parallel": 2})
    ner_v3 = make_nlp("spacy.NER.v3", LABELS, None, None, tagging)
    assert ner_v3.config["components"]["llm"]["model"]["n_parallel"] == 2
    rows = {
        c: make_nlp(c, LABELS, None, None, tagging).config["components"]["reverse_ner"]
        for c in ("k0", "k0+filter", "library", "library-nofilter")
    }
    assert all(r["model"]["n_parallel"] == 2 and r["group_size"] == 2 for r in rows.values())
    assert [rows[c]["k"] for c in rows] == [0, 0, 2, 2]
    assert [rows[c]["shape_filter"] for c in rows] == [True, True, True, False]
