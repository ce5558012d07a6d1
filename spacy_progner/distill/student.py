"""The transformer student: all-MiniLM-L6-v2 (the embedder `reverse_ner` already ships) fine-tuned
under spaCy's `ner`, for `configs/train_minilm.cfg`.

Why: a thousand LLM-labelled sentences are too few for spaCy's CNN, which starts from nothing; a
small pretrained transformer learns from them what the CNN cannot (distillation benchmark). The
model comes from the installed package, never from a hub, so the config names it, not a path.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

from spacy.tokens import DocBin
from spacy.training.corpus import walk_corpus
from spacy.util import load_config, registry

from ..errors import SettingsError
from ..reverse_ner.embed import DEFAULT_EMBEDDER, embedder_path

# configs/train_minilm.cfg's steps were measured on 900 training texts (the distillation benchmark's 1,000
# annotated texts less their dev tenth): a larger corpus keeps that many steps per text
MEASURED_TRAIN_TEXTS = 900


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


def scaled_steps(training: Dict[str, Any], train_texts: int) -> Dict[str, Any]:
    """Overrides that train the student for as many steps per text as its config's `training` block does
    on `MEASURED_TRAIN_TEXTS` texts, never fewer than the config's own: with fixed steps a corpus twice as
    large is seen half as often (benchmarks/distill, `--scaled-student`). The learning rate's decay
    (`warmup_linear`'s total_steps) and the patience stretch with the steps."""
    steps = configured_steps(training)
    return stretched_steps(training, max(steps, round(steps * train_texts / MEASURED_TRAIN_TEXTS)))


def configured_steps(training: Dict[str, Any]) -> int:
    """The config's own training.max_steps, refused by name where there is none to scale."""
    steps = training["max_steps"]
    if not isinstance(steps, int) or steps < 1:
        raise SettingsError(f"train-student: the config's training.max_steps must be >= 1 to scale, got {steps!r}")
    return steps


def stretched_steps(training: Dict[str, Any], steps: int) -> Dict[str, Any]:
    """Overrides that train for `steps` steps with the learning rate's decay (`warmup_linear`'s
    total_steps) and the patience stretched in the same ratio, so the schedule keeps its shape."""
    ratio = steps / configured_steps(training)
    overrides: Dict[str, Any] = {"training.max_steps": steps, "training.patience": round(training["patience"] * ratio)}
    learn_rate = training["optimizer"]["learn_rate"]  # a schedule block, or one fixed rate
    if isinstance(learn_rate, dict) and "total_steps" in learn_rate:
        overrides["training.optimizer.learn_rate.total_steps"] = steps
    return overrides


def count_docs(path: Path, what: str) -> int:
    """The texts of a training DocBin, or of the .spacy files of a folder, found as spaCy's corpus finds them."""
    with warnings.catch_warnings():  # spaCy's warning of an empty folder: the error below says it
        warnings.simplefilter("ignore")
        files = walk_corpus(path, ".spacy") if path.exists() else []
    if not files:
        raise SettingsError(f"train-student: {what} {path} is no DocBin (.spacy) and no folder of them")
    return sum(len(DocBin().from_disk(f)) for f in files)


def train_student(
    config_path: Path, output: Path, overrides: Dict[str, Any], gpu_id: int = -1, scale_steps: bool = False
) -> Dict[str, Any]:
    """`spacy train` of the student; with `scale_steps` its steps scaled to the training texts
    (`scaled_steps`). Off by default: on the distillation benchmark's larger corpora the scaled student did
    not raise the shipped CNN on average and took two to three times as long (docs/configs.md). A
    training.max_steps among `overrides` is the user's choice and is kept as given."""
    from spacy.cli.train import train

    config = load_config(config_path, overrides=overrides, interpolate=False)
    texts: Dict[str, int] = {}
    for key in ("train", "dev"):  # named here, not as a traceback from inside spaCy's training
        if not config["paths"].get(key):
            raise SettingsError(f"train-student: {config_path} names no {key} data: give --paths.{key}")
        texts[key] = count_docs(Path(config["paths"][key]), f"paths.{key}")
    train_texts = texts["train"]
    given = "training.max_steps" in overrides
    scaled = scaled_steps(config["training"], train_texts) if scale_steps and not given else {}
    train(config_path, output, use_gpu=gpu_id, overrides={**overrides, **scaled})
    steps = scaled.get("training.max_steps", config["training"]["max_steps"])
    patience = scaled.get("training.patience", config["training"]["patience"])
    return {"train_texts": train_texts, "max_steps": steps, "patience": patience, "scaled": bool(scaled)}
