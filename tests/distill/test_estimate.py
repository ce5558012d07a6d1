"""Without gold: held-out texts of the teacher's labels (`to-docbin --heldout-share`) and `estimate`, which
compares the shipped model and the student with the teacher there and warns where the shipped one falls short."""

from __future__ import annotations

import distill_fixtures as F
import numpy as np
import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.training import Example
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.corpus.evaluate import predict
from spacy_progner.distill.estimate import EstimateSettings, intervals, micro_f1, text_counts, warnings_for
from spacy_progner.errors import SettingsError, StepError
from spacy_progner.ner.domain import DomainSpec


@pytest.fixture(scope="module")
def spec():
    return DomainSpec.load(F.DOMAIN)


def _texts(path):
    import spacy

    return {doc.text for doc in DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)}


def test_held_out_texts_are_in_neither_train_nor_dev_and_reviewed_ones_are_never_held_out(spec, tmp_path):
    samples = F.pattern_corpus(40)
    samples = [{**x, "sentence": f"{x['sentence']} ({x['id']})"} for x in samples]  # every text its own
    reviewed = [{**samples[0], "reviewed": True}]
    m = to_docbin(spec, samples, tmp_path, seed=0, heldout_share=0.25, reviewed=reviewed)
    held, train, dev = (_texts(tmp_path / f"{name}.spacy") for name in ("heldout", "train", "dev"))
    assert m["heldout_docs"] == len(held) == round(0.25 * 39)
    assert not held & (train | dev) and len(held | train | dev) == 40
    assert samples[0]["sentence"] not in held
    with pytest.raises(StepError, match="heldout_share must be in"):
        to_docbin(spec, samples, tmp_path, heldout_share=0.6)


def test_warnings_name_the_gap_the_low_agreement_and_the_thin_types():
    settings = EstimateSettings()
    gap = warnings_for({"shipped": 0.62, "student": 0.70}, {"PER": 400, "LOC": 12}, settings)
    assert len(gap) == 2 and "8.0 points below the student" in gap[0] and "type LOC has 12" in gap[1]
    assert "ship the student" in gap[0] and "did not close" in gap[0]  # the advice the benchmark's curve backs
    assert warnings_for({"shipped": 0.68, "student": 0.70}, {"PER": 400}, settings) == []
    low = warnings_for({"shipped": 0.41}, {}, settings)
    assert len(low) == 1 and "F1 0.410 only" in low[0]


def test_the_interval_narrows_with_more_held_out_texts_and_the_gap_is_resampled_in_pairs():
    settings = EstimateSettings()
    texts = [(1, 1, 1), (0, 1, 1), (1, 2, 1), (2, 2, 2)]  # agreed, model's, teacher's per text
    few, many = intervals({"shipped": texts}, settings), intervals({"shipped": texts * 25}, settings)
    f1 = 2 * 4 / (6 + 5)  # the micro F1 of all the texts lies inside both intervals
    assert few["shipped"][0] < many["shipped"][0] <= f1 <= many["shipped"][1] < few["shipped"][1]
    same = intervals({"shipped": texts, "student": texts}, settings)
    assert same["gap"] == [0.0, 0.0]  # the same texts drawn for both models: no spread of their difference
    with pytest.raises(StepError, match="same held-out texts"):
        intervals({"shipped": texts, "student": texts[:2]}, settings)
    with pytest.raises(SettingsError, match="level"):
        EstimateSettings(level=1.0)
    with pytest.raises(SettingsError, match="min_heldout"):
        EstimateSettings(min_heldout=-1)


def test_few_held_out_texts_are_warned_about_with_the_interval():
    settings = EstimateSettings()
    rough = warnings_for({"shipped": 0.6}, {}, settings, {"shipped": [0.45, 0.72]}, n_heldout=25)
    assert len(rough) == 1 and "25 held-out texts" in rough[0] and "0.450 to 0.720" in rough[0]
    assert warnings_for({"shipped": 0.6}, {}, settings, {"shipped": [0.55, 0.65]}, n_heldout=100) == []
    gap = warnings_for({"shipped": 0.6, "student": 0.7}, {}, settings, {"gap": [0.04, 0.16]})
    assert "interval 4.0 to 16.0" in gap[0]


