"""What `--model` means, for every command and benchmark: `local` (the embedded default),
`gguf:PATH` (any GGUF file, in-process), or a JSON/YAML file holding a registry block such as
{"@llm_models": "spacy_progner.OpenAICompatible.v1", "base_url": "...", "model": "..."}.

`model_block` gives the block (what a pipeline config stores), `load_model` the model itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

from ..errors import ProgNERError
from ..files import read_data_file
from .cache import ResponseCache
from .model import ChatModel

LOCAL = "spacy_progner.LocalGGUF.v1"
REPLAY = "spacy_progner.Replay.v1"
OPENAI = "spacy_progner.OpenAICompatible.v1"


class ModelSpecError(ProgNERError, ValueError):
    """`--model` names no usable model; the message says which value and why."""


def model_block(spec: str, cache_path: Optional[str] = None) -> Dict[str, Any]:
    """The @llm_models block `spec` names, with `cache_path` added where the block sets none (a replayed
    cassette is its own record and gets none)."""
    if spec in ("local", "embedded", ""):
        block: Dict[str, Any] = {"@llm_models": LOCAL}
    elif spec.startswith("gguf:"):
        block = {"@llm_models": LOCAL, "model_path": spec[5:]}
    else:
        hint = f" (--model {spec!r}: not 'local', 'gguf:PATH' or an existing JSON/YAML model file)"
        block = read_data_file(Path(spec), "--model", ModelSpecError, hint=hint)
        if not isinstance(block, dict) or "@llm_models" not in block:
            raise ModelSpecError(
                f"--model {spec}: expected a mapping with '@llm_models' (e.g. spacy_progner.OpenAICompatible.v1)"
            )
        block = dict(block)
    if cache_path and block["@llm_models"] != REPLAY and "cache_path" not in block:
        block["cache_path"] = str(cache_path)
    return block


def load_model(spec: str, cache_path: Optional[str] = None, max_concurrency: Optional[int] = None) -> ChatModel:
    """The model `spec` names; every answer goes through the cache at `cache_path` when one is given.
    `max_concurrency` (requests in flight) overrides an OpenAI-compatible block's own setting, and is the
    number of threads that ask any other transport."""
    block = model_block(spec, cache_path)
    if max_concurrency is not None and block["@llm_models"] == OPENAI:
        block["max_concurrency"] = max_concurrency
    name = block["@llm_models"]
    model = _built(block, spec)
    if model.cache is None and cache_path:
        model.cache = ResponseCache(cache_path)
    if max_concurrency is not None and name != OPENAI:
        model.transport.max_concurrency = max_concurrency
    return model


def _built(block: Dict[str, Any], spec: str) -> ChatModel:
    """The model of an `@llm_models` block; a block inside it (Replay recording another model) is built
    first, as spaCy's config would build it."""
    from spacy_llm.registry import registry

    settings = dict(block)
    name = settings.pop("@llm_models")
    try:
        factory = registry.llm_models.get(name)
    except Exception as err:  # catalogue.RegistryError
        raise ModelSpecError(f"--model {spec}: unknown @llm_models {name!r}") from err
    for key, value in settings.items():
        if isinstance(value, dict) and "@llm_models" in value:
            settings[key] = _built(value, spec)
    model = factory(**settings)
    if not isinstance(model, ChatModel):
        raise ModelSpecError(f"--model {spec}: {name} is not a spacy-progner model (JSON schemas and log-probs needed)")
    return model
