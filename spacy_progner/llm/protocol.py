"""The one chat-completion protocol every part of the project speaks.

A request is an OpenAI-style chat completion. `n` samples are always expanded
into `n` single-sample requests with seeds `seed, seed + 1, ...` so that each
sample is cached, replayed and resumed on its own, whatever the transport.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, List, Optional, Protocol, Tuple, runtime_checkable

from ..errors import ProgNERError, SettingsError

# Bump when the meaning of a cached answer changes (request payload layout).
KEY_VERSION = 1


class LLMError(ProgNERError, RuntimeError):
    """A model call failed in a way the user must act on; the message says where and why."""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf8")).hexdigest()


@dataclass
class ChatRequest:
    messages: List[Dict[str, str]]
    temperature: float = 0.0
    seed: int = 0
    n: int = 1
    max_tokens: int = 512
    json_schema: Optional[Dict[str, Any]] = None
    logprobs: bool = False
    stop: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.messages:
            raise SettingsError("ChatRequest needs at least one message")
        for i, msg in enumerate(self.messages):
            if not isinstance(msg, dict) or set(msg) != {"role", "content"}:
                raise SettingsError(f"ChatRequest message {i} must be a dict with 'role' and 'content', got {msg!r}")
        if self.n < 1:
            raise SettingsError(f"ChatRequest n must be >= 1, got {self.n}")
        if self.max_tokens < 1:
            raise SettingsError(f"ChatRequest max_tokens must be >= 1, got {self.max_tokens}")

    def samples(self) -> List[ChatRequest]:
        """One single-sample request per sample index (seed + i)."""
        return [replace(self, n=1, seed=self.seed + i) for i in range(self.n)]

    def payload(self) -> Dict[str, Any]:
        """Everything that determines the answer; the basis of cache and cassette keys."""
        return asdict(self)

    def key(self, scope: str = "") -> str:
        """Stable hash of this (single-sample) request, optionally scoped to a transport+model."""
        return sha256_hex(canonical_json({"v": KEY_VERSION, "scope": scope, "request": self.payload()}))

    def to_openai(self, model: Optional[str] = None) -> Dict[str, Any]:
        """The request body of POST /chat/completions (also what xllamacpp takes)."""
        body: Dict[str, Any] = {
            "messages": self.messages,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "n": 1,
        }
        if model:
            body["model"] = model
        if self.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": self.json_schema},
            }
        if self.logprobs:
            # llama.cpp returns token log-probs only when top_logprobs >= 1.
            body["logprobs"] = True
            body["top_logprobs"] = 1
        if self.stop:
            body["stop"] = list(self.stop)
        return body

    def describe(self, width: int = 80) -> str:
        """A short human pointer to the request for error messages."""
        last = self.messages[-1]["content"].replace("\n", " ")
        if len(last) > width:
            last = last[: width - 3] + "..."
        return f"{last!r} (seed={self.seed}, temperature={self.temperature})"


@dataclass
class Usage:
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    seconds: float = 0.0

    def __iadd__(self, other: Usage) -> Usage:
        for name in ("calls", "cache_hits", "prompt_tokens", "completion_tokens", "cached_tokens", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Choice:
    text: str
    finish_reason: str = "stop"
    logprobs: Optional[List[Tuple[str, float]]] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "logprobs": self.logprobs}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Choice:
        lps = data.get("logprobs")
        return cls(
            text=data["text"],
            finish_reason=data.get("finish_reason", "stop"),
            logprobs=[(str(t), float(lp)) for t, lp in lps] if lps is not None else None,
        )

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


@dataclass
class ChatResult:
    choices: List[Choice]
    usage: Usage

    @property
    def text(self) -> str:
        return self.choices[0].text


@runtime_checkable
class Transport(Protocol):
    """A backend that answers one single-sample request."""

    name: str
    max_concurrency: int
    context_length: int

    def identity(self) -> str:
        """Model identity for cache keys (never contains secrets)."""

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        """Answer a request with n == 1."""


def parse_openai_response(data: Dict[str, Any], where: str) -> Tuple[Choice, Usage]:
    """Read one choice and usage out of an OpenAI chat-completion response body."""
    if not isinstance(data, dict):
        raise LLMError(f"{where}: response is not a JSON object: {str(data)[:200]!r}")
    if "error" in data:
        raise LLMError(f"{where}: the model returned an error: {str(data['error'])[:500]}")
    choices = data.get("choices")
    if not choices:
        raise LLMError(f"{where}: response has no choices: {canonical_json(data)[:300]}")
    first = choices[0]
    content = (first.get("message") or {}).get("content")
    if content is None:
        raise LLMError(f"{where}: response choice has no message content: {canonical_json(first)[:300]}")
    lp_block = first.get("logprobs") or {}
    lp_content = lp_block.get("content") if isinstance(lp_block, dict) else None
    logprobs = [(t["token"], float(t["logprob"])) for t in lp_content] if lp_content else None
    usage_data = data.get("usage") or {}
    details = usage_data.get("prompt_tokens_details") or {}
    usage = Usage(
        calls=1,
        prompt_tokens=int(usage_data.get("prompt_tokens") or 0),
        completion_tokens=int(usage_data.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
    )
    return Choice(text=content, finish_reason=first.get("finish_reason") or "stop", logprobs=logprobs), usage
