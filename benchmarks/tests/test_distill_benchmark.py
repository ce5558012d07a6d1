"""The distillation benchmark scores a corpus against hidden gold by character spans; committed corpora hold no text."""

from __future__ import annotations


def test_benchmark_scores_the_corpus_by_character_spans_and_round_trips_without_text():
    from bench.distill import gold_char_spans, score_corpus, with_text, without_text

    row = {"tokens": ["Anna", "Berg", "moved", "to", "Graz", "."], "tags": ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]}
    assert gold_char_spans(row, ["PER", "LOC"]) == [(0, 9, "PER"), (19, 23, "LOC")]
    sample = {"id": "train-0", "sentence": "Anna Berg moved to Graz .", "entities": [
        {"text": "Anna Berg", "label": "PER", "start": 0, "end": 9},
        {"text": "Graz", "label": "ORG", "start": 19, "end": 23}]}  # fmt: skip
    scores = score_corpus([sample], [row], ["PER", "LOC", "ORG"])
    assert (scores["p"], scores["r"], scores["f"]) == (0.5, 0.5, 0.5)
    assert scores["per_type_f"] == {"LOC": 0.0, "ORG": 0.0, "PER": 1.0}
    stripped = without_text([sample])
    assert "sentence" not in stripped[0] and all("text" not in e for e in stripped[0]["entities"])
    assert with_text(stripped, [row]) == [sample]


def test_a_pretrained_row_takes_its_scores_from_itself_and_its_data_from_its_source_row(tmp_path):
    import srsly
    from bench.distill import summarize

    def record(row, step, **fields):
        (tmp_path / row / "steps").mkdir(parents=True, exist_ok=True)
        srsly.write_json(tmp_path / row / "steps" / f"{step}.json", {"step": step, "seconds": 1.0, **fields})

    scores = {"ents_p": 0.5, "ents_r": 0.7, "per_type": {"PER": {"f": 0.6}}, "docs_per_second": 800.0}
    record("distill+correct", "to-docbin", train_docs=900, dev_docs=100)
    record("distill+correct", "evaluate", ents_f=0.5, **scores)
    record("distill+correct+pretrain", "train", model="m")
    record("distill+correct+pretrain", "evaluate", ents_f=0.58, **scores)
    srsly.write_json(tmp_path / "distill+correct" / "steps" / "correct.json", {"seconds": 10.0, "choices": {}})
    annotated = {"texts": 1000, "tag_seconds": 100.0, "usage": {"calls": 1000}}
    row = summarize(tmp_path, "distill+correct+pretrain", annotated)
    assert row["f1"] == 0.58 and row["kept_sentences"] == 1000 and row["model_docs_per_s"] == 800.0
    assert summarize(tmp_path, "distill+correct+proggen+minilm+relabel+pretrain", annotated) is None  # not run
