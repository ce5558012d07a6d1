"""Usage ledger: calls, tokens and seconds per step, for every command's metrics JSON."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, TypeVar

from .protocol import Usage

T = TypeVar("T")


class UsageLedger:
    def __init__(self) -> None:
        self.steps: Dict[str, Usage] = {}
        self._step = "default"
        self._lock = threading.Lock()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Book everything inside the block under `name`."""
        previous, self._step = self._step, name
        try:
            yield
        finally:
            self._step = previous

    def add(self, usage: Usage) -> None:
        with self._lock:
            self.steps.setdefault(self._step, Usage()).__iadd__(usage)

    def snapshot(self) -> Dict[str, Usage]:
        with self._lock:
            return {k: Usage(**v.to_dict()) for k, v in self.steps.items()}

    def since(self, snapshot: Dict[str, Usage]) -> Dict[str, Usage]:
        """Usage booked per step after `snapshot` was taken."""
        out = {}
        with self._lock:
            for name, usage in self.steps.items():
                before = snapshot.get(name, Usage())
                diff = Usage(**{k: getattr(usage, k) - getattr(before, k) for k in usage.to_dict()})
                if diff.calls or diff.cache_hits:
                    out[name] = diff
        return out

    def total(self) -> Usage:
        total = Usage()
        for usage in self.steps.values():
            total += usage
        return total

    def to_dict(self) -> Dict[str, Any]:
        return {"steps": {k: v.to_dict() for k, v in self.steps.items()}, "total": self.total().to_dict()}


def paid_calls(usage: Dict[str, Any]) -> int:
    """The model calls behind a usage record: its calls, and the answers the cache served (each paid for
    by an earlier run of the same step)."""
    return usage.get("calls", 0) + usage.get("cache_hits", 0)


_DEFAULT = UsageLedger()


def default_ledger() -> UsageLedger:
    """The process-wide ledger every ChatModel books to unless given its own: one command, one account."""
    return _DEFAULT


def booked(step: str, fn: Callable[[], T]) -> Tuple[T, Optional[Usage]]:
    """`fn()` with the calls it makes booked under `step` in the default ledger, and what they used
    (None if it made no call): the usage of one benchmark step whose models book to the default ledger."""
    ledger = default_ledger()
    before = ledger.snapshot()
    with ledger.step(step):
        result = fn()
    return result, ledger.since(before).get(step)
