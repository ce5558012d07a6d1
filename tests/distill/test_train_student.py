"""`train-student`: `spacy train` for the transformer student with its steps grown with the training texts,
so a corpus twice the size is seen as often as the one its config was measured on."""

from __future__ import annotations

import distill_fixtures as F
import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.distill.student import MEASURED_TRAIN_TEXTS, scaled_steps
from spacy_progner.errors import SettingsError
from spacy_progner.ner.domain import DomainSpec

STUDENT = F.ROOT / "configs" / "train_minilm.cfg"


def _run(args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.replace("│", " ").split())


def test_the_students_steps_learning_rate_and_patience_grow_with_the_texts_never_below_the_config():
    training = spacy.util.load_config(STUDENT, interpolate=False)["training"]
    steps, patience = training["max_steps"], training["patience"]
    twice = scaled_steps(training, 2 * MEASURED_TRAIN_TEXTS)
    assert twice == {
        "training.max_steps": 2 * steps,
        "training.patience": 2 * patience,
        "training.optimizer.learn_rate.total_steps": 2 * steps,
    }
    few = scaled_steps(training, MEASURED_TRAIN_TEXTS // 4)
    assert few["training.max_steps"] == steps and few["training.patience"] == patience
    with pytest.raises(SettingsError, match="training.max_steps must be >= 1"):
        scaled_steps({**training, "max_steps": 0}, 100)


def test_train_student_trains_the_configs_steps_scales_them_on_request_and_names_missing_data(tmp_path):
    """A small CNN config stands in for the student (its own 2 steps, seconds instead of minutes): 2 steps
    by default, and with --scale-steps 2 per MEASURED_TRAIN_TEXTS texts become 4 on twice as many;
    --training.max_steps is kept."""
    config = tmp_path / "small.cfg"
    overrides = {"training.max_steps": 2, "training.eval_frequency": 1, "training.patience": 2}
    spacy.util.load_config(F.ROOT / "configs" / "train.cfg", overrides=overrides, interpolate=False).to_disk(config)
    to_docbin(DomainSpec.load(F.DOMAIN), F.pattern_corpus(2 * MEASURED_TRAIN_TEXTS * 10 // 9), tmp_path, seed=0)
    data = ["--paths.train", tmp_path / "train.spacy", "--paths.dev", tmp_path / "dev.spacy"]
    metrics = tmp_path / "metrics.json"
    result, output = _run(["train-student", config, tmp_path / "fixed", *data, "--metrics", metrics])
    assert result.exit_code == 0, output
    record = srsly.read_json(metrics)  # by default the config's own steps, whatever the texts
    assert (record["train_texts"], record["max_steps"], record["patience"], record["scaled"]) == (1800, 2, 2, False)
    result, output = _run(["train-student", config, tmp_path / "model", *data, "--metrics", metrics, "--scale-steps"])
    assert result.exit_code == 0, output
    record = srsly.read_json(metrics)
    assert (record["train_texts"], record["max_steps"], record["patience"], record["scaled"]) == (1800, 4, 4, True)
    assert spacy.load(tmp_path / "model" / "model-last").config["training"]["max_steps"] == 4
    given = ["--training.max_steps", "3", "--metrics", metrics, "--scale-steps"]
    result, output = _run(["train-student", config, tmp_path / "given", *data, *given])
    assert result.exit_code == 0 and srsly.read_json(metrics)["max_steps"] == 3, output
    assert srsly.read_json(metrics)["scaled"] is False
    result, output = _run(["train-student", config, tmp_path / "none", "--paths.train", tmp_path / "nothing.spacy"])
    assert result.exit_code == 1 and "paths.train" in output and "nothing.spacy" in output
    result, output = _run(["train-student", config, tmp_path / "none", "--metrics", metrics])
    assert result.exit_code == 1 and "give --paths.train" in output
    (tmp_path / "empty").mkdir()  # a folder without a .spacy file
    result, output = _run(["train-student", config, tmp_path / "none", *data[:2], "--paths.dev", tmp_path / "empty"])
    assert result.exit_code == 1 and "paths.dev" in output and "no DocBin" in output
