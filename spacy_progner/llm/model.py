"""ChatModel: a transport plus cache, usage ledger and bounded concurrency.

This is the object the registered functions return. It is used two ways:
- by the project's methods: `chat(request)` / `chat_many(requests)`;
- by spacy-llm tasks (e.g. `spacy.NER.v3`): `__call__(prompts)` with the
  `Iterable[Iterable[str]] -> Iterable[Iterable[str]]` signature spacy-llm checks.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Iterable, List, Optional, Sequence, Tuple

from tqdm import tqdm

from .cache import ResponseCache
from .ledger import UsageLedger, default_ledger
from .protocol import ChatRequest, ChatResult, Choice, LLMError, Transport, Usage

logger = logging.getLogger("spacy_progner.llm")


class ChatModel:
    def __init__(
        self,
        transport: Transport,
        cache: Optional[ResponseCache] = None,
        ledger: Optional[UsageLedger] = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ):
        self.transport = transport
        self.cache = cache
        self.ledger = ledger if ledger is not None else default_ledger()
        # Defaults for spacy-llm prompts, which carry no generation settings.
        self.max_tokens = max_tokens
        self.temperature = temperature

    @property
    def context_length(self) -> int:
        """Context window in tokens; spacy-llm shards docs whose prompts would not fit."""
        return self.transport.context_length

    @property
    def scope(self) -> str:
        """Cache scope: transport kind and model identity (never a secret)."""
        return f"{self.transport.name}|{self.transport.identity()}"

    def chat(self, request: ChatRequest) -> ChatResult:
        return self.chat_many([request])[0]

    def chat_many(self, requests: Sequence[ChatRequest], progress: Optional[str] = None) -> List[ChatResult]:
        """Answer many requests; cached samples are free, the rest go out concurrently.

        Each answer is cached the moment it arrives, so an interrupted batch loses
        only the calls in flight.
        """
        units: List[Tuple[int, ChatRequest]] = [(i, s) for i, req in enumerate(requests) for s in req.samples()]
        answers: List[Optional[Tuple[Choice, Usage]]] = [None] * len(units)
        scope = self.scope
        misses: List[int] = []
        for u, (_, sample) in enumerate(units):
            hit = self.cache.get(sample.key(scope)) if self.cache is not None else None
            if hit is None:
                misses.append(u)
                continue
            # A hit costs nothing now; it carries the tokens and seconds it cost when it was made,
            # so a resumed run still reports what its answers cost (calls counts fresh calls only).
            choice, usage = hit
            usage.calls, usage.cache_hits = 0, 1
            answers[u] = (choice, usage)
            self.ledger.add(usage)
        if misses:
            self._run(units, misses, answers, scope, progress)
        results = [ChatResult(choices=[], usage=Usage()) for _ in requests]
        for (i, _), answer in zip(units, answers):
            assert answer is not None
            results[i].choices.append(answer[0])
            results[i].usage += answer[1]
        return results

    def _call(self, sample: ChatRequest, scope: str) -> Tuple[Choice, Usage]:
        start = time.perf_counter()
        choice, usage = self.transport.complete(sample)
        usage.seconds = time.perf_counter() - start
        usage.calls = 1
        if self.cache is not None:
            self.cache.put(sample.key(scope), choice, usage)
        self.ledger.add(usage)
        return choice, usage

    def _run(self, units, misses, answers, scope, progress) -> None:
        bar = tqdm(total=len(misses), desc=progress, unit="call", disable=progress is None or len(misses) < 2)
        workers = max(1, min(self.transport.max_concurrency, len(misses)))
        if workers == 1:
            try:
                for u in misses:
                    answers[u] = self._call(units[u][1], scope)
                    bar.update(1)
            finally:
                bar.close()
            return
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spacy_progner-llm")
        try:
            futures = {pool.submit(self._call, units[u][1], scope): u for u in misses}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    if fut.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise fut.exception()  # type: ignore[misc]
                    answers[futures[fut]] = fut.result()
                    bar.update(1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()

    # --- spacy-llm model interface -------------------------------------------------
    def __call__(self, prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[str]]:
        """Run spacy-llm prompts (one list of shard prompts per doc) as single user messages."""
        per_doc = [list(doc_prompts) for doc_prompts in prompts]
        flat = [
            ChatRequest(
                messages=[{"role": "user", "content": _prompt_text(p)}],
                temperature=self.temperature,
                max_tokens=self.max_tokens,
            )
            for doc_prompts in per_doc
            for p in doc_prompts
        ]
        answers = iter(self.chat_many(flat))
        return [[next(answers).text for _ in doc_prompts] for doc_prompts in per_doc]


def _prompt_text(prompt: object) -> str:
    if not isinstance(prompt, str):
        raise LLMError(f"spacy-llm passed a prompt of type {type(prompt).__name__}; a string is expected")
    return prompt
