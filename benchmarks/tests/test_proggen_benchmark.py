"""The benchmark's bookkeeping: usage per 1,000 kept sentences, the Markdown table, resuming finished steps."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import proggen_fixtures as F
import srsly
from bench.proggen import Bench, markdown, summarize, with_earlier_legs

from spacy_progner.llm import Usage


def test_summary_counts_llm_usage_per_1000_kept_sentences():
    steps = [
        {"step": "attributes", "seconds": 10.0, "usage": {"calls": 5, "prompt_tokens": 1000, "completion_tokens": 100}},
        {"step": "generate", "seconds": 50.0, "kept_sentences": 400, "usage": {"calls": 150, "prompt_tokens": 60000}},
        {"step": "correct", "seconds": 5.0, "choices": {"A": 7, "B": 1, "C": 2, "D": 3}, "usage": {"cache_hits": 10}},
        {"step": "train", "seconds": 100.0},
    ]
    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    s = summarize(steps, scores)
    assert s["kept_sentences"] == 400
    assert s["llm_per_1000_kept"] == {"calls": 412.5, "prompt_tokens": 152500.0, "completion_tokens": 250.0}
    assert s["seconds_per_step"]["train"] == 100.0
    table = markdown({"datasets": [{"dataset": "conll2003", "configs": {"x+y+correct": s}}]})
    row = table.splitlines()[2]
    assert row.startswith("| conll2003 | x+y+correct | 400 | 0.500 | 0.600 | 0.430 | – | PER 0.70 | 7/1/2/3 | 412 |")


def test_a_step_resumed_from_saved_state_books_its_earlier_legs(tmp_path):
    """A 1,500-sentence generate runs in legs, resumed after each stop: its record counts every leg's calls and time."""
    model = SimpleNamespace(ledger=None)
    bench = Bench(tmp_path, model_factory=lambda: model)
    first = with_earlier_legs(None, Usage(calls=5, prompt_tokens=500, completion_tokens=50), 40.0)  # saved state
    second = with_earlier_legs(first, Usage(calls=2, prompt_tokens=200), 9.0)  # a leg killed after its save

    def last_leg():
        model.ledger.add(Usage(calls=3, prompt_tokens=300, completion_tokens=30))
        return {"calls": 10, "kept_sentences": 9, "earlier_legs": second}

    record = bench.step(tmp_path / "x", "generate", [], last_leg)
    assert record["usage"]["calls"] == 10 and record["usage"]["prompt_tokens"] == 1000
    assert record["usage"]["completion_tokens"] == 80
    assert record["legs"] == 3 and record["seconds"] >= 49.0 and "earlier_legs" not in record


def test_usage_a_record_lost_is_said_and_not_tabulated_as_too_few_tokens():
    note = "usage covers the last leg only"
    steps = [
        {"step": "generate", "seconds": 5.0, "calls": 256, "kept_sentences": 1500, "usage_incomplete": note,
         "usage": {"calls": 120, "prompt_tokens": 4000, "completion_tokens": 900}},
    ]  # fmt: skip
    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    s = summarize(steps, scores)
    assert s["llm_per_1000_kept"] == {"calls": 170.7, "prompt_tokens": None, "completion_tokens": None}
    table = markdown({"datasets": [{"dataset": "conll2003", "configs": {"simple": s}}]})
    assert "| 171 | – |" in table.splitlines()[2] and f"**conll2003 simple**, generate: {note}" in table


