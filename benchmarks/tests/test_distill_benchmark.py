"""The distillation benchmark scores a corpus against hidden gold by character spans; committed corpora hold no text."""

from __future__ import annotations

import json


def test_benchmark_scores_the_corpus_by_character_spans_and_round_trips_without_text():
    from bench.distill.corpus import gold_char_spans, score_corpus, with_text, without_text

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
    from bench.distill.report import summarize

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


def test_a_rows_estimate_is_its_agreement_with_the_teachers_held_out_labels_and_skipped_without_a_model(tmp_path):
    import distill_fixtures as F
    import spacy
    from bench.distill.students import estimate_step
    from bench.proggen import Bench
    from spacy.cli.train import train
    from spacy.tokens import DocBin

    from spacy_progner.corpus.docbin import ALIGNMENT_MODE, samples_to_docs, to_docbin
    from spacy_progner.corpus.evaluate import evaluate_model
    from spacy_progner.ner.domain import DomainSpec

    spec = DomainSpec.load(F.DOMAIN)
    samples = [{**x, "sentence": f"{x['sentence']} ({x['id']})"} for x in F.pattern_corpus(50)]
    folder, heldout = tmp_path / "row", tmp_path / "teacher-heldout.spacy"
    to_docbin(spec, samples[:40], folder, seed=0)
    # the teacher's labels of ten texts the row never sees
    docs, _, _ = samples_to_docs(spacy.blank("en"), samples[40:], list(spec.types), ALIGNMENT_MODE)
    DocBin(docs=docs).to_disk(heldout)
    bench = Bench(tmp_path, lambda: None, force=False)
    estimate_step(bench, folder, heldout)
    assert not (folder / "steps" / "estimate.json").exists()  # no model: nothing to estimate
    overrides = {"paths.train": str(folder / "train.spacy"), "paths.dev": str(folder / "dev.spacy"),
                 "training.max_steps": 40, "training.eval_frequency": 20}  # fmt: skip
    train(F.ROOT / "configs" / "train.cfg", folder / "model", use_gpu=-1, overrides=overrides)
    estimate_step(bench, folder, heldout)
    record = json.loads((folder / "steps" / "estimate.json").read_text(encoding="utf8"))
    assert record["agreement"] == evaluate_model(folder / "model" / "model-best", heldout)["ents_f"]
    assert record["interval"][0] <= record["agreement"] <= record["interval"][1]


def test_calibration_says_how_far_and_in_which_order_the_estimate_follows_the_real_f1():
    from bench.distill.render import calibration

    rows = {"a": {"agreement_f1": 0.8, "f1": 0.6}, "b": {"agreement_f1": 0.7, "f1": 0.55},
            "c": {"agreement_f1": 0.6, "f1": 0.58}, "d": {"agreement_f1": None, "f1": 0.9}}  # fmt: skip
    cal = calibration(rows)
    assert cal["rows"] == 3 and round(cal["mean_gap"], 4) == round((-0.2 - 0.15 - 0.02) / 3, 4)
    assert (round(cal["min_gap"], 2), round(cal["max_gap"], 2)) == (-0.2, -0.02)
    assert cal["spearman"] == 0.5  # a and c in order, b out of it
    assert calibration({"a": rows["a"], "d": rows["d"]}) is None  # one row: no calibration
    assert (cal["with_interval"], cal["inside_interval"]) == (0, 0)  # rows estimated before intervals
    rows["a"]["agreement_interval"], rows["b"]["agreement_interval"] = [0.55, 0.85], [0.6, 0.8]
    cal = calibration(rows)
    assert (cal["with_interval"], cal["inside_interval"]) == (2, 1)  # a's 0.6 inside, b's 0.55 below


