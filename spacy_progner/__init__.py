"""spacy-progner: named entities from your own text with an LLM and no labelled data."""

from .about import __version__
from .llm import ChatModel, ChatRequest, LLMError
from .reverse_ner import make_reverse_ner  # noqa: F401  (registers the `reverse_ner` factory)

__all__ = ["ChatModel", "ChatRequest", "LLMError", "__version__"]
