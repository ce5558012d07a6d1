"""`build-pipeline` passes the tagging settings a saved pipeline needs (the OTHER outlet, the kind check,
the build's seed) into the pipe it saves. Replayed from tests/cassettes/reverse_ner_other.jsonl: the same
build as `other_nlp(..., other_names=True, k=2)` recorded from the embedded model."""

from __future__ import annotations

import json

import reverse_ner_fixtures as F
import spacy
import srsly
from typer.testing import CliRunner

from spacy_progner.cli._app import app
from spacy_progner.ner.labels import OTHER


def test_build_pipeline_saves_a_pipe_with_the_outlet_and_its_library(tmp_path):
    texts, labels, model = tmp_path / "texts.txt", tmp_path / "labels.yml", tmp_path / "model.json"
    texts.write_text("\n".join(F.TASK_TEXTS) + "\n", encoding="utf8")
    srsly.write_yaml(labels, F.OTHER_LABELS)
    model.write_text(json.dumps(F.replay_block(F.OTHER_CASSETTE)), encoding="utf8")
    b = F.BUILD
    build = {"--n-clusters": b["n_clusters"], "--entities-per-type": b["entities_per_type"],
             "--expansions": b["expansions_per_feature"], "--seed": b["seed"], "--k": 2}  # fmt: skip
    args = ["build-pipeline", str(texts), str(labels), str(tmp_path / "pipe"), "--other-names", "--model", str(model)]
    args += [str(x) for option, value in build.items() for x in (option, value)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    pipe = spacy.load(tmp_path / "pipe").get_pipe("reverse_ner")
    assert pipe.tagger.s.other_names and not pipe.tagger.s.kind_check
    assert OTHER in {label for example in pipe.library.examples for _, label in example["entities"]}