def test_a_learning_curve_row_books_its_share_of_the_annotation_and_sizes_are_checked(tmp_path):
    import pytest
    import srsly
    from bench.distill import run
    from bench.distill.names import curve_name
    from bench.distill.report import summarize

    from spacy_progner.errors import SettingsError

    name = curve_name("distill+correct+minilm", 250)
    scores = {"ents_f": 0.5, "ents_p": 0.5, "ents_r": 0.5, "per_type": {}, "docs_per_second": 90.0}
    for row, step, fields in ((name, "to-docbin", {"train_docs": 585, "dev_docs": 65}), (name, "evaluate", scores),
                              ("distill+correct", "correct", {"seconds": 100.0, "choices": {}})):  # fmt: skip
        (tmp_path / row / "steps").mkdir(parents=True, exist_ok=True)
        srsly.write_json(tmp_path / row / "steps" / f"{step}.json", {"step": step, **fields})
    annotated = {"texts": 1000, "tag_seconds": 900.0, "usage": {"calls": 1000}}
    row = summarize(tmp_path, name, annotated)
    assert row["annotated_texts"] == 250 and row["llm_usage"]["seconds"] == 250.0  # (900 + 100) / 4
    assert row["llm_per_1000_kept"]["seconds"] == 1000.0 and row["agreement_f1"] is None
    with pytest.raises(SettingsError, match="--sizes"):
        run(["conll2003"], tmp_path, 1000, 2, 0, None, sizes=[250, 1000])


def test_the_held_out_line_says_when_another_build_of_the_library_labelled_the_held_out_texts():
    """Libraries are not committed: the held-out step may build one again, and the reader must be told when
    the teacher of the estimate is not the build that annotated the corpus."""
    from bench.distill.render import _library_note

    assert "66 examples; the one that annotated the corpus had 49" in _library_note({"heldout": 66, "annotate": 49})
    assert _library_note({"heldout": 49, "annotate": 49}) == ""
    assert _library_note({}) == ""


def test_more_text_lies_past_the_sample_and_its_rows_book_both_annotations(tmp_path, monkeypatch):
    """`--more N`: N train rows outside the annotation sample (fixed by the seed), and a `distill+more` row
    counts the sample's annotation and the texts past it, with its own correction."""
    import pytest
    import srsly
    from bench.datasets import ENV, more_rows, split_texts
    from bench.distill import run
    from bench.distill.names import MORE, variant_name
    from bench.distill.report import summarize

    from spacy_progner.errors import SettingsError

    rows = [{"tokens": [f"w{i}", "."], "tags": ["O", "O"]} for i in range(30)]
    (tmp_path / "data" / "toy").mkdir(parents=True)
    srsly.write_jsonl(tmp_path / "data" / "toy" / "train.jsonl", rows)
    monkeypatch.setenv(ENV, str(tmp_path / "data"))
    sample = split_texts("toy", 10, 0)[0]
    extra = more_rows("toy", 5, 10, 0)
    assert len(extra) == 5 and not {r["tokens"][0] for r in extra} & {r["tokens"][0] for r in sample}
    assert extra == more_rows("toy", 5, 10, 0) and more_rows("toy", 100, 10, 0) == [r for r in rows if r not in sample]

    name = variant_name(MORE, "distill+correct+minilm")
    scores = {"ents_f": 0.6, "ents_p": 0.6, "ents_r": 0.6, "per_type": {}, "docs_per_second": 90.0}
    past = {"texts": 1000, "more": 1000, "tag_seconds": 1100.0, "usage": {"calls": 500}}
    records = ((name, "to-docbin", {"train_docs": 1800, "dev_docs": 200}), (name, "evaluate", scores),
               (f"{MORE}+correct", "correct", {"seconds": 300.0, "choices": {}}), (MORE, "annotate", past))  # fmt: skip
    for row, step, fields in records:
        (tmp_path / row / "steps").mkdir(parents=True, exist_ok=True)
        srsly.write_json(tmp_path / row / "steps" / f"{step}.json", {"step": step, **fields})
    annotated = {"texts": 1000, "tag_seconds": 900.0, "usage": {"calls": 500}}
    row = summarize(tmp_path, name, annotated)
    assert row["annotated_texts"] == 2000 and row["llm_usage"]["seconds"] == 900.0 + 1100.0 + 300.0
    assert row["llm_usage"]["calls"] == 1000 and row["llm_per_1000_kept"]["calls"] == 500
    with pytest.raises(SettingsError, match="--more"):
        run(["conll2003"], tmp_path, 1000, 2, 0, None, more=[1000, 0])