def test_the_tagger_check_is_summarized_and_noted_beside_the_table():
    pool_names = {
        "pool_names_in_sentence": 10,
        "answer": {"agree": 7},
        "tagger": {"agree": 8},
        "pairs": {"agree/agree": 6},
    }
    steps = [
        {"step": "generate", "seconds": 5.0, "kept_sentences": 9, "usage": {"calls": 3}},
        {"step": "tagcheck", "seconds": 9.0, "agree": 20, "disagree": 5, "proposed": 4, "agreement": 0.8,
         "pool_names": pool_names, "tagger": {"calls": 9}, "usage": {"calls": 9}},
    ]  # fmt: skip
    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    s = summarize(steps, scores)
    assert s["tagger_check"] == {"agree": 20, "disagree": 5, "proposed": 4, "agreement": 0.8, "pool_names": pool_names}
    assert summarize(steps[:1], scores)["tagger_check"] is None
    passes = {"x+y+tagcheck": s["tagger_check"]}
    table = markdown({"datasets": [{"dataset": "conll2003", "configs": {"x+y+tagcheck": s}, "tagger_passes": passes}]})
    assert "the tagger agreed with 20 of the answer's 25 annotations (80.0%) and proposed 4 more" in table
    assert "on the 10 required pool names it gave the pool type to 8, the answer to 7" in table
    both = {"x+y+tagcheck": s, "x+y+tagger": s}
    shared = markdown({"datasets": [{"dataset": "conll2003", "configs": both, "tagger_passes": passes}]})
    assert shared.count("the tagger agreed") == 1  # one tagging pass, noted once
    assert "the tagger's pass** (run by x+y+tagcheck; used by x+y+tagcheck, x+y+tagger)" in shared
    alone = markdown({"datasets": [{"dataset": "conll2003", "configs": {"simple": s}, "tagger_passes": passes}]})
    assert "(run by x+y+tagcheck; no configuration using it trained yet)" in alone


def writing_step(out: Path, calls: list):
    """A step that writes its output file and counts its runs; its record says which run wrote it."""

    def step():
        calls.append(1)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("done")
        return {"n": len(calls)}

    return step


def test_finished_steps_are_not_redone(tmp_path):
    calls: list = []
    bench = Bench(tmp_path, model_factory=lambda: None)
    out = tmp_path / "x" / "file.txt"
    step = writing_step(out, calls)
    first = bench.step(tmp_path / "x", "to-docbin", [out], step)
    second = bench.step(tmp_path / "x", "to-docbin", [out], step)
    assert calls == [1] and first == second and first["n"] == 1
    assert srsly.read_json(tmp_path / "x" / "steps" / "to-docbin.json")["step"] == "to-docbin"
    out.unlink()  # an output gone: the step runs again
    bench.step(tmp_path / "x", "to-docbin", [out], step)
    assert calls == [1, 1]


def test_force_redoes_a_shared_step_once_per_run_not_once_per_configuration(tmp_path):
    """`--force` with several configurations: the shared steps (attributes, pools, x+y's generate) are
    asked for by each configuration, and run again only the first time."""
    calls: list = []
    out = tmp_path / "shared" / "file.txt"
    step = writing_step(out, calls)
    Bench(tmp_path, model_factory=lambda: None).step(tmp_path / "shared", "to-docbin", [out], step)
    forced = Bench(tmp_path, model_factory=lambda: None, force=True)
    for _ in ("x+y+correct", "x+y+trustpool"):  # two configurations sharing the step
        record = forced.step(tmp_path / "shared", "to-docbin", [out], step)
    assert calls == [1, 1] and record["n"] == 2  # redone once by the forced run, then reused


