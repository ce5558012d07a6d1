"""Registered model functions (spacy-llm `llm_models` registry, entry-point group `thinc_llm_models`).

Each returns a ChatModel, usable both by this project's methods and as the
`model` of any spacy-llm `llm` component.
"""

from __future__ import annotations

from typing import Optional

from spacy_llm.registry import registry

from .cache import ResponseCache, default_cache_path
from .local import N_CTX, N_PARALLEL, LocalGGUFTransport
from .model import ChatModel
from .openai_compat import OpenAICompatibleTransport
from .replay import ReplayTransport


def _cache(cache: bool, cache_path: Optional[str]) -> Optional[ResponseCache]:
    if not cache:
        return None
    return ResponseCache(cache_path or default_cache_path())


@registry.llm_models("spacy_progner.LocalGGUF.v1")
def make_local_gguf(
    model_path: Optional[str] = None,
    n_ctx: int = N_CTX,
    n_parallel: int = N_PARALLEL,
    n_threads: Optional[int] = None,
    cache: bool = True,
    cache_path: Optional[str] = None,
    max_tokens: int = 512,
    temperature: float = 0.0,
) -> ChatModel:
    """In-process llama.cpp; `model_path=None` is the embedded Qwen2.5-Coder-1.5B-Instruct Q4_K_M.

    n_ctx: context tokens per parallel slot. n_parallel: concurrent sequences
    (continuous batching). max_tokens/temperature apply to spacy-llm prompts.
    """
    transport = LocalGGUFTransport(model_path=model_path, n_ctx=n_ctx, n_parallel=n_parallel, n_threads=n_threads)
    return ChatModel(transport, cache=_cache(cache, cache_path), max_tokens=max_tokens, temperature=temperature)


@registry.llm_models("spacy_progner.OpenAICompatible.v1")
def make_openai_compatible(
    base_url: str,
    model: str,
    api_key_env: Optional[str] = "OPENAI_API_KEY",
    max_concurrency: int = 4,
    timeout: float = 120.0,
    max_retries: int = 5,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    context_length: int = 8192,
    cache: bool = True,
    cache_path: Optional[str] = None,
    max_tokens: int = 512,
    temperature: float = 0.0,
) -> ChatModel:
    """Any OpenAI-compatible server; the key is read from the env var named `api_key_env`."""
    transport = OpenAICompatibleTransport(
        base_url=base_url,
        model=model,
        api_key_env=api_key_env,
        max_concurrency=max_concurrency,
        timeout=timeout,
        max_retries=max_retries,
        backoff=backoff,
        max_backoff=max_backoff,
        context_length=context_length,
    )
    return ChatModel(transport, cache=_cache(cache, cache_path), max_tokens=max_tokens, temperature=temperature)


@registry.llm_models("spacy_progner.Replay.v1")
def make_replay(
    path: str,
    mode: str = "replay",
    model: Optional[ChatModel] = None,
    max_tokens: int = 512,
    temperature: float = 0.0,
) -> ChatModel:
    """Answers from a cassette; `mode="record"` records what `model` answers into it."""
    return ChatModel(
        ReplayTransport(path, mode=mode, model=model), cache=None, max_tokens=max_tokens, temperature=temperature
    )
