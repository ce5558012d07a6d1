"""The simulated-reviewer benchmark on a tiny invented corpus: gold set for the reviewed texts only,
decisions counted, corpus F1 after review, a tiny training per row, rows resumed from their records."""

from __future__ import annotations

import json
from pathlib import Path

import srsly

WORDS = [
    (["Lena", "Ruiz", "flew", "to", "Porto", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]),
    (["Karro", "Mills", "hired", "Ivo", "Brandt", "."], ["B-ORG", "I-ORG", "O", "B-PER", "I-PER", "O"]),
    (["Snow", "closed", "roads", "near", "Velm", "."], ["O", "O", "O", "O", "B-LOC", "O"]),
    (["Ana", "Pike", "left", "Tessor", "Group", "."], ["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "O"]),
]


def fixture():
    """Rows (tokens + gold tags) and a corpus of the same texts with some annotations wrong."""
    from bench.distill.corpus import gold_char_spans

    rows = [{"tokens": t, "tags": g} for t, g in WORDS * 3]
    samples = []
    for i, row in enumerate(rows):
        text = " ".join(row["tokens"])
        ents = [{"text": text[a:b], "label": lab, "start": a, "end": b, "confidence": 0.9}
                for a, b, lab in gold_char_spans(row, ["PER", "LOC", "ORG"])]  # fmt: skip
        if i % 4 == 1:
            ents[0]["label"] = "PER"  # Karro Mills: wrong type
        if i % 4 == 2:
            ents = []  # Velm missed
        samples.append({"id": f"train-{i}", "sentence": text, "entities": ents})
    return rows, samples


def test_simulate_sets_only_the_reviewed_texts_to_gold_and_counts_the_decisions():
    from bench.review import order_ids, simulate

    rows, samples = fixture()
    samples[1]["entities"][0]["agree"] = False  # the ranking puts the marked text first
    assert order_ids(samples, "ranked", 0)[0] == "train-1"
    reviewed, counts = simulate(samples, rows, ["PER", "LOC", "ORG"], "ranked", 3, 0)
    # then the unflagged texts, lowest confidence first (a text without entities has none: last)
    assert [r["id"] for r in reviewed] == ["train-1", "train-0", "train-3"]
    assert counts == {"accepts": 1 + 2 + 2, "removals": 0, "retypes": 1, "additions": 0}
    reviewed, counts = simulate(samples, rows, ["PER", "LOC", "ORG"], "ranked", 12, 0)
    assert counts["additions"] == 3 and counts["retypes"] == 3  # every missed Velm and mistyped Karro Mills
    assert order_ids(samples, "random", 0) != order_ids(samples, "random", 1)


def test_rows_train_evaluate_and_resume(tmp_path):
    import spacy
    from bench.proggen import Bench
    from bench.review import _no_model, markdown, row_key, run_dataset
    from spacy.tokens import DocBin

    from spacy_progner.corpus.bio import row_to_doc
    from spacy_progner.ner.domain import DomainSpec

    rows, samples = fixture()
    spec = DomainSpec.load(Path("../configs/domains/conll2003.yml"))
    nlp = spacy.blank("en")
    test = tmp_path / "test.spacy"
    DocBin(docs=[row_to_doc(nlp.vocab, r, list(spec.types)) for r in rows[:4]]).to_disk(test)
    args = {"train_config": Path("../configs/train.cfg"), "train_steps": 20, "folds": 2, "crosscheck_steps": 5,
            "ns": (0, 4), "orders": ("ranked", "random"), "seeds": (0,), "two_stage": ()}  # fmt: skip
    bench = Bench(tmp_path, _no_model)
    tables: dict = {"rows": [], "two_stage": []}
    run_dataset(bench, "tiny", spec, samples, rows, test, args, tables)
    table = tables["rows"]
    written = json.loads((tmp_path / "review.json").read_text(encoding="utf8"))  # srsly's reader rounds floats
    assert written["rows"] == sorted(table, key=row_key)  # written row by row
    assert [(r["order"], r["n"]) for r in table] == [("none", 0), ("ranked", 4), ("random", 4)]
    assert table[0]["decisions"] == {"accepts": 0, "removals": 0, "retypes": 0, "additions": 0}
    assert table[1]["corpus_f1"] > table[0]["corpus_f1"] and sum(table[1]["decisions"].values()) > 0
    assert all(0 <= r["f1"] <= 1 for r in table)
    record = tmp_path / "tiny" / "review" / "ranked-4-seed0" / "steps" / "evaluate.json"
    assert srsly.read_json(record)["ents_f"] == table[1]["f1"]
    again: dict = {"rows": [], "two_stage": []}
    run_dataset(Bench(tmp_path, _no_model), "tiny", spec, samples, rows, test, args, again)  # all skipped
    assert again["rows"] == table
    assert "| tiny | ranked | 4 | 0 |" in markdown(tables, {"train_steps": 20})


def test_a_run_of_one_dataset_adds_to_the_table_of_the_same_settings():
    from bench.review import merged

    def row(dataset, seed, f1):
        return {"dataset": dataset, "order": "none", "n": 0, "seed": seed, "f1": f1}

    old = {"settings": {"train_steps": 20}, "rows": [row("a", 0, 0.5), row("b", 0, 0.4)], "two_stage": []}
    new = merged(old, {"train_steps": 20}, {"rows": [row("b", 0, 0.6), row("b", 1, 0.7)], "two_stage": []})
    assert new["rows"] == [row("a", 0, 0.5), row("b", 0, 0.6), row("b", 1, 0.7)]  # b seed 0 redone: the new one
    other = merged(old, {"train_steps": 40}, {"rows": [row("b", 1, 0.7)], "two_stage": []})
    assert other["rows"] == [row("b", 1, 0.7)]  # rows of other settings are not mixed in


def test_user_demos_table_scores_all_texts_and_the_trusted_ones_against_gold():
    from bench.user_demos import scored

    from spacy_progner.reverse_ner.user_demos import UserDemoSettings, choose

    rows, samples = fixture()
    marked = [{**x, "entities": [{**e, "agree": i % 4 == 0 or i % 4 == 3} for e in x["entities"]]}
              for i, x in enumerate(samples)]  # fmt: skip
    everything = scored(marked, rows, ["PER", "LOC", "ORG"])
    assert everything["texts_n"] == 12 and everything["p"] < 1 and everything["r"] < 1
    chosen = choose(marked, ["PER", "LOC", "ORG"], UserDemoSettings(budget=12, max_empty_share=1.0))
    trusted = scored(chosen, rows, ["PER", "LOC", "ORG"])  # texts without names count too: Velm is missed
    assert trusted["texts_n"] == 9 and trusted["p"] == 1.0 and trusted["r"] < 1.0
    named = choose(marked, ["PER", "LOC", "ORG"], UserDemoSettings(budget=12, max_empty_share=0.0))
    trusted = scored(named, rows, ["PER", "LOC", "ORG"])  # the agreed texts with names are the right ones
    assert trusted["texts_n"] == 6 and (trusted["p"], trusted["r"]) == (1.0, 1.0)
