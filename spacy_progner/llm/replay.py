"""Replay transport: answers from a recorded cassette (JSONL keyed by request hash).

`mode="replay"` answers only from the cassette; a miss is an error naming the
request. `mode="record"` wraps another ChatModel: known requests are replayed,
new ones go to the wrapped model and are appended to the cassette as they
arrive. The key is the request alone (not the transport), so a cassette
recorded from one model replays the same requests anywhere.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from .ledger import UsageLedger
from .protocol import ChatRequest, Choice, LLMError, Usage

logger = logging.getLogger("spacy_progner.llm")

MODES = ("replay", "record")


class ReplayTransport:
    name = "replay"

    def __init__(self, path: Union[str, Path], mode: str = "replay", model: Optional[object] = None):
        if mode not in MODES:
            raise LLMError(f"Replay mode must be one of {MODES}, got {mode!r}")
        if mode == "record" and model is None:
            raise LLMError("Replay mode='record' needs a `model` block to record from")
        self.path = Path(path)
        self.mode = mode
        self.inner = model
        if model is not None:
            # The recording ChatModel books the usage; the wrapped one keeps its own account.
            model.ledger = UsageLedger()  # type: ignore[attr-defined]
        inner = getattr(model, "transport", None)
        self.max_concurrency = getattr(inner, "max_concurrency", 1) if model else 8
        self.context_length = getattr(inner, "context_length", 4096)
        self._lock = threading.Lock()
        self.entries: Dict[str, dict] = self._load()
        self.used: set = set()  # the keys asked for since this transport was made

    def _load(self) -> Dict[str, dict]:
        if not self.path.exists():
            if self.mode == "replay":
                raise LLMError(f"Replay cassette {self.path} does not exist; record it with mode='record'")
            return {}
        entries = {}
        with self.path.open(encoding="utf8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    entries[entry["key"]] = entry
                except (ValueError, KeyError):
                    # A run killed mid-write leaves a partial last line: skip it, it will be re-recorded.
                    logger.warning("Replay cassette %s line %d is not a complete entry; skipped", self.path, lineno)
        return entries

    def prune_unused(self) -> int:
        """Rewrite the cassette with only the entries asked for since it was opened (after a re-recording,
        the answers to prompts that changed are dead weight, and would be counted by tests reading the file);
        returns how many were dropped."""
        with self._lock:
            kept = {k: e for k, e in self.entries.items() if k in self.used}
            dropped, self.entries = len(self.entries) - len(kept), kept
            lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept.values())
            self.path.write_text(lines, encoding="utf8")
        return dropped

    def identity(self) -> str:
        return f"cassette:{self.path.name}"

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        key = request.key()
        self.used.add(key)
        entry = self.entries.get(key)
        if entry is not None:
            return Choice.from_dict(entry["choice"]), Usage(**entry["usage"])
        if self.mode == "replay":
            raise LLMError(
                f"Replay cassette {self.path} has no answer for request {key[:12]} "
                f"{request.describe()}; re-record the cassette (mode='record') if the prompt changed on purpose"
            )
        result = self.inner.chat(request)  # type: ignore[union-attr]
        choice, usage = result.choices[0], result.usage
        entry = {"key": key, "request": request.payload(), "choice": choice.to_dict(), "usage": usage.to_dict()}
        with self._lock:
            self.entries[key] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return choice, usage
