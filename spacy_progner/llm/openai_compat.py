"""HTTP transport for any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).

Only `base_url` is ever contacted (no model-name check against api.openai.com,
unlike spacy-llm's OpenAI model). The API key is read from the environment
variable whose *name* is configured, at call time, and lives only in the
request header: it is never part of a cache key, cassette, log line or error.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Optional, Tuple

import httpx

from .protocol import ChatRequest, Choice, LLMError, Usage, parse_openai_response

logger = logging.getLogger("spacy_progner.llm")

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAICompatibleTransport:
    name = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: Optional[str] = "OPENAI_API_KEY",
        max_concurrency: int = 4,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        context_length: int = 8192,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise LLMError(f"OpenAICompatible base_url must start with http:// or https://, got {base_url!r}")
        if max_concurrency < 1:
            raise LLMError(f"OpenAICompatible max_concurrency must be >= 1, got {max_concurrency}")
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.max_concurrency = max_concurrency
        self.context_length = context_length
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), limits=httpx.Limits(max_connections=max_concurrency)
        )

    def identity(self) -> str:
        return f"{self.base_url}#{self.model}"

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if key:
                headers["Authorization"] = f"Bearer {key}"
            elif "api.openai.com" in self.base_url:
                raise LLMError(
                    f"OpenAICompatible: environment variable {self.api_key_env} is not set (needed for {self.base_url})"
                )
        return headers

    def _wait(self, attempt: int, retry_after: Optional[str]) -> float:
        delay = min(self.max_backoff, self.backoff * (2**attempt)) * (0.5 + random.random() / 2)
        if retry_after:  # the server knows best when to come back
            try:
                delay = min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return delay

    def _redact(self, text: str) -> str:
        """Remove the API key from server text (a proxy's error page may echo it)."""
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        return text.replace(key, "***") if key else text

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        body = request.to_openai(self.model)
        last = ""
        for attempt in range(self.max_retries + 1):
            retry_after = None
            with self._slots:
                try:
                    response = self._client.post(self.url, json=body, headers=self._headers())
                except httpx.TimeoutException:
                    last = f"no answer within the {self.timeout:g} s timeout"
                except httpx.TransportError as err:
                    last = f"connection failed ({type(err).__name__}: {err})"
                else:
                    if response.status_code == 200:
                        try:
                            data = response.json()
                        except ValueError as err:
                            text = self._redact(response.text[:200])
                            raise LLMError(f"{self.url}: answer is not JSON: {text!r}") from err
                        return parse_openai_response(data, self.url)
                    last = f"HTTP {response.status_code}: {self._redact(response.text[:300])}"
                    if response.status_code not in RETRY_STATUS:
                        raise LLMError(f"{self.url}: request {request.describe()} was refused: {last}")
                    retry_after = response.headers.get("retry-after")
            if attempt < self.max_retries:
                delay = self._wait(attempt, retry_after)
                logger.warning("%s: %s; retry %d/%d in %.1f s", self.url, last, attempt + 1, self.max_retries, delay)
                time.sleep(delay)
        raise LLMError(
            f"{self.url}: gave up after {self.max_retries + 1} attempts for request {request.describe()}: {last}. "
            "Check that the server is up, or raise `timeout` / `max_retries` in the model config."
        )
