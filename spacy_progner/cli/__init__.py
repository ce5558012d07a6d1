"""`python -m spacy_progner ...`: the project's commands (typer)."""

from . import build_pipeline, check_spec, distill, info, proggen, review, serve, smoke  # noqa: F401  (register commands)
from ._app import app, main

__all__ = ["app", "main"]
