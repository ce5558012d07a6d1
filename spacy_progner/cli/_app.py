"""The typer app and what every command shares: clear errors and metrics files."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, Dict

import srsly
import typer
from confection import ConfigValidationError
from wasabi import msg

from ..errors import ProgNERError

app = typer.Typer(
    name="spacy_progner",
    add_completion=False,
    no_args_is_help=True,
    help="spacy-progner: zero-shot NER (reverse_ner) and synthetic NER corpora (ProgGen) with an LLM.",
)


def friendly_errors(func: Callable) -> Callable:
    """Turn the package's own errors (bad input, settings, model answers) and spaCy's config validation
    errors into one clear line and exit code 1. Anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ProgNERError, ConfigValidationError) as err:
            msg.fail(f"{type(err).__name__}: {err}")
            sys.exit(1)

    return wrapper


def write_metrics(path: Path, data: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(path, data)
    msg.good(f"Wrote {path}")


def main() -> None:
    app()
