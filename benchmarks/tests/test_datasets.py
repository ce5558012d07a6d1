"""Reading tokens + BIO tags into Docs, and the fixed benchmark samples."""

from __future__ import annotations

import json

import pytest
import spacy
from bench.datasets import datasets_root, mentions

from spacy_progner.corpus.bio import bio_spans, read_bio, row_to_doc, sample_rows


def test_bio_spans_handle_stray_i_tags_and_filtering():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-MISC", "B-ORG", "I-PER"]
    assert bio_spans(tags) == [(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "MISC"), (6, 7, "ORG"), (7, 8, "PER")]
    assert bio_spans(tags, keep={"PER", "LOC", "ORG"}) == [(0, 2, "PER"), (3, 5, "LOC"), (6, 7, "ORG"), (7, 8, "PER")]


def test_row_to_doc_and_mentions():
    row = {"tokens": ["Ada", "Lovelace", "visited", "Paris", "."], "tags": ["B-PER", "I-PER", "O", "B-LOC", "O"]}
    doc = row_to_doc(spacy.blank("en").vocab, row, keep={"PER"})
    assert [(e.text, e.label_) for e in doc.ents] == [("Ada Lovelace", "PER")]
    assert mentions(row) == [("Ada Lovelace", "PER"), ("Paris", "LOC")]


def test_samples_are_fixed_by_seed():
    rows = [{}] * 100
    assert sample_rows(rows, 10, 7) == sample_rows(rows, 10, 7) != sample_rows(rows, 10, 8)
    assert sample_rows(rows, 200, 7) == list(range(100))


def test_bad_split_is_a_clear_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"tokens": ["a", "b"], "tags": ["O"]}\n', encoding="utf8")
    with pytest.raises(ValueError, match="line 1 needs 'tokens' and 'tags'"):
        read_bio(path)


@pytest.mark.skipif(not (datasets_root() / "conll2003" / "test.jsonl").exists(), reason="shared datasets not here")
def test_real_conll_test_split_reads():
    rows = read_bio(datasets_root() / "conll2003" / "test.jsonl")
    assert len(rows) == 3453
    assert sum(len(bio_spans(r["tags"])) for r in rows) == 5648  # as the datasets README counts


@pytest.mark.skipif(not (datasets_root() / "conll2003" / "test.jsonl").exists(), reason="shared datasets not here")
def test_bench_ner_summarize_only_tabulates_finished_rows_without_the_model(tmp_path, monkeypatch):
    from bench import reverse_ner as benchmark

    from spacy_progner.reverse_ner.build import BuildSettings

    def no_model(**_):
        raise AssertionError("summarize-only must not load a model")

    monkeypatch.setattr(benchmark.select, "load_model", no_model)
    (tmp_path / "conll2003").mkdir()
    row = {"dataset": "conll2003", "config": "k0", "docs": 150, "p": 0.5, "r": 0.4, "f": 0.4444, "per_type": {}}
    (tmp_path / "conll2003" / "k0.json").write_text(json.dumps(row))
    summary = {"examples": 55, "features": 64, "seconds": 957.4, "usage": {}, "counts": {}}
    (tmp_path / "conll2003" / "library-summary.json").write_text(json.dumps(summary))
    report = benchmark.run(
        ["conll2003"], ["k0", "library"], 150, 2024, tmp_path, None, 4, 5, BuildSettings(), summarize_only=True
    )
    assert [r["config"] for r in report["results"]] == ["k0"]  # the library row was never run: left out
    assert report["libraries"]["conll2003"]["examples"] == 55
    table = benchmark.markdown(report)
    assert "| k0 | 0.500 | 0.400 | 0.444 | 0.000 | 0.000 | 0.000 | – | – | – |" in table
    assert "55 examples from 64 feature sentences" in table


