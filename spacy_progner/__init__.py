"""spacy-progner: named entities from your own text with an LLM and no labelled data."""

from .about import __version__
from .llm import ChatModel, ChatRequest, LLMError

__all__ = ["ChatModel", "ChatRequest", "LLMError", "__version__"]
