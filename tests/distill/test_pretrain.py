"""`pretrain`: spaCy's pretraining of the CNN's tok2vec on unlabelled texts, resumable, and a start that
`spacy train --paths.init_tok2vec` takes."""

from __future__ import annotations

import distill_fixtures as F
import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.distill.pretrain import PretrainSettings, last_epoch
from spacy_progner.errors import SettingsError
from spacy_progner.ner.domain import DomainSpec

CONFIG = F.ROOT / "configs" / "train.cfg"


def _run(args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.replace("│", " ").split())


def test_pretrain_writes_weights_resumes_and_starts_a_training(tmp_path):
    from spacy.cli.train import train

    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(x["sentence"] for x in F.pattern_corpus(120)) + "\n\n", encoding="utf8")
    out, metrics = tmp_path / "pretrain", tmp_path / "pretrain.json"
    base = ["pretrain", texts, out, "--config", CONFIG, "--metrics", metrics]
    result, _ = _run([*base, "--max-epochs", "2"])
    assert result.exit_code == 0, result.output
    record = srsly.read_json(metrics)
    assert record["texts"] == 120 and record["epochs"] == 2 and record["words_seen"] > 0
    assert record["last_epoch_loss"] > 0  # the last epoch's, not the 0 spaCy logs beside model-last.bin
    assert last_epoch(out) == (out / "model1.bin", 1) and (out / "model-last.bin").is_file()
    first = (out / "model1.bin").read_bytes()
    result, output = _run([*base, "--max-epochs", "3"])  # one epoch more, from the saved one
    assert result.exit_code == 0 and "Resuming from epoch: 2" in output
    assert last_epoch(out)[1] == 2 and (out / "model1.bin").read_bytes() == first
    spec = DomainSpec.load(F.DOMAIN)
    to_docbin(spec, F.pattern_corpus(24), tmp_path, seed=0)
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"),
                 "paths.init_tok2vec": str(out / "model-last.bin"), "training.max_steps": 10}  # fmt: skip
    train(CONFIG, tmp_path / "model", use_gpu=-1, overrides=overrides)
    nlp = spacy.load(tmp_path / "model" / "model-last")
    assert nlp.config["paths"]["init_tok2vec"] == str(out / "model-last.bin") and "ner" in nlp.pipe_names


def test_pretrain_names_bad_settings_an_empty_text_file_and_a_config_without_the_block(tmp_path):
    with pytest.raises(SettingsError, match="max_epochs must be a whole number >= 1, got 0"):
        PretrainSettings(max_epochs=0)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf8")
    result, output = _run(["pretrain", empty, tmp_path / "out", "--config", CONFIG, "--metrics", tmp_path / "m.json"])
    assert result.exit_code == 1 and "no text" in output and "Traceback" not in result.output
    texts = tmp_path / "texts.txt"
    texts.write_text("Anna Berg moved to Graz last year .\n", encoding="utf8")
    bare = tmp_path / "bare.cfg"
    bare.write_text(CONFIG.read_text(encoding="utf8").split("[pretraining]")[0], encoding="utf8")
    result, output = _run(["pretrain", texts, tmp_path / "out", "--config", bare, "--metrics", tmp_path / "m.json"])
    assert result.exit_code == 1 and "bare.cfg has no [pretraining] block" in output
