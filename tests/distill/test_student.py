"""The transformer student's shape-aware listener (`spacy_progner.CasedListener.v1`): the uncased embedder
cannot tell "Apple" from "apple"; with the listener the student's ner can."""

from __future__ import annotations

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
