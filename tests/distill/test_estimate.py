"""Without gold: held-out texts of the teacher's labels (`to-docbin --heldout-share`) and `estimate`, which
compares the shipped model and the student with the teacher there and warns where the shipped one falls short."""

from __future__ import annotations

import distill_fixtures as F
import pytest
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.distill.estimate import EstimateSettings, warnings_for
from spacy_progner.errors import StepError
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
    assert warnings_for({"shipped": 0.68, "student": 0.70}, {"PER": 400}, settings) == []
    low = warnings_for({"shipped": 0.41}, {}, settings)
    assert len(low) == 1 and "F1 0.410 only" in low[0]


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
