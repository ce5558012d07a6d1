"""Reading the user's YAML/JSON files (domain specs, labels, model blocks, step outputs) in one place,
so every caller fails the same way: the file and the problem named, never a bare parser traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Type, Union

import yaml


def read_data_file(path: Union[str, Path], what: str, error: Type[Exception] = ValueError, hint: str = "") -> Any:
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
