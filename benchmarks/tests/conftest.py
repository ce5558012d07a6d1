"""The benchmarks project's tests: its code (`bench`, in benchmarks/) and the package's test fixtures
(tests/, for the replayed ProgGen run) on the path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))  # the `bench` package
sys.path.insert(0, str(HERE.parents[1] / "tests"))  # the package's fixture modules and cassettes


@pytest.fixture(scope="module")
def run():
    """The ProgGen steps on replayed answers of the embedded model (tests/cassettes/proggen_conll2003.jsonl)."""
    import proggen_fixtures as F

    return F.replayed_run()


@pytest.fixture(autouse=True)
def in_benchmarks_folder(monkeypatch):
    """The benchmarks run from their project folder (paths in `bench.paths` are relative to it)."""
    monkeypatch.chdir(HERE.parent)