@pytest.mark.skipif(not (datasets_root() / "conll2003" / "test.jsonl").exists(), reason="shared datasets not here")
def test_bench_ner_retime_keeps_the_quality_pass(tmp_path, monkeypatch):
    """--retime replaces a finished row's timing and leaves its scores and first-pass usage as they are."""
    from bench import reverse_ner as benchmark

    from spacy_progner.reverse_ner.build import BuildSettings

    timed = []

    def fake_timing(config, refs, *_):
        timed.append((config, len(refs)))
        return {"docs": len(refs), "docs_per_s": 9.0}

    monkeypatch.setattr(benchmark, "time_config", fake_timing)
    (tmp_path / "conll2003").mkdir()
    usage = {"calls": 150, "cache_hits": 0}
    row = {"dataset": "conll2003", "config": "k0", "f": 0.44, "per_type": {}, "usage": usage, "timing": {"x": 1}}
    (tmp_path / "conll2003" / "k0.json").write_text(json.dumps(row))
    args = (["conll2003"], ["k0"], 150, 2024, tmp_path, None, 4, 5, BuildSettings())
    benchmark.run(*args, time_n=30)
    assert timed == []  # timed already: nothing to do
    benchmark.run(*args, time_n=30, retime=True)
    assert timed == [("k0", 30)]
    saved = json.loads((tmp_path / "conll2003" / "k0.json").read_text())
    assert saved["timing"] == {"docs": 30, "docs_per_s": 9.0}
    assert saved["f"] == 0.44 and saved["usage"] == usage


@pytest.mark.skipif(not (datasets_root() / "mit_restaurant").exists(), reason="shared datasets not here")
def test_mit_sets_take_their_domain_spec_and_a_library_text_outside_the_annotated_sample():
    from bench.datasets import ANNOTATE_N, library_texts, split_texts
    from bench.reverse_ner import dataset_task, markdown

    from spacy_progner.reverse_ner.build import BuildSettings

    labels, build = dataset_task("mit_restaurant", BuildSettings(n_clusters=64))
    assert list(labels)[:3] == ["Location", "Amenity", "Cuisine"] and len(labels) == 8
    assert build.domain == "spoken queries about restaurants" and build.n_clusters == 64
    news, news_build = dataset_task("conll2003", BuildSettings())
    assert set(news) == {"PER", "LOC", "ORG"} and news_build.domain == ""
    with pytest.raises(ValueError, match="unknown dataset 'ontonotes'"):
        dataset_task("ontonotes", BuildSettings())
    sample, texts = split_texts("mit_restaurant")
    assert len(sample) == ANNOTATE_N and texts == library_texts("mit_restaurant")
    assert len(texts) == len(read_bio(datasets_root() / "mit_restaurant" / "train.jsonl")) - ANNOTATE_N
    row = {"dataset": "mit_restaurant", "config": "k0", "p": 0.5, "r": 0.5, "f": 0.5, "per_type": {"Dish": {"f": 0.25}}}
    report = {"n": 150, "seed": 2024, "results": [row], "labels": {"mit_restaurant": list(labels)}, "libraries": {}}
    table = markdown(report)
    assert "| configuration | P | R | F1 | Location F1 | Amenity F1 |" in table
    assert "| k0 | 0.500 | 0.500 | 0.500 | 0.000 | 0.000 | 0.000 | 0.000 | 0.250 |" in table


@pytest.mark.skipif(not (datasets_root() / "mit_restaurant").exists(), reason="shared datasets not here")
def test_the_tuning_split_is_the_annotated_train_sample_which_no_library_reads():
    from bench.datasets import eval_rows, library_texts, split_texts, text_of

    tune = eval_rows("mit_restaurant", "tune")
    assert tune == split_texts("mit_restaurant")[0]
    assert not {text_of(r) for r in tune} & set(library_texts("mit_restaurant"))
    assert eval_rows("mit_restaurant") == read_bio(datasets_root() / "mit_restaurant" / "test.jsonl")
    with pytest.raises(ValueError, match="unknown benchmark split 'dev'"):
        eval_rows("mit_restaurant", "dev")


@pytest.mark.skipif(not (datasets_root() / "mit_restaurant").exists(), reason="shared datasets not here")
def test_the_fresh_split_is_the_test_split_without_the_reported_sample():
    from bench.datasets import eval_rows, eval_sample, test_sample, text_of

    fresh, reported = eval_rows("mit_restaurant", "fresh"), test_sample("mit_restaurant")
    assert len(fresh) == len(eval_rows("mit_restaurant")) - len(reported)
    sample = eval_sample("mit_restaurant", "fresh", 150, 2024)  # the reported sample's seed, other sentences
    assert len(sample) == 150 and not {text_of(r) for r in sample} & {text_of(r) for r in reported}
