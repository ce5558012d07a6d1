"""docs/cli.md is generated from the command line itself and kept current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_reference_is_current():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.reference()
    assert "## `check-spec`" in expected and "## `review`" in expected
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf8") == expected, (
        "run `python scripts/cli_reference.py > docs/cli.md`"
    )