def test_a_larger_more_corpus_keeps_the_smaller_ones_texts_and_books_every_chunk(tmp_path, monkeypatch):
    """Past the first chunk, `--more N` draws the smaller corpus's texts first and goes on from its labels:
    only the chunk it adds is tagged, a fresh clone rebuilds both from their committed offsets without a
    call, and its rows count the sample's, the first chunk's and the new chunk's annotation."""
    from types import SimpleNamespace

    import bench.datasets as datasets
    import srsly
    from bench.distill import corpus, names, report
    from bench.distill.more import more_corpus
    from bench.proggen import Bench

    from spacy_progner.corpus.bio import text_of
    from spacy_progner.files import write_jsonl

    rows = [{"tokens": [f"w{i}", "."], "tags": ["O", "O"]} for i in range(40)]
    (tmp_path / "data" / "toy").mkdir(parents=True)
    srsly.write_jsonl(tmp_path / "data" / "toy" / "train.jsonl", rows)
    monkeypatch.setenv(datasets.ENV, str(tmp_path / "data"))
    monkeypatch.setattr(datasets, "MORE_CHUNK", 5)
    monkeypatch.setattr(names, "MORE_CHUNK", 5)
    sample = datasets.split_texts("toy", 10, 0)[0]
    first, second = datasets.more_rows("toy", 5, 10, 0), datasets.more_rows("toy", 8, 10, 0)
    assert second[:5] == first and len({text_of(r) for r in [*sample, *second]}) == 18
    assert names.more_variant(5) == names.MORE and names.more_variant(8) == "distill+more8"

    tagged = []

    class FakeShared:
        dataset, labels, rows = "toy", ["PER"], sample
        folder = tmp_path / "out" / "toy" / "shared"

        def annotate(self):
            path = tmp_path / "sample.jsonl"
            write_jsonl(
                path, [{"id": f"train-{i}", "sentence": text_of(r), "entities": []} for i, r in enumerate(sample)]
            )
            return path

        def library(self):
            return SimpleNamespace(features=[])

        def tag_rows(self, rows, prefix, step, offsets, library, first):
            tagged.append((first, len(rows)))
            out = [{"id": f"{prefix}-{first + i}", "sentence": text_of(r), "entities": []} for i, r in enumerate(rows)]
            write_jsonl(offsets, corpus.without_text(out))
            usage = {"calls": len(rows)}
            return out, {"texts": len(rows), "tag_seconds": 10.0 * len(rows), "usage": usage, "gold": {"f": 1.0}}

    bench = Bench(tmp_path / "out", lambda: SimpleNamespace(ledger=None), force=False)
    path = more_corpus(bench, FakeShared(), sample + second, 8)
    assert tagged == [(10, 5), (15, 3)] and path.parent.name == "distill+more8"
    assert [x["sentence"] for x in srsly.read_jsonl(path)] == [text_of(r) for r in sample + second]
    for folder in (names.MORE, "distill+more8"):  # a fresh clone: offsets and records only
        (tmp_path / "out" / "toy" / folder / "annotated.jsonl").unlink()
    tagged.clear()
    assert list(srsly.read_jsonl(more_corpus(bench, FakeShared(), sample + second, 8))) == list(srsly.read_jsonl(path))
    assert tagged == [] and names.more_variants(tmp_path / "out" / "toy") == [names.MORE, "distill+more8"]
    booked = report.more_annotated(
        tmp_path / "out" / "toy", {"texts": 10, "tag_seconds": 1.0, "usage": {"calls": 5}}, "distill+more8"
    )
    assert booked == {"texts": 18, "tag_seconds": 81.0, "usage": {"calls": 13}}


