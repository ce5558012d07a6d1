"""The CLI turns the package's own errors into one line and exit code 1; a real bug keeps its traceback."""

from __future__ import annotations

import pytest

from spacy_progner.cli._app import friendly_errors
from spacy_progner.errors import ProgNERError, SettingsError, StepError
from spacy_progner.llm import LLMError
from spacy_progner.ner import AnswerError


def test_own_errors_become_one_line(capsys):
    @friendly_errors
    def command():
        raise SettingsError("texts.txt: line 3 is not UTF-8 text")

    with pytest.raises(SystemExit) as exit_info:
        command()
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "texts.txt: line 3 is not UTF-8 text" in out and "Traceback" not in out


def test_a_bug_keeps_its_traceback():
    @friendly_errors
    def command():
        return {}["missing"]  # a plain bug, not a ProgNERError

    with pytest.raises(KeyError):
        command()
    with pytest.raises(ValueError):
        friendly_errors(lambda: int("x"))()  # a ValueError from a bug is not hidden either


def test_every_error_the_package_raises_on_purpose_shares_the_base():
    for cls in (SettingsError, StepError, AnswerError, LLMError):
        assert issubclass(cls, ProgNERError)
