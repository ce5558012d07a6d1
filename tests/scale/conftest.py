"""What the scale-out tests share: the fake OpenAI server answering from the distillation cassette."""

from __future__ import annotations

import distill_fixtures as F
import pytest
from fake_openai import FakeOpenAI, cassette_responder


@pytest.fixture(scope="module")
def server():
    fake = FakeOpenAI()
    fake.responder = cassette_responder(F.CASSETTE)
    try:
        yield fake
    finally:
        fake.close()
