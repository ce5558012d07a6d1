"""docs/cli.md from the command line itself: every command of `python -m spacy_progner`, its arguments and
options with their defaults and help. `python scripts/cli_reference.py > docs/cli.md`; a test checks the
page is current."""

from __future__ import annotations

from typing import Any, List

import typer

from spacy_progner.cli import app

HEADER = """# Command reference

Generated from the command line (`python scripts/cli_reference.py > docs/cli.md`); `python -m spacy_progner
COMMAND --help` says the same. Every command follows spaCy's conventions: main inputs and outputs are
positional, paths it reads must exist, `--model` means the same everywhere (`local`, `gguf:PATH`, or a
YAML/JSON file with an `@llm_models` block), `--gpu-id` where a spaCy model is trained or run.
"""


def _default(param: Any) -> str:
    if param.required:
        return "required"
    value = param.default
    if callable(value) or value is None or value == "":
        return ""
    return f"`{value}`"


def _is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _param_rows(command: Any) -> List[str]:
    rows = []
    for param in command.params:
        if param.name == "help":
            continue
        if _is_argument(param):
            name = param.name.upper()
        else:
            name = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        help_text = " ".join((getattr(param, "help", None) or "").split()).replace("|", "\\|")
        rows.append(f"| {name} | {_default(param)} | {help_text} |")
    return rows


def reference() -> str:
    group = typer.main.get_command(app)
    assert hasattr(group, "commands"), "the app has sub-commands"
    out = [HEADER]
    for name in sorted(group.commands):
        command = group.commands[name]
        usage = " ".join(p.name.upper() for p in command.params if _is_argument(p))
        out.append(f"## `{name}`\n\n{' '.join((command.help or '').split())}\n")
        out.append(f"```\npython -m spacy_progner {name} {usage} [OPTIONS]\n```\n")
        rows = _param_rows(command)
        if rows:
            out.append("| argument / option | default | what |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference(), end="")
