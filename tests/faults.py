"""Faults the tests inject into a model transport."""

from __future__ import annotations

from spacy_progner.llm import LLMError


class DiesAfter:
    """The replayed model, killed after `n` answers (as a process would be): same name and identity."""

    def __init__(self, inner, n: int):
        self.inner, self.n, self.answered = inner, n, 0
        self.name, self.max_concurrency, self.context_length = inner.name, 1, inner.context_length

    def identity(self) -> str:
        return self.inner.identity()

    def complete(self, request):
        if self.answered >= self.n:
            raise LLMError("killed")
        self.answered += 1
        return self.inner.complete(request)
