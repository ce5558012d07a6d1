"""The transformer student: all-MiniLM-L6-v2 (the embedder `reverse_ner` already ships) fine-tuned
under spaCy's `ner`, for `configs/train_minilm.cfg`.

Why: a thousand LLM-labelled sentences are too few for spaCy's CNN, which starts from nothing; a
small pretrained transformer learns from them what the CNN cannot (distillation benchmark). The
model comes from the installed package, never from a hub, so the config names it, not a path.
"""

from __future__ import annotations

from typing import Callable, Optional

from spacy.util import registry

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
