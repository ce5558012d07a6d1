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