def test_more_line_scores_the_new_texts_and_names_another_build():
    """The more-text corpus's summary line: the new texts' label F1 apart from the whole corpus's, and the
    library build that labelled them when it is not the sample's (libraries are built again per machine)."""
    from bench.distill.render import more_line

    prf = lambda f: {"f": f, "p": f, "r": f}  # noqa: E731
    t = {"more": 1000, "sample": 1000, "more_gold": prf(0.465), "corpus_gold": prf(0.475),
         "corrected_gold": prf(0.49), "library_examples": {"more": 44, "sample": 54}}  # fmt: skip
    line = more_line(t)
    assert "the 1,000 train texts after the sample labelled at 0.465" in line and "the 2,000-text corpus 0.475" in line
    assert "a build of 44 examples (the sample's 1,000 by one of 54)" in line and "after correction 0.490" in line
    same = more_line({**t, "corrected_gold": None, "library_examples": {"more": 54, "sample": 54}})
    assert "build" not in same and "correction" not in same and "cache" not in line
    resumed = more_line({**t, "cache_hits": 241})
    assert "241 of its tagging requests were answered from the LLM cache" in resumed and "undercount" in resumed
    third = more_line({**t, "more": 2000, "past": 1000})  # going on from the `--more 1000` corpus
    assert "the 1,000 train texts after the `--more 1000` corpus's 2,000 labelled" in third
    assert "the 3,000-text corpus" in third


def test_a_user_corpus_takes_the_first_texts_of_the_sample_and_refuses_another_size(tmp_path, monkeypatch):
    """`bench user-corpus --texts N`: N within the annotation sample, and a finished corpus of another size is
    named, not silently reused (no model is loaded before either check)."""
    import pytest
    import srsly
    from bench.datasets import ENV
    from bench.proggen import Bench
    from bench.user_corpus import FOLDER, user_corpus

    from spacy_progner.errors import SettingsError

    rows = [{"tokens": [f"w{i}", "."], "tags": ["O", "O"]} for i in range(30)]
    (tmp_path / "data" / "wikigold").mkdir(parents=True)
    srsly.write_jsonl(tmp_path / "data" / "wikigold" / "train.jsonl", rows)
    monkeypatch.setenv(ENV, str(tmp_path / "data"))
    bench = Bench(tmp_path / "out", lambda: pytest.fail("no model may be loaded"), force=False)
    args = {"k": 2, "folds": 5, "seed": 0, "cache_path": None, "train_config": None}
    with pytest.raises(SettingsError, match="between 1 and 30, got 31"):
        user_corpus(bench, "wikigold", 31, args)
    record = tmp_path / "out" / "wikigold" / FOLDER / "steps" / "annotate.json"
    record.parent.mkdir(parents=True)
    srsly.write_json(record, {"step": "annotate", "texts": 10})
    with pytest.raises(SettingsError, match="bench user-corpus --texts 20: .* made with --texts 10"):
        user_corpus(bench, "wikigold", 20, args)


