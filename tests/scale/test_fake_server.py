"""The fake server the scaling tests and benchmark measure against: its cap holds (queueing or 429), its
latency is fixed, and it answers a batch file as it answers over HTTP."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fake_openai import FakeOpenAI


@pytest.fixture
def server():
    fake = FakeOpenAI()
    fake.ok_delay = 0.2
    try:
        yield fake
    finally:
        fake.close()


def ask(server: FakeOpenAI, n: int):
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: httpx.post(server.url, json=body, timeout=10).status_code, range(n)))


def test_cap_in_queue_mode_answers_all_but_never_more_than_cap_at_once(server):
    server.set_cap(2, "queue")
    start = time.perf_counter()
    assert ask(server, 6) == [200] * 6
    assert server.max_in_flight == 2 and time.perf_counter() - start >= 3 * 0.2  # three waves of two


def test_cap_in_429_mode_refuses_beyond_the_cap(server):
    server.set_cap(2, "429")
    codes = ask(server, 4)
    assert sorted(codes) == [200, 200, 429, 429] and len(server.answered) == 2


def test_a_batch_file_is_answered_as_http_is(server, tmp_path):
    body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
    live = httpx.post(server.url, json=body, timeout=10).json()
    requests, results = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    requests.write_text(json.dumps({"custom_id": "a:1", "method": "POST", "url": "/v1/chat/completions", "body": body}))
    assert server.answer_batch(requests, results) == 1
    [line] = [json.loads(x) for x in results.read_text().splitlines()]
    assert line["custom_id"] == "a:1" and line["error"] is None and line["response"]["status_code"] == 200
    assert line["response"]["body"] == live
