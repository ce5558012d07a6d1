"""Reading the user's files (texts, domain specs, labels, model blocks, step outputs) in one place, below every
layer (the LLM layer reads model blocks with it too), so every caller fails the same way: the file and the
problem named, never a bare parser traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple, Type, Union

import yaml

from .errors import SettingsError


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
    out: List[Tuple[int, str]] = []
    jsonl = path.suffix.lower() == ".jsonl"
    for number, raw_line in enumerate(content.splitlines(), 1):
        text = raw_line
        if jsonl and raw_line.strip():
            try:
                row = json.loads(raw_line)
            except ValueError as err:
                raise error(f"{path}: line {number} is not JSON ({err})") from err
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise error(f"{path}: line {number} has no string 'text' field")
            text = row["text"]
        if text.strip():
            out.append((number, text))
    if not out:
        raise error(f"{path}: no text in the {what} file")
    return out