def test_estimate_compares_the_models_with_the_teacher_on_held_out_texts(spec, tmp_path):
    from spacy.cli.train import train

    to_docbin(spec, F.pattern_corpus(60), tmp_path, seed=0, heldout_share=0.2)
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"),
                 "training.max_steps": 40, "training.eval_frequency": 20}  # fmt: skip
    train(F.ROOT / "configs" / "train.cfg", tmp_path / "model", use_gpu=-1, overrides=overrides)
    model = str(tmp_path / "model" / "model-last")
    out = tmp_path / "estimate.json"
    args = ["estimate", model, str(tmp_path / "heldout.spacy"), "--student", model, "--train"]
    result = CliRunner().invoke(
        app, [*args, str(tmp_path / "train.spacy"), "--output", str(out), "--min-entities", "100"]
    )
    assert result.exit_code == 0, result.output
    record = srsly.read_json(out)
    assert record["agreement"]["shipped"] == record["agreement"]["student"]  # the same model twice
    assert record["scores"]["shipped"]["docs"] == 12
    counts = text_counts(predict(model, tmp_path / "heldout.spacy"))  # text by text, spaCy's scorer's agreement
    nlp = spacy.load(model)  # spaCy's own evaluation of the same model and texts gives the same agreement
    refs = list(DocBin().from_disk(tmp_path / "heldout.spacy").get_docs(nlp.vocab))
    evaluated = nlp.evaluate([Example(nlp.make_doc(ref.text), ref) for ref in refs])
    assert round(evaluated["ents_f"], 4) == record["agreement"]["shipped"]
    assert float(micro_f1(np.sum(counts, axis=0))) == pytest.approx(record["agreement"]["shipped"], abs=1e-4)
    assert sum(n for _, n, _ in counts) > 0  # the model marks something, so the figures are not 0 = 0
    lo, hi = record["interval"]["shipped"]
    assert lo <= record["agreement"]["shipped"] <= hi and record["interval"]["gap"] == [0.0, 0.0]
    assert any("rests on 12 held-out texts" in w for w in record["warnings"])
    assert record["train_entities_per_type"]["PER"] > record["train_entities_per_type"]["LOC"] > 0
    assert any("type LOC has" in w for w in record["warnings"]) and "type LOC has" in " ".join(result.output.split())


def test_estimate_names_a_missing_held_out_set(tmp_path):
    (tmp_path / "model").mkdir()
    result = CliRunner().invoke(app, ["estimate", str(tmp_path / "model"), str(tmp_path / "heldout.spacy")])
    compact = "".join(result.output.replace("│", "").split())  # the error box may wrap the path anywhere
    assert result.exit_code in (1, 2) and "heldout.spacy" in compact and "Traceback" not in result.output


def test_to_docbin_takes_the_workflow_default_of_no_review_log_and_names_a_missing_one(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    srsly.write_jsonl(corpus, F.pattern_corpus(20))
    base = ["to-docbin", str(F.DOMAIN), str(corpus), str(tmp_path / "db"), "--metrics", str(tmp_path / "m.json")]
    result = CliRunner().invoke(app, [*base, "--reviewed", "", "--heldout-share", "0.1"])
    assert result.exit_code == 0, result.output
    assert srsly.read_json(tmp_path / "m.json")["heldout_docs"] == 2
    missing = CliRunner().invoke(app, [*base, "--reviewed", str(tmp_path / "reviewed.jsonl")])
    output = " ".join(missing.output.replace("│", " ").split())
    assert missing.exit_code == 1 and "reviewed.jsonl is not a file" in output


def test_estimate_names_an_empty_held_out_set(spec, tmp_path):
    to_docbin(spec, F.pattern_corpus(20), tmp_path, seed=0)  # heldout_share 0: heldout.spacy holds no text
    (tmp_path / "model").mkdir()
    result = CliRunner().invoke(app, ["estimate", str(tmp_path / "model"), str(tmp_path / "heldout.spacy")])
    output = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 1 and "heldout.spacy holds no text" in output and "--heldout-share" in output
