"""The review's output: one JSON line per finished text, written (appended, flushed, fsynced) the moment
the person decides, so a closed tab or a killed server loses nothing. A line holds the text's final
entities in the sample format, `"reviewed": true`, and the decision counts. An undo of a written text
appends a superseding line (`"reviewed": false, "undone": true`); every reader takes the last line of an
id, so the log is never rewritten in place and a rerun resumes after the last reviewed text."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..errors import SettingsError

COUNTS = ("accepts", "removals", "retypes", "additions")
Span = Tuple[int, int]


def decision_counts(before: List[Dict[str, Any]], after: List[Dict[str, Any]]) -> Dict[str, int]:
    """What a person did to turn `before` into `after`, entity by entity: an entity kept at the same
    span and type is an accept, a kept span of another type a retype, a span gone a removal, a new span an
    addition (a boundary fix is a removal and an addition). Derived from the two states, not counted from
    key presses, so undo inside a text and the simulated reviewer count alike."""
    old: Dict[Span, str] = {(e["start"], e["end"]): e["label"] for e in before}
    new: Dict[Span, str] = {(e["start"], e["end"]): e["label"] for e in after}
    both = old.keys() & new.keys()
    return {
        "accepts": sum(1 for k in both if old[k] == new[k]),
        "removals": len(old.keys() - new.keys()),
        "retypes": sum(1 for k in both if old[k] != new[k]),
        "additions": len(new.keys() - old.keys()),
    }


def gold_entities(sentence: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Entities as a reviewed line keeps them: span, text and type only (no uncertainty marks, which a
    person's decision settles), sorted by offset."""
    ents = sorted(entities, key=lambda e: (e["start"], e["end"]))
    return [
        {"text": sentence[e["start"] : e["end"]], "label": e["label"], "start": e["start"], "end": e["end"]}
        for e in ents
    ]


def reviewed_row(sample: Dict[str, Any], entities: List[Dict[str, Any]], seconds: float) -> Dict[str, Any]:
    """The OUT line of a finished text."""
    final = gold_entities(sample["sentence"], entities)
    counts = decision_counts(sample["entities"], final)
    return {
        "id": sample["id"],
        "sentence": sample["sentence"],
        "entities": final,
        "reviewed": True,
        **counts,
        "seconds": round(seconds, 2),
    }


def undone_row(sample_id: str, sentence: str) -> Dict[str, Any]:
    """The line that supersedes a reviewed text the person took back."""
    return {"id": sample_id, "sentence": sentence, "entities": [], "reviewed": False, "undone": True}


def read_log(path: Path) -> Dict[str, Dict[str, Any]]:
    """The last line of each id in a review log (missing file: empty). A last line cut off by a kill in
    the middle of a write is left out; any other line that is not JSON names the file and line."""
    path = Path(path)
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf8").splitlines()
    out: Dict[str, Dict[str, Any]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as err:
            if number == len(lines):
                break
            raise SettingsError(f"{path}: line {number} is not JSON ({err})") from err
        if not isinstance(row, dict) or row.get("id") is None:
            raise SettingsError(f"{path}: line {number} has no 'id'; is this a review log?")
        out[str(row["id"])] = row
    return out


def read_reviewed(path: Path) -> List[Dict[str, Any]]:
    """The reviewed texts of a log (last line per id, `reviewed` true), in the order of the log."""
    return [row for row in read_log(path).values() if row.get("reviewed") is True]


class DecisionLog:
    """Appends lines to OUT, each on disk before the call returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._file = self.path.open("a", encoding="utf8")

    def _repair_tail(self) -> None:
        """A kill in the middle of a write can leave a last line without its newline. That line was never
        confirmed to the page (a decision is confirmed after its fsync), so it is cut off, and the file
        is whole lines again."""
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("rb+") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def write(self, row: Dict[str, Any]) -> None:
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM
    return True


class Lock:
    """`OUT.lock` holding the pid of the review writing OUT: two reviews appending to one log would ask
    the same texts twice. A lock left by a dead process is taken over."""

    def __init__(self, out: Path):
        self.path = Path(str(out) + ".lock")
        self._held = False

    def acquire(self) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._owner()
                if pid is not None and pid != os.getpid() and _alive(pid):
                    raise SettingsError(
                        f"{self.path}: another review (pid {pid}) is writing this output; stop it first, "
                        "or remove the lock file if that process is not a review"
                    ) from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self._held = True
            return
        raise SettingsError(f"{self.path}: could not take the lock file")

    def _owner(self) -> Optional[int]:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        if self._held and self._owner() == os.getpid():
            self.path.unlink(missing_ok=True)
        self._held = False
