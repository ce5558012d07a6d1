"""Shared test set-up. Fixture modules (*_fixtures.py, llm_requests.py, fake_openai.py, faults.py) live
here beside the cassettes; tests are grouped by concern in llm/, reverse_ner/, proggen/, distill/,
benchmarks/ and cli/.

`pytest --skip-real-model` skips the tests that load the embedded model (marked `real_model`), for quick
local runs; CI runs them all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # the fixture modules, for tests in the sub-folders


def pytest_addoption(parser):
    parser.addoption("--skip-real-model", action="store_true", help="skip the tests that load the embedded model")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--skip-real-model"):
        return
    skip = pytest.mark.skip(reason="--skip-real-model")
    for item in items:
        if "real_model" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cassette_dir() -> Path:
    return HERE / "cassettes"


@pytest.fixture(scope="session")
def local_model():
    """The real embedded model, loaded once per test session, with no answer cache."""
    from spacy_progner.llm import make_local_gguf

    return make_local_gguf(cache=False, n_parallel=2)
