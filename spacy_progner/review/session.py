"""One review session: the queue of texts still to ask (least certain first, those already in OUT left
out), the text on screen, and the decisions. The web server only translates requests into these calls,
so the rules (what is written, what an undo does, what is asked again) live and are tested here."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import SettingsError
from .corpus import check_entities, whitespace_tokens
from .decisions import DecisionLog, read_log, reviewed_row, undone_row
from .rank import Priority, rank

Sample = Dict[str, Any]


class Session:
    def __init__(
        self,
        samples: List[Sample],
        log: DecisionLog,
        labels: Sequence[str],
        limit: Optional[int] = None,
        tokenize=None,
    ):
        self.labels = list(labels)
        self.log = log
        self.tokenize = tokenize or whitespace_tokens
        done = {k for k, row in read_log(log.path).items() if row.get("reviewed")}
        ranked = [(x, p) for x, p in rank(samples) if x["id"] not in done]
        self.queue: List[Tuple[Sample, Priority]] = ranked[:limit] if limit is not None else ranked
        self.asked = len(self.queue)
        self.earlier = len(done)
        self.position = 0
        self.written: List[Tuple[Sample, Priority, Dict[str, Any]]] = []  # this session's lines, for undo
        self.skipped = 0
        self.restored: Dict[str, List[Dict[str, Any]]] = {}  # an undone text shows the person's entities
        self.seconds: List[float] = []
        self._shown_at = time.monotonic()
        self._lock = threading.Lock()

    def current(self) -> Optional[Tuple[Sample, Priority]]:
        return self.queue[self.position] if self.position < len(self.queue) else None

    def task(self) -> Dict[str, Any]:
        """What the page shows: the current text (or done) and the progress."""
        with self._lock:
            return self._task()

    def _task(self) -> Dict[str, Any]:
        cur = self.current()
        out: Dict[str, Any] = {"progress": self.progress(), "labels": self.labels}
        if cur is None:
            return {**out, "done": True}
        sample, prio = cur
        tokens = [{"start": a, "end": b} for a, b in self.tokenize(sample["sentence"])]
        shown = self.restored[sample["id"]] if sample["id"] in self.restored else sample["entities"]
        entities = [
            {k: e[k] for k in ("start", "end", "label", "confidence", "agree", "proposed") if e.get(k) is not None}
            for e in shown
        ]
        return {**out, "done": False, "id": sample["id"], "text": sample["sentence"], "tokens": tokens,
                "entities": entities, "priority": prio.reason(), "can_undo": bool(self.written)}  # fmt: skip

    def progress(self) -> Dict[str, Any]:
        mean = sum(self.seconds) / len(self.seconds) if self.seconds else None
        return {
            "reviewed": len(self.written),
            "asked": self.asked,
            "skipped": self.skipped,
            "earlier": self.earlier,
            "seconds_per_text": round(mean, 1) if mean is not None else None,
        }

    def _check_current(self, sample_id: Any) -> Tuple[Sample, Priority]:
        cur = self.current()
        if cur is None or cur[0]["id"] != sample_id:
            shown = cur[0]["id"] if cur else "none (all done)"
            raise SettingsError(f"answer for text {sample_id!r}, but the text on screen is {shown!r}; reload the page")
        return cur

    def answer(self, sample_id: Any, entities: Any) -> Dict[str, Any]:
        """The person finished the text on screen with these entities: written to OUT, next text."""
        with self._lock:
            sample, prio = self._check_current(sample_id)
            ents = check_entities(sample["sentence"], entities, self.labels, f"answer for {sample_id!r}")
            _no_overlap(ents, sample_id)
            seconds = time.monotonic() - self._shown_at
            row = reviewed_row(sample, ents, seconds)
            self.log.write(row)
            self.written.append((sample, prio, row))
            self.seconds.append(seconds)
            self._advance()
            return self._task()

    def skip(self, sample_id: Any) -> Dict[str, Any]:
        """Not now: nothing written, the text is asked again in the next session."""
        with self._lock:
            self._check_current(sample_id)
            self.skipped += 1
            self._advance()
            return self._task()

    def undo(self) -> Dict[str, Any]:
        """Take back the last text written this session: a superseding line marks it unreviewed, and it
        is shown again with the entities the person gave it (its counts still compare with the original)."""
        with self._lock:
            if not self.written:
                raise SettingsError("nothing to undo: no text was finished in this session")
            sample, prio, row = self.written.pop()
            self.seconds.pop()
            self.log.write(undone_row(sample["id"], sample["sentence"]))
            self.queue.insert(self.position, (sample, prio))
            self.restored[sample["id"]] = row["entities"]
            self._shown_at = time.monotonic()
            return self._task()

    def _advance(self) -> None:
        self.position += 1
        self._shown_at = time.monotonic()


def _no_overlap(ents: List[Dict[str, Any]], sample_id: Any) -> None:
    spans = sorted((e["start"], e["end"]) for e in ents)
    for (a, b), (c, d) in zip(spans, spans[1:]):
        if c < b:
            raise SettingsError(f"answer for {sample_id!r}: entities {a}:{b} and {c}:{d} overlap")
