"""Persistent answer cache: SQLite in WAL mode, one committed row per answer.

Because every answer is committed as soon as it arrives, a killed run resumes
where it stopped and never pays for an answer twice. Several processes may
share one cache file (WAL + busy timeout).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Optional, Tuple, Union

from .protocol import Choice, LLMError, Usage


def default_home() -> Path:
    """Where the project keeps models and caches: $SPACY_PROGNER_HOME or the user cache dir."""
    env = os.environ.get("SPACY_PROGNER_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spacy_progner"


def default_cache_path() -> Path:
    env = os.environ.get("SPACY_PROGNER_CACHE")
    return Path(env).expanduser() if env else default_home() / "llm-cache.sqlite"


class ResponseCache:
    def __init__(self, path: Union[str, Path]):
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, created REAL, choice TEXT, usage TEXT)"
            )
        except sqlite3.Error as err:
            raise LLMError(
                f"LLM cache {self.path}: cannot open ({err}); set cache_path or SPACY_PROGNER_CACHE"
            ) from err
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[Tuple[Choice, Usage]]:
        with self._lock:
            row = self._conn.execute("SELECT choice, usage FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        usage = Usage(**json.loads(row[1]))
        return Choice.from_dict(json.loads(row[0])), usage

    def put(self, key: str, choice: Choice, usage: Usage) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO answers (key, created, choice, usage) VALUES (?, ?, ?, ?)",
                (key, time.time(), json.dumps(choice.to_dict(), ensure_ascii=False), json.dumps(usage.to_dict())),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
