"""In-process llama.cpp through xllamacpp: the embedded default transport.

xllamacpp's `Server.handle_chat_completions` takes the same OpenAI request
dict we send over HTTP, runs llama.cpp's server loop (continuous batching over
`n_parallel` slots, prompt-prefix caching) and releases the GIL, so concurrent
threads really share the model. The model is loaded lazily on the first call,
so building or loading a pipeline costs nothing until the model is used.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from ..errors import SettingsError
from .default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256, ensure_default_model
from .protocol import ChatRequest, Choice, LLMError, Usage, parse_openai_response

# Loaded models, keyed by their settings: two components on one model load it once.
_SERVERS: Dict[tuple, Any] = {}
_SERVERS_LOCK = threading.Lock()


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def reload_local_model(**settings: Any) -> None:
    """Unload every in-process model, then load the one with `settings` (LocalGGUFTransport's
    arguments) afresh. llama.cpp keeps past prompts in RAM and reuses them for any later prompt
    that shares a prefix, so a timing pass over prompts the process has already seen would be
    measured up to twice too fast; benchmarks time each configuration on a freshly loaded model
    (loaded here, outside their timer)."""
    with _SERVERS_LOCK:
        _SERVERS.clear()
    gc.collect()
    _ = LocalGGUFTransport(**settings).server


N_CTX = 4096  # context tokens per parallel slot
N_PARALLEL = 4  # sequences llama.cpp batches together


class LocalGGUFTransport:
    name = "local-gguf"

    def __init__(
        self,
        model_path: Optional[str] = None,
        n_ctx: int = N_CTX,
        n_parallel: int = N_PARALLEL,
        n_threads: Optional[int] = None,
        n_batch: int = 512,
    ):
        if n_ctx < 256:
            raise SettingsError(f"LocalGGUF n_ctx must be at least 256, got {n_ctx}")
        if n_parallel < 1:
            raise SettingsError(f"LocalGGUF n_parallel must be >= 1, got {n_parallel}")
        self.model_path = model_path
        if model_path is not None and not Path(model_path).expanduser().is_file():
            raise LLMError(f"LocalGGUF model_path {model_path!r} is not a file")
        self.n_ctx = n_ctx
        self.n_parallel = n_parallel
        self.max_concurrency = n_parallel
        self.context_length = n_ctx
        self.n_threads = n_threads or _cpu_count()
        self.n_batch = n_batch
        self._resolved: Optional[Path] = None

    def identity(self) -> str:
        if self.model_path is None:
            return f"{DEFAULT_MODEL_NAME}@{DEFAULT_MODEL_SHA256[:16]}"
        path = Path(self.model_path).expanduser()
        return f"{path.name}@{path.stat().st_size}"

    def resolved_path(self) -> Path:
        if self._resolved is None:
            self._resolved = Path(self.model_path).expanduser() if self.model_path else ensure_default_model()
        return self._resolved

    def make_params(self) -> Any:
        """llama.cpp parameters: quiet, all cores, `n_ctx` tokens per parallel slot."""
        try:
            import xllamacpp
        except ImportError as err:  # pragma: no cover - xllamacpp is a dependency
            raise LLMError("LocalGGUF needs the package xllamacpp: pip install xllamacpp") from err
        params = xllamacpp.CommonParams()
        params.model.path = str(self.resolved_path())
        params.n_parallel = self.n_parallel
        params.n_ctx = self.n_ctx * self.n_parallel
        params.n_batch = self.n_batch
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        params.verbosity = -1
        params.warmup = False
        return params

    @property
    def server(self) -> Any:
        """The loaded xllamacpp Server, shared by every transport with the same settings in this process."""
        settings = (str(self.resolved_path()), self.n_ctx, self.n_parallel, self.n_threads, self.n_batch)
        with _SERVERS_LOCK:
            if settings not in _SERVERS:
                import xllamacpp

                params = self.make_params()
                try:
                    _SERVERS[settings] = xllamacpp.Server(params)
                except Exception as err:
                    raise LLMError(f"LocalGGUF: llama.cpp could not load {params.model.path}: {err}") from err
            return _SERVERS[settings]

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        where = f"LocalGGUF({self.identity()})"
        try:
            data = self.server.handle_chat_completions(request.to_openai())
        except LLMError:
            raise
        except Exception as err:
            raise LLMError(f"{where}: llama.cpp rejected request {request.describe()}: {err}") from err
        return parse_openai_response(data, where)
