"""The transformer student: all-MiniLM-L6-v2 (the embedder `reverse_ner` already ships) fine-tuned
under spaCy's `ner`, for `configs/train_minilm.cfg`.

Why: a thousand LLM-labelled sentences are too few for spaCy's CNN, which starts from nothing; a
small pretrained transformer learns from them what the CNN cannot (distillation benchmark). The
model comes from the installed package, never from a hub, so the config names it, not a path.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from spacy.util import registry

from ..errors import SettingsError
from ..reverse_ner.embed import DEFAULT_EMBEDDER, embedder_path


@registry.architectures("spacy_progner.EmbedderTransformer.v1")
def make_embedder_transformer(
    get_spans: Callable,
    name: str = DEFAULT_EMBEDDER,
    tokenizer_config: Optional[dict] = None,
    transformer_config: Optional[dict] = None,
):
    """spacy-transformers' TransformerModel.v3 on the packaged embedder (or a local model directory).
    A saved pipeline carries the weights, so loading it needs neither the package nor the path."""
    try:
        from spacy_transformers.architectures import create_TransformerModel_v3
    except ImportError as err:  # pragma: no cover - spacy-transformers is a declared dependency
        raise ImportError("the transformer student needs spacy-transformers: pip install spacy-transformers") from err
    return create_TransformerModel_v3(
        embedder_path(name), get_spans, dict(tokenizer_config or {}), dict(transformer_config or {})
    )


@registry.architectures("spacy_progner.CasedListener.v1")
def make_cased_listener(
    pooling,
    grad_factor: float = 1.0,
    upstream: str = "*",
    width: int = 64,
    attrs: Sequence[str] = ("SHAPE", "PREFIX", "SUFFIX"),
    rows: Sequence[int] = (1000, 2500, 2500),
):
    """The transformer's token vectors joined with a small hash embedding of each word's shape, prefix and
    suffix: what the uncased embedder cannot see. all-MiniLM-L6-v2 lowercases its input, so "Apple" the
    company and "apple" the fruit reach the student's `ner` as the same word pieces; spaCy's own CNN reads
    the word's shape (capitals, digits), and this gives the student the same. Takes the arguments of
    `spacy-transformers.TransformerListener.v1`, so a config switches by its `@architectures` line alone."""
    from spacy.ml.models.tok2vec import MultiHashEmbed
    from spacy_transformers.architectures import transformer_listener_tok2vec_v1
    from thinc.api import Model, concatenate

    if width < 1:
        raise SettingsError(f"spacy_progner.CasedListener.v1: width must be >= 1, got {width}")
    if len(rows) != len(attrs):
        raise SettingsError(f"spacy_progner.CasedListener.v1: {len(attrs)} attrs need as many rows, got {list(rows)}")
    listener = transformer_listener_tok2vec_v1(pooling, grad_factor, upstream)
    shapes = MultiHashEmbed(width=width, attrs=list(attrs), rows=list(rows), include_static_vectors=False)
    model: Model = concatenate(listener, shapes)
    model.set_ref("listener", listener.get_ref("listener"))
    return model