def test_collect_tabulates_only_evaluated_configurations_from_the_records(tmp_path):
    from bench.proggen import collect

    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    records = {
        "shared/steps/attributes.json": {"step": "attributes", "seconds": 1.0, "usage": {"calls": 4}},
        "shared/steps/entities.json": {"step": "entities", "seconds": 2.0, "usage": {"calls": 6}},
        "x+y+correct/steps/generate.json": {
            "step": "generate",
            "seconds": 3.0,
            "kept_sentences": 10,
            "usage": {"calls": 5},
        },
        "x+y+correct/steps/correct.json": {
            "step": "correct",
            "seconds": 4.0,
            "choices": {"A": 1},
            "usage": {"calls": 5},
        },
        "x+y+correct/steps/train.json": {"step": "train", "seconds": 5.0},
        "x+y+correct/steps/evaluate.json": {"step": "evaluate", "seconds": 6.0, **scores},
        "simple/steps/generate.json": {"step": "generate", "seconds": 3.0, "kept_sentences": 10, "usage": {"calls": 2}},
        "x+y+tagcheck/steps/tagcheck.json": {"step": "tagcheck", "seconds": 7.0, "agree": 3, "disagree": 1},
    }
    for rel, record in records.items():
        path = tmp_path / "conll2003" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, record)
    report = collect(tmp_path, ["conll2003", "mit_restaurant"], 400, 0)
    assert [d["dataset"] for d in report["datasets"]] == ["conll2003"]
    configs = report["datasets"][0]["configs"]
    assert list(configs) == ["x+y+correct"]  # simple and x+y+tagcheck have not been evaluated yet
    assert report["datasets"][0]["tagger_passes"]["x+y+tagcheck"]["agree"] == 3  # its tagging pass has finished
    r = configs["x+y+correct"]
    assert r["llm_usage"]["calls"] == 20 and r["correction_choices"] == {"A": 1}
    assert list(r["seconds_per_step"]) == ["attributes", "entities", "generate", "correct", "train", "evaluate"]


def test_an_evaluated_configuration_is_not_trained_again_without_its_model(tmp_path):
    """Trained models are gitignored: a fresh checkout with the committed records must not retrain."""
    from bench.proggen import _train_and_eval

    folder = tmp_path / "conll2003" / "simple"
    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    (folder / "steps").mkdir(parents=True)
    srsly.write_json(folder / "steps" / "train.json", {"step": "train", "seconds": 111.0})
    srsly.write_json(folder / "steps" / "evaluate.json", {"step": "evaluate", "seconds": 5.0, **scores})
    bench = Bench(tmp_path, model_factory=lambda: None)
    missing = tmp_path / "no-such-config.cfg"  # training would fail on it
    summary = _train_and_eval(bench, folder, missing, None, tmp_path / "test.spacy", [])
    assert summary["f1"] == 0.5 and summary["seconds_per_step"] == {"train": 111.0, "evaluate": 5.0}
    assert not (folder / "model").exists()


def test_an_unknown_configuration_is_named_before_any_step_runs(tmp_path):
    import pytest
    from bench.proggen import check_configs, run

    from spacy_progner.errors import SettingsError

    assert check_configs(["x+y+trustpool", "simple"]) == ["x+y+trustpool", "simple"]
    with pytest.raises(SettingsError, match=r"unknown configuration\(s\) \['x\+y\+typo'\]"):
        run(["conll2003"], tmp_path, model_factory=lambda: None, configs=["simple", "x+y+typo"])
    assert not any(tmp_path.iterdir())  # nothing was started


def test_report_counts_a_record_that_lost_its_earlier_legs_by_its_own_calls():
    from spacy_progner.proggen.report import step_tables

    usage = {"steps": {"generate": {"calls": 120, "cache_hits": 0, "prompt_tokens": 9}}}
    metrics = {"generate": {"calls": 256, "usage_incomplete": "last leg only", "usage": usage}}
    rows, _, warnings = step_tables(metrics)
    assert rows == [("generate", {"calls": 256, "cache_hits": 0, "prompt_tokens": 9})]
    assert warnings == ["generate: last leg only"]


def test_one_tagging_pass_serves_both_tagger_configurations(tmp_path):
    """x+y+trustpool+tagcheck reads the corpus x+y+correct generated and the marks x+y+tagcheck's pass wrote."""
    from bench.proggen import record_paths

    paths = record_paths(tmp_path, "x+y+trustpool+tagcheck")
    assert paths["generate"] == tmp_path / "x+y+correct" / "steps" / "generate.json"
    assert paths["tagcheck"] == record_paths(tmp_path, "x+y+tagcheck")["tagcheck"]
    assert paths["correct"] == tmp_path / "x+y+trustpool+tagcheck" / "steps" / "correct.json"


