from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def cassette_dir() -> Path:
    return HERE / "cassettes"


@pytest.fixture(scope="session")
def local_model():
    """The real embedded model, loaded once per test session, with no answer cache."""
    from spacy_progner.llm import make_local_gguf

    return make_local_gguf(cache=False, n_parallel=2)
