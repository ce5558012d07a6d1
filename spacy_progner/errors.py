"""The package's own errors. Each message names the place and the problem (a file and line, a setting,
a model answer). The CLI turns these, and only these, into one clear line: anything else is a bug and
keeps its traceback."""

from __future__ import annotations


class ProgNERError(Exception):
    """Base of every error spacy-progner raises on purpose."""


class SettingsError(ProgNERError, ValueError):
    """A setting, file or piece of input given to the package cannot be used."""


class StepError(ProgNERError, ValueError):
    """A step cannot go on (empty pool, nothing kept, bad input file); the message names the place."""