def test_extras_only_runs_the_flagged_rows_and_leaves_the_base_rows_to_their_records(tmp_path, monkeypatch):
    """`--extras-only`: on a machine without the base rows' models, a `--more` run trains only its own rows."""
    import bench.distill as distill
    from bench.proggen import Bench

    class FakeShared:
        def __init__(self, bench, dataset, *args):
            self.dataset, self.folder, self.rows, self.labels = dataset, tmp_path / dataset / "shared", [], ["PER"]

        def annotate(self):
            return tmp_path / "annotated.jsonl"

        def crosscheck(self, *args):
            raise AssertionError("the base corpus is corrected from its committed record")

        def pretrain(self, config):
            return tmp_path / "weights.bin"

        def heldout(self):
            return tmp_path / "heldout.spacy"

    ran = []
    # patched on the package: `run_dataset` (in its `__init__`) looks them up there, not in their own modules
    monkeypatch.setattr(distill, "Shared", FakeShared)
    monkeypatch.setattr(distill, "corrected", lambda bench, folder, *args: folder / "corrected.jsonl")
    monkeypatch.setattr(distill, "base_rows", lambda *args: ran.append("base") or {"distill": {}})
    monkeypatch.setattr(distill, "more_text_rows", lambda *args: ran.append("more") or {"distill+more": {}})
    monkeypatch.setattr(distill, "estimate_step", lambda bench, folder, heldout: ran.append(folder.name))
    for name in ("test-data", "speed", "speed-students"):  # finished steps: records on disk, no model
        (tmp_path / "toy" / "shared" / "steps").mkdir(parents=True, exist_ok=True)
        (tmp_path / "toy" / "shared" / "steps" / f"{name}.json").write_text("{}")
    (tmp_path / "toy" / "test.spacy").write_bytes(b"")
    bench = Bench(tmp_path, lambda: None, force=False)
    args = {"n": 10, "k": 2, "seed": 0, "cache_path": None, "folds": 2, "train_config": None, "pretrain": True}
    rows = distill.run_dataset(bench, "toy", None, {**args, "more": [5], "extras_only": True})
    assert ran == ["more", "distill+more"] and list(rows) == ["distill+more"]
    ran.clear()
    distill.run_dataset(bench, "toy", None, {**args, "more": [5]})
    assert ran == ["base", "more", "distill", "distill+more"]


