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


def test_an_out_of_type_row_asks_for_part_of_the_types_and_names_an_unknown_one():
    import pytest
    from bench.reverse_ner import NEWS_LABELS, asked_types

    from spacy_progner.errors import SettingsError
    from spacy_progner.ner import LabelSet

    labels = LabelSet(NEWS_LABELS)
    assert list(asked_types(labels, ["PER", "ORG"], "conll2003")) == ["PER", "ORG"]
    assert asked_types(labels, None, "conll2003") is labels
    with pytest.raises(SettingsError, match=r"\['MISC'\] are not types of conll2003"):
        asked_types(labels, ["PER", "MISC"], "conll2003")


def test_a_build_seed_reaches_the_library_settings_and_gets_a_folder_of_its_own(tmp_path, monkeypatch):
    """`bench ner --build-seed`: three builds of the same settings must not share a library folder, or
    the second and third rows would silently reuse the first build."""
    from bench import cli, reverse_ner
    from typer.testing import CliRunner

    from spacy_progner.reverse_ner.build import BuildSettings

    seen = []
    monkeypatch.setattr(reverse_ner, "run", lambda *args, **kw: seen.append(args[8]) or {"results": []})
    args = ["ner", "--datasets", "conll2003", "--configs", "library", "--build-seed", "2"]
    result = CliRunner().invoke(cli.benchmark_app, [*args, "--output", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert seen[0].seed == 2
    folders = {reverse_ner.library_path("conll2003", BuildSettings(seed=s), tmp_path) for s in (0, 1, 2)}
    assert len(folders) == 3


def test_rows_that_reuse_another_outputs_library_write_its_summary_beside_themselves(tmp_path):
    """`--library-dir OTHER`: the summary of the library a row used goes beside that row, never over the
    summary OTHER's committed rows were measured with."""
    from bench.reverse_ner import Libraries, _library_summary

    from spacy_progner.reverse_ner.build import BuildSettings
    from spacy_progner.reverse_ner.library import ExampleLibrary

    shared, out = tmp_path / "reverse_ner", tmp_path / "reverse_ner_k2_user"
    (shared / "conll2003").mkdir(parents=True)
    (shared / "conll2003" / "library-summary.json").write_text('{"examples": 73}', encoding="utf8")
    libs = Libraries("conll2003", LABELS, BuildSettings(), shared, None)
    libs.made["self"] = ExampleLibrary(examples=[{"sentence": "A b", "entities": [["A", "PER"]], "feature": 0}])
    assert _library_summary(libs, ["library"], True, out)["examples"] == 1
    assert (out / "conll2003" / "library-summary.json").is_file()
    assert (shared / "conll2003" / "library-summary.json").read_text(encoding="utf8") == '{"examples": 73}'


def test_the_every_type_row_is_scored_on_the_asked_types_alone_from_its_per_type_figures():
    """`bench out-of-type`: true positives = R x gold and predictions = true positives / P per type, so a
    row's micro P/R on some types is recovered exactly; a type with P 0 and no hit cannot be counted back."""
    from bench.out_of_type import on_types

    # PER: 8 of 10 found among 16 predicted; ORG: 3 of 6 among 4; LOC not asked (its figures must not count)
    row = {"per_type": {"PER": {"p": 0.5, "r": 0.8}, "ORG": {"p": 0.75, "r": 0.5}, "LOC": {"p": 0.1, "r": 0.9}}}
    got = on_types(row, {"PER": 10, "ORG": 6})
    assert (got["tp"], got["predicted"]) == (11, 20)
    assert (got["p"], got["r"], got["f"]) == (0.55, 0.6875, round(2 * 0.55 * 0.6875 / (0.55 + 0.6875), 4))
    unknown = on_types({"per_type": {"PER": {"p": 0.0, "r": 0.0}}}, {"PER": 4})
    assert unknown["p"] is None and unknown["f"] is None and unknown["r"] == 0.0
    absent = on_types({"per_type": {"PER": {"p": 1.0, "r": 0.5}}}, {"PER": 4, "ORG": 0})  # ORG: none either side
    assert (absent["tp"], absent["predicted"], absent["p"], absent["r"]) == (2, 2, 1.0, 0.5)


def test_rows_of_other_sentences_or_builds_are_not_compared():
    import pytest
    from bench.out_of_type import same_setting

    from spacy_progner.errors import SettingsError

    report = {"split": "test", "n": 150, "seed": 2024, "k": 4, "build": {"n_clusters": 64, "seed": 0}}
    same_setting(report, {**report, "labels": {"x": ["PER"]}}, ("full", "asked"))
    other = {**report, "n": 100, "build": {"n_clusters": 32, "seed": 0}}
    with pytest.raises(SettingsError, match="full and asked differ in n, build.n_clusters"):
        same_setting(report, other, ("full", "asked"))


def test_library_user_takes_its_demos_from_the_corpus_it_is_given(tmp_path):
    """`bench ner --user-corpus`: the `library+user` row's demos come from that cross-checked corpus (a
    larger distillation run's), and a missing one is named with what to give instead."""
    import pytest
    import srsly
    from bench.reverse_ner import Libraries

    from spacy_progner.errors import SettingsError
    from spacy_progner.reverse_ner.build import BuildSettings
    from spacy_progner.reverse_ner.library import ExampleLibrary

    corpus = tmp_path / "crosschecked.jsonl"
    sure = {"text": "Ann", "label": "PER", "start": 0, "end": 3, "agree": True, "confidence": 0.99}
    srsly.write_jsonl(corpus, [{"id": "train-0", "sentence": "Ann sings .", "entities": [sure]}])
    libs = Libraries("conll2003", LABELS, BuildSettings(), tmp_path, None, user_corpus=corpus)
    own = ExampleLibrary(examples=[{"sentence": "Bo runs .", "entities": [["Bo", "PER"]], "feature": 0}],
                         features=["Bo runs ."])  # fmt: skip
    own.embed_all()
    libs.made["self"] = own
    got = libs.get("library+user")
    assert got is not None and [ex["sentence"] for ex in got.examples] == ["Bo runs .", "Ann sings ."]
    missing = Libraries("conll2003", LABELS, BuildSettings(), tmp_path, None, user_corpus=tmp_path / "none.jsonl")
    missing.made["self"] = own
    with pytest.raises(SettingsError, match="none.jsonl is missing.*--user-corpus"):
        missing.get("library+user")
