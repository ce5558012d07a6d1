"""Talking to models: one chat-completion protocol, three transports, cache and ledger."""

from .cache import ResponseCache, default_cache_path, default_home
from .ledger import UsageLedger, default_ledger
from .model import ChatModel
from .models import make_local_gguf, make_openai_compatible, make_replay
from .protocol import ChatRequest, ChatResult, Choice, LLMError, Usage

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "Choice",
    "LLMError",
    "ResponseCache",
    "Usage",
    "UsageLedger",
    "default_cache_path",
    "default_home",
    "default_ledger",
    "make_local_gguf",
    "make_openai_compatible",
    "make_replay",
]
