"""Sharded JSONL keyed by text id: what a long run writes as it goes, and how it is put back in order.

Why: a corpus of a million texts must not sit in memory, and a run killed after hours must resume
without asking the model again for what it already answered. Each finished text is one flushed line;
a rerun reads which ids are written and skips them; at the end the lines are copied, in input order,
into the output through a temporary file and a rename, so the output is never half written. A kill
mid-line leaves a torn last line: it is cut off before the shard is appended to again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import srsly

from ..errors import StepError
from ..files import jsonl_object

SHARD_GLOB = "part-*.jsonl"


@dataclass(frozen=True)
class Loc:
    """Where one complete line sits: file, byte offset, length (newline included)."""

    path: Path
    offset: int
    length: int


def shard_path(shard_dir: Path, first_pos: int) -> Path:
    """The shard of a block, named by its first input position: a retried block finds its own shard."""
    return shard_dir / f"part-{first_pos:09d}.jsonl"


def line_of(row: Dict) -> bytes:
    """One JSONL line exactly as `files.write_jsonl` (srsly) writes it, so a merged shard equals a corpus
    written in one go."""
    return (srsly.json_dumps(row) + "\n").encode("utf8")


def repair_tail(path: Path) -> bool:
    """Cut a torn last line (a kill mid-write); True if something was cut."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return False
        data_end = _last_newline_end(fh)
        fh.truncate(data_end)
    return True


def _last_newline_end(fh: IO[bytes]) -> int:
    """Offset just after the last newline of the file (0 if there is none)."""
    end = fh.seek(0, os.SEEK_END)
    step = 1 << 16
    pos = end
    while pos > 0:
        start = max(0, pos - step)
        fh.seek(start)
        chunk = fh.read(pos - start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        pos = start
    return 0


def iter_lines(path: Path, key: str = "id") -> Iterator[Tuple[int, int, bytes, Dict]]:
    """(line number, offset, raw line, row) of each complete line; a complete line that is not a JSON
    object with a string `key` is corruption, named by file and line. A torn last line is skipped."""
    offset = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.endswith(b"\n"):
                break  # torn by a kill: cut before the next append, asked again
            if raw.strip():
                yield number, offset, raw, _row(path, number, raw, key)
            offset += len(raw)


def _row(path: Path, number: int, raw: bytes, key: str) -> Dict:
    missing = f"has no string {key!r}: not a shard of this run"
    return jsonl_object(path, number, raw, key, missing, StepError, hint="; remove the line or the file")


def shard_files(shard_dir: Path) -> List[Path]:
    return sorted(shard_dir.glob(SHARD_GLOB)) if shard_dir.is_dir() else []


def scan(paths: Iterable[Path], key: str = "id") -> Tuple[Dict[str, Loc], int]:
    """Index of every complete line by its `key`, and how many lines repeat an id already seen (the first
    one is kept: a text is answered the same way twice only if it was asked twice)."""
    index: Dict[str, Loc] = {}
    repeats = 0
    for path in paths:
        if not path.is_file():
            continue
        for _, offset, raw, row in iter_lines(path, key):
            if row[key] in index:
                repeats += 1
                continue
            index[row[key]] = Loc(path, offset, len(raw))
    return index, repeats


class ShardWriter:
    """Appends rows to one shard, each line flushed at once (a killed process loses no finished text)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(path)
        self._fh: Optional[IO[bytes]] = None
        self.written = 0

    def write(self, row: Dict) -> None:
        if self._fh is None:
            self._fh = self.path.open("ab")
        self._fh.write(line_of(row))
        self._fh.flush()
        self.written += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(index: Dict[str, Loc], ids: Sequence[str]) -> Iterator[Dict]:
    """The rows of `ids`, in that order, read from their shards one at a time."""
    with _Files() as files:
        for text_id in ids:
            yield json.loads(files.read(index[text_id]))


def merge(index: Dict[str, Loc], ids: Sequence[str], output: Union[str, Path]) -> int:
    """Write the lines of `ids`, in that order, to `output` (a temporary file, then a rename); returns
    how many. Memory holds the index, never the rows."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".merging")
    with _Files() as files, tmp.open("wb") as out:
        for text_id in ids:
            out.write(files.read(index[text_id]))
    os.replace(tmp, output)
    return len(ids)


class _Files:
    """Open shard files, by path, while a merge reads them line by line."""

    def __init__(self) -> None:
        self.open: Dict[Path, IO[bytes]] = {}

    def read(self, loc: Loc) -> bytes:
        fh = self.open.get(loc.path)
        if fh is None:
            fh = self.open[loc.path] = loc.path.open("rb")
        fh.seek(loc.offset)
        return fh.read(loc.length)

    def __enter__(self) -> _Files:
        return self

    def __exit__(self, *exc: object) -> None:
        for fh in self.open.values():
            fh.close()


def check_against(index: Dict[str, Loc], texts: Sequence[Tuple[str, str]], where: str, field: str) -> None:
    """Fail if the written rows belong to other texts: an id the input lacks, or one whose text changed
    (the output of another texts file, or of a larger --limit)."""
    wanted = dict(texts)
    stray = [text_id for text_id in index if text_id not in wanted]
    if stray:
        raise StepError(
            f"{where} holds {len(stray)} samples whose ids are not in the texts (e.g. {stray[0]}): it was written "
            "for other texts or a larger --limit; move it away, or rerun with the same texts"
        )
    for text_id, row in zip(index, read_rows(index, list(index))):
        if row.get(field) != wanted[text_id]:
            raise StepError(
                f"{index[text_id].path}: the sample {text_id} holds another text than the texts file; it was "
                "written for other texts: move it away, or rerun with the same texts"
            )