def test_the_scaled_student_keeps_its_steps_per_text_and_needs_the_more_corpus(tmp_path):
    """`--scaled-student`: 2,000 annotated texts (1,800 to train on) train the student twice the config's steps,
    its learning rate decaying and its patience over the same span, as the workflow's `train-student` does; a
    corpus no larger than the sample keeps the config's own steps."""
    import pytest
    import spacy
    import srsly
    from bench.distill import run
    from bench.distill.names import scaled_name
    from bench.distill.students import student_config
    from bench.paths import MINILM_CONFIG
    from bench.proggen import Bench
    from spacy.tokens import DocBin

    from spacy_progner.errors import SettingsError

    own = spacy.util.load_config(MINILM_CONFIG, interpolate=False)["training"]
    bench = Bench(tmp_path, lambda: None, force=False)
    nlp = spacy.blank("en")
    for texts, folder in ((2000, tmp_path / "big"), (600, tmp_path / "small")):
        folder.mkdir()  # the row's training texts: its annotated texts less the dev tenth
        DocBin(docs=[nlp.make_doc(f"text {i}") for i in range(texts * 9 // 10)]).to_disk(folder / "train.spacy")
        training = spacy.util.load_config(student_config(bench, folder, texts), interpolate=False)["training"]
        record = srsly.read_json(folder / "steps" / "student-config.json")
        assert training["max_steps"] == record["max_steps"] == training["optimizer"]["learn_rate"]["total_steps"]
        assert training["patience"] == record["patience"] and record["train_texts"] == texts * 9 // 10
        if texts == 2000:
            assert training["max_steps"] == 2 * own["max_steps"] and training["patience"] == 2 * own["patience"]
        else:
            assert training["max_steps"] == own["max_steps"] and training["patience"] == own["patience"]
    assert scaled_name("distill+more+correct+minilm+relabel+pretrain") == (
        "distill+more+correct+minilm+scaled+relabel+pretrain"
    )
    with pytest.raises(SettingsError, match="--scaled-student"):
        run(["conll2003"], tmp_path, 1000, 2, 0, None, scaled_student=True)


def test_a_fixed_steps_student_stretches_its_schedule_and_names_its_rows(tmp_path):
    """`--student-steps N`: the student trains N steps whatever its texts, its learning rate's decay and its
    patience stretched in the same ratio; its rows say the steps; a step count below 1 is refused by name."""
    import pytest
    import spacy
    from bench.distill import run
    from bench.distill.names import steps_name
    from bench.distill.students import student_config
    from bench.paths import MINILM_CONFIG
    from bench.proggen import Bench
    from spacy.tokens import DocBin

    from spacy_progner.errors import SettingsError

    own = spacy.util.load_config(MINILM_CONFIG, interpolate=False)["training"]
    folder = tmp_path / "row"
    folder.mkdir()
    DocBin(docs=[spacy.blank("en").make_doc(f"text {i}") for i in range(900)]).to_disk(folder / "train.spacy")
    path = student_config(Bench(tmp_path, lambda: None, force=False), folder, 1000, 3 * own["max_steps"])
    training = spacy.util.load_config(path, interpolate=False)["training"]
    assert training["max_steps"] == training["optimizer"]["learn_rate"]["total_steps"] == 3 * own["max_steps"]
    assert training["patience"] == 3 * own["patience"]
    assert (
        steps_name("distill+correct+minilm+relabel+pretrain", 800) == "distill+correct+minilm+steps800+relabel+pretrain"
    )
    with pytest.raises(SettingsError, match="--student-steps"):
        run(["conll2003"], tmp_path, 1000, 2, 0, None, student_steps=[800, 0])


def test_the_two_pass_line_compares_the_same_build_and_says_when_its_seconds_undercount():
    """The two-pass summary line: the second pass's labels against the same library alone, and a warning
    when some of its requests came from the LLM cache (a run restarted after a stop times its last leg only)."""
    from bench.distill.render import two_pass_line

    prf = lambda f: {"f": f, "p": f, "r": f}  # noqa: E731
    t = {"first_pass": 500, "user_demos": {"added": 119, "gold": prf(0.841)}, "second_pass_gold": prf(0.673),
         "one_pass_gold": prf(0.674), "corpus_one_pass_gold": prf(0.666), "corpus_gold": prf(0.674),
         "corrected_gold": prf(0.668), "same_build_corrected_gold": prf(0.670), "second_pass_cache_hits": 241,
         "library_examples": {"two_pass": 186, "one_pass": 67, "corpus": 49}}  # fmt: skip
    line = two_pass_line(t)
    assert "119 joined the library (label F1 0.841)" in line and "by the library alone 0.674" in line
    assert "another build, 49 examples" in line and "after correction 0.670" in line
    assert "241 of the second pass's requests were answered from the LLM cache" in line
    assert "cache" not in two_pass_line({**t, "second_pass_cache_hits": 0})


def test_a_rows_line_carries_its_models_speed_and_a_dash_where_none_was_timed():
    """benchmark.md's table: each distilled row's docs/s on the test split beside its F1 and LLM cost; rows
    scored in another harness (ProgGen's, real-train) have no timing and show a dash, not a zero."""
    from bench.distill.render import TABLE_HEAD, row_line

    row = {"f1": 0.5, "p": 0.5, "r": 0.5, "per_type_f1": {"LOC": 0.5}, "kept_sentences": 900,
           "llm_per_1000_kept": {"calls": 1200.0, "seconds": 3600.0}, "agreement_f1": 0.52,
           "model_docs_per_s": 1461.6}  # fmt: skip
    cells = row_line("conll2003", "distill+correct", row).split(" | ")
    assert len(cells) == TABLE_HEAD[1].count("|") - 1 and "docs/s" in TABLE_HEAD[0].split(" | ")[-1]
    assert cells[-3:] == ["3600", "0.520", "1462 |"]
    untimed = row_line("conll2003", "real-train", {**row, "model_docs_per_s": None}).split(" | ")
    assert untimed[-1] == "– |" and untimed[-4] == "–"
