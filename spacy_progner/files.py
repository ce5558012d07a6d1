"""Reading the user's files (texts, domain specs, labels, model blocks, step outputs) in one place, below every
layer (the LLM layer reads model blocks with it too), so every caller fails the same way: the file and the
problem named, never a bare parser traceback."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple, Type, Union

import srsly
import yaml

from .errors import SettingsError, StepError


def load_saved_pipeline(path: Union[str, Path], where: str, error: Type[Exception] = SettingsError, hint: str = ""):
    """A spaCy pipeline saved with `nlp.to_disk` (a folder with its config.cfg); anything else is `error`
    naming `where` and the path, before spaCy would fail on it with a bare traceback."""
    if not (Path(path) / "config.cfg").is_file():
        raise error(f"{where} {path}: not a saved spaCy pipeline (no config.cfg){hint}")
    import spacy

    return spacy.load(path)


def read_data_file(path: Union[str, Path], what: str, error: Type[Exception] = SettingsError, hint: str = "") -> Any:
    """The parsed content of a YAML or JSON file (a .json file is read as JSON, anything else as YAML,
    which also reads JSON); `error` names `what` and `path`."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} file {path} does not exist{hint}")
    try:
        text = path.read_text(encoding="utf8")
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except UnicodeDecodeError as err:
        raise error(f"{path}: the {what} file is not UTF-8 text: {err}") from err
    except (yaml.YAMLError, ValueError) as err:
        raise error(f"{path}: malformed YAML/JSON in the {what} file: {err}") from err


def jsonl_rows(
    path: Path, content: str, key: str, missing: str, error: Type[Exception] = SettingsError
) -> List[Tuple[int, Dict[str, Any]]]:
    """(line number, object) of each non-blank JSONL line; a line that is not JSON, or whose object has no
    string `key`, fails naming the file and line (`missing` says what it lacks)."""
    return [
        (number, jsonl_object(path, number, line, key, missing, error))
        for number, line in enumerate(content.splitlines(), 1)
        if line.strip()
    ]


def jsonl_object(
    path: Path,
    number: int,
    line: Union[str, bytes],
    key: str,
    missing: str,
    error: Type[Exception] = SettingsError,
    hint: str = "",
) -> Dict[str, Any]:
    """One JSONL line as an object with a string `key`; anything else fails naming the file and line
    (`missing` says what it lacks, `hint` what to do about a line that is not JSON)."""
    try:
        row = json.loads(line)
    except ValueError as err:
        raise error(f"{path}: line {number} is not JSON ({err}){hint}") from err
    if not isinstance(row, dict) or not isinstance(row.get(key), str):
        raise error(f"{path}: line {number} {missing}")
    return row


def read_text_lines(
    path: Union[str, Path], what: str = "texts", error: Type[Exception] = SettingsError
) -> List[Tuple[int, str]]:
    """(line number, text) of a texts file: .jsonl with a string "text" per line, anything else one text
    per line. Blank lines are skipped (their numbers are kept, so a sample's id names its line); a file
    that is missing, not UTF-8 or without any text fails with the file and line named."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} file {path} does not exist")
    raw = path.read_bytes()
    try:
        content = raw.decode("utf8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise error(f"{path}: line {line} is not UTF-8 text (byte {err.start}); save the {what} file as UTF-8") from err
    if path.suffix.lower() == ".jsonl":
        rows = jsonl_rows(path, content, "text", "has no string 'text' field", error)
        out = [(number, row["text"]) for number, row in rows if row["text"].strip()]
    else:
        out = [(number, line) for number, line in enumerate(content.splitlines(), 1) if line.strip()]
    if not out:
        raise error(f"{path}: no text in the {what} file")
    return out


def write_json_atomic(path: Union[str, Path], data: Any) -> None:
    """Write JSON so that a kill mid-write leaves the previous file whole (a temporary file, then a rename):
    checkpoints a long run resumes from must never be half written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf8")
    os.replace(tmp, path)


def read_jsonl(path: Union[str, Path], what: str) -> List[Dict[str, Any]]:
    """The samples of a corpus file (one {"sentence", "entities"} object a line); a missing file or a bad
    line fails naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise StepError(f"{what} file {path} does not exist; run the step that writes it first")
    content = path.read_text(encoding="utf8")
    return [row for _, row in jsonl_rows(path, content, "sentence", "needs a 'sentence' and 'entities'", StepError)]


def write_jsonl(path: Union[str, Path], rows: Iterable[Dict[str, Any]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(path, list(rows))


def read_yaml(path: Union[str, Path], what: str) -> Any:
    return read_data_file(path, what, StepError, hint="; run the step that writes it first")


def write_yaml(path: Union[str, Path], data: Any, header: str = "") -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    path.write_text((header + "\n" if header else "") + text, encoding="utf8")


def sha256_file(path: Path) -> str:
    """The file's sha256, read in blocks (a corpus or a model file need not fit in memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()
