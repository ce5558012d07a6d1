"""What the students read beyond the uncased embedder: word shapes (`spacy_progner.CasedListener.v1`: the
embedder cannot tell "Apple" from "apple", the student's ner then can) and, for the fast CNN, static
vectors made from the embedder's word pieces (`distill/vectors.py`)."""

from __future__ import annotations

import json

import distill_fixtures as F
import numpy
import pytest
import spacy
from thinc.api import Config

SHAPE = {"components.ner.model.tok2vec.@architectures": "spacy_progner.CasedListener.v1"}


def student(overrides):
    """configs/train_minilm.cfg's pipeline, initialised (no training), with `overrides`."""
    config = spacy.util.load_config(F.ROOT / "configs" / "train_minilm.cfg", overrides=overrides, interpolate=False)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    ner = nlp.get_pipe("ner")
    ner.add_label("ORG")
    nlp.initialize()
    return nlp


def listener(nlp):
    """The ner's tok2vec as the config built it (the parser model chains its own projection after it)."""
    return nlp.get_pipe("ner").model.get_ref("tok2vec").layers[0]


def token_vectors(nlp, text: str) -> numpy.ndarray:
    """What the ner reads for each token of `text`: its tok2vec's output."""
    doc = nlp.get_pipe("transformer")(nlp.make_doc(text))
    return listener(nlp).predict([doc])[0]


@pytest.mark.parametrize("overrides, differ", [({}, False), (SHAPE, True)])
def test_only_the_shape_aware_student_sees_capitals(overrides, differ):
    nlp = student(overrides)
    upper, lower = token_vectors(nlp, "They met Apple today ."), token_vectors(nlp, "They met apple today .")
    assert upper.shape == lower.shape
    assert (not numpy.allclose(upper, lower)) is differ
    if differ:  # the embedder's 384 columns are equal; the 64 of the word's shape, prefix and suffix are not
        assert upper.shape[1] == 384 + 64
        assert numpy.allclose(upper[:, :384], lower[:, :384])
        assert not numpy.allclose(upper[2, 384:], lower[2, 384:])


@pytest.mark.parametrize(
    "setting, value, message", [("width", 0, "width must be >= 1"), ("rows", [10], "need as many rows")]
)
def test_shape_listener_settings_are_checked_when_built(setting, value, message):
    config = Config().from_str(
        "[model]\n@architectures = spacy_progner.CasedListener.v1\n[model.pooling]\n@layers = reduce_mean.v1\n"
    )
    config["model"][setting] = value
    with pytest.raises(ValueError, match=message):
        spacy.util.registry.resolve(config)


def test_static_vectors_come_from_the_embedders_word_pieces_under_every_casing(tmp_path):
    """Each word of the texts gets its word pieces' mean input embedding, under each casing the texts use;
    the table knows that weekdays are alike (the CNN's only source of word meaning beyond its labels)."""
    from spacy_progner.distill.vectors import embedder_vectors

    texts = ["Talks resume on Monday in LONDON .", "london and London , Tuesday or pizza ?"]
    counts = embedder_vectors(texts, tmp_path / "vectors", "en")
    nlp = spacy.load(tmp_path / "vectors")
    assert counts["width"] == nlp.vocab.vectors.shape[1] == 384
    assert counts["words"] == nlp.vocab.vectors.shape[0] < counts["forms"]
    doc = nlp("LONDON london London Monday Tuesday pizza Oslo")
    assert all(t.has_vector for t in doc[:6]) and not doc[6].has_vector  # a word the texts never had
    assert numpy.allclose(doc[0].vector, doc[1].vector) and numpy.allclose(doc[1].vector, doc[2].vector)
    assert doc[3].similarity(doc[4]) > doc[3].similarity(doc[5])


def test_static_vectors_refuse_texts_without_words(tmp_path):
    from spacy_progner.distill.vectors import embedder_vectors
    from spacy_progner.errors import StepError

    with pytest.raises(StepError, match="no word"):
        embedder_vectors(["", "   "], tmp_path / "vectors", "en")


def test_vectors_command_writes_the_table_and_names_a_bad_texts_file(tmp_path):
    from typer.testing import CliRunner

    from spacy_progner.cli import app

    texts = tmp_path / "texts.txt"
    texts.write_text("Talks resume on Monday .\n\nTalks end on Tuesday .\n", encoding="utf8")
    out, metrics = tmp_path / "vectors", tmp_path / "vectors.json"
    result = CliRunner().invoke(app, ["vectors", str(texts), str(out), "--metrics", str(metrics)])
    assert result.exit_code == 0, result.output
    assert spacy.load(out).vocab.vectors.shape == (7, 384)  # talks resume on monday . end tuesday
    assert json.loads(metrics.read_text())["words"] == 7
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf8")
    result = CliRunner().invoke(app, ["vectors", str(empty), str(tmp_path / "none")])
    assert result.exit_code == 1 and "empty.txt" in result.output and "Traceback" not in result.output