def test_extra_training_seeds_are_trained_once_and_reported_beside_the_row(tmp_path):
    """A seed's model is really trained with that seed (its saved config says so); a seed evaluated
    before is not trained again; the row lists the other seeds' F1 and the mean of all."""
    import spacy
    from bench.proggen import _train_and_eval, seeds_cell
    from spacy.tokens import DocBin, Span

    nlp = spacy.blank("en")
    docs = []
    for text, start, end in [("Ana flew to Faro", 0, 1), ("Rui met Ana", 2, 3)] * 2:
        doc = nlp(text)
        doc.ents = [Span(doc, start, end, label="PER")]
        docs.append(doc)
    folder = tmp_path / "conll2003" / "simple"
    folder.mkdir(parents=True)
    for name in ("train", "dev"):
        DocBin(docs=docs).to_disk(folder / f"{name}.spacy")
    DocBin(docs=docs).to_disk(tmp_path / "test.spacy")
    scores = {"ents_f": 0.5, "ents_p": 0.6, "ents_r": 0.43, "per_type": {"PER": {"p": 1, "r": 1, "f": 0.7}}}
    (folder / "steps").mkdir()
    srsly.write_json(folder / "steps" / "evaluate.json", {"step": "evaluate", "seconds": 5.0, **scores})
    srsly.write_json(folder / "steps" / "train.json", {"step": "train", "seconds": 1})
    srsly.write_json(folder / "steps" / "train-seed2.json", {"step": "train-seed2", "seconds": 1})
    srsly.write_json(folder / "steps" / "evaluate-seed2.json", {"step": "evaluate-seed2", "seconds": 1, **scores})
    bench = Bench(tmp_path, model_factory=lambda: None)
    config = Path(__file__).parents[2] / "configs" / "train.cfg"
    summary = _train_and_eval(bench, folder, config, 2, tmp_path / "test.spacy", [], train_seeds=[1, 2])
    saved = spacy.util.load_config(folder / "model-seed1" / "model-last" / "config.cfg")
    assert saved["system"]["seed"] == 1
    assert not (folder / "model-seed2").exists()  # evaluated before: not trained again
    other = summary["f1_other_train_seeds"]
    assert list(other) == ["1", "2"] and other["2"] == 0.5
    assert summary["f1_mean_over_train_seeds"] == round((0.5 + other["1"] + 0.5) / 3, 4)
    assert seeds_cell(summary).startswith("seed 1 ") and seeds_cell({"f1_other_train_seeds": {}}) == "–"


def test_benchmark_report_reads_the_step_records(run, tmp_path):
    """The benchmark's per-corpus report is built from its step records (usage stored as a total per step)."""
    import srsly
    from bench.proggen import _report

    from spacy_progner.files import write_jsonl

    shared, folder = tmp_path / "shared", tmp_path / "x+y+correct"
    usage = run["ledger"].total().to_dict()
    records = {
        (shared, "attributes"): {"step": "attributes", **run["attributes"]["metrics"], "usage": usage},
        (shared, "entities"): {"step": "entities", **run["pools"]["metrics"], "usage": usage},
        (folder, "generate"): {"step": "generate", **run["xy"]["metrics"], "usage": usage},
        (folder, "correct"): {
            "step": "correct",
            **run["corrected"]["metrics"],
            "decisions": run["corrected"]["decisions"],
            "usage": usage,
        },
    }
    for (where, name), record in records.items():
        (where / "steps").mkdir(parents=True, exist_ok=True)
        srsly.write_json(where / "steps" / f"{name}.json", record)
    srsly.write_json(shared / "entities.json", run["pools"]["pools"])
    write_jsonl(folder / "corrected.jsonl", run["corrected"]["samples"])
    out = _report(F.spec(), tmp_path, "x+y+correct", folder / "corrected.jsonl", seed=0)
    html = (folder / "report.html").read_text(encoding="utf8")
    assert out["report"].endswith("report.html")
    for name in ("attributes", "entities", "generate", "correct"):
        assert f'<tr><td>{name}</td><td class="num">{usage["calls"]}</td>' in html
    d = run["corrected"]["decisions"][0]
    assert f"<tr><td>{d['text']}</td><td>{d['label']}</td><td>{d['choice']}</td>" in html  # the decisions table
