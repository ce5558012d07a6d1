"""Fault tests for the OpenAI-compatible transport against a scriptable fake server on 127.0.0.1.

Retries (429 / 5xx), refusals (400), timeouts, the concurrency bound, resume from the cache,
that the API key never leaks, and that nothing but base_url is ever contacted.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import traceback

import pytest
from fake_openai import FakeOpenAI, echo
from spacy_llm.registry import registry

from spacy_progner.llm import ChatModel, ChatRequest, LLMError, ResponseCache, UsageLedger
from spacy_progner.llm.openai_compat import OpenAICompatibleTransport

SECRET = "sk-progner-TEST-7f3c9a1e5b-do-not-leak"


@pytest.fixture
def server():
    fake = FakeOpenAI()
    try:
        yield fake
    finally:
        fake.close()


def make_model(server: FakeOpenAI, cache=None, ledger=None, **kwargs) -> ChatModel:
    settings = dict(model="fake-model", api_key_env=None, timeout=2.0, max_retries=3, backoff=0.01, max_backoff=0.05)
    settings.update(kwargs)
    transport = OpenAICompatibleTransport(server.base_url, **settings)
    return ChatModel(transport, cache=cache, ledger=ledger if ledger is not None else UsageLedger())


def user(text: str, **kwargs) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}], **kwargs
    )


# 1 -------------------------------------------------------------------------------------------------
def test_429_with_retry_after_is_retried(server):
    server.set_script("429", "ok")
    ledger = UsageLedger()
    model = make_model(server, ledger=ledger)
    result = model.chat(user("hello there"))
    assert result.text == echo("hello there")
    assert server.count == 2
    # The retry is one call in the ledger, with the usage the server reported.
    total = ledger.total()
    assert (total.calls, total.prompt_tokens, total.completion_tokens, total.cached_tokens) == (1, 7, 3, 2)


# 2 -------------------------------------------------------------------------------------------------
def test_5xx_is_retried(server):
    server.set_script("500", "ok")
    model = make_model(server)
    assert model.chat(user("after a crash")).text == echo("after a crash")
    assert server.count == 2


def test_400_is_not_retried_and_names_url_and_status(server):
    server.set_script(default="400")
    model = make_model(server, max_retries=5)
    with pytest.raises(LLMError) as info:
        model.chat(user("malformed"))
    assert server.count == 1
    message = str(info.value)
    assert server.url in message
    assert "400" in message


# 3 -------------------------------------------------------------------------------------------------
def test_hanging_server_times_out_and_gives_up(server):
    server.set_script(default="hang")
    server.hang_seconds = 1.0  # longer than the timeout, but bounded so the handler threads finish
    model = make_model(server, timeout=0.5, max_retries=1)
    start = time.monotonic()
    with pytest.raises(LLMError) as info:
        model.chat(user("anyone there?"))
    elapsed = time.monotonic() - start
    assert elapsed < 5.0
    assert server.count == 2  # one try + one retry
    message = str(info.value)
    assert "gave up" in message
    assert "timeout" in message
    assert server.url in message


# 4 -------------------------------------------------------------------------------------------------
def test_chat_many_respects_max_concurrency(server):
    server.ok_delay = 0.2
    model = make_model(server, max_concurrency=3)
    texts = [f"sentence number {i}" for i in range(12)]
    results = model.chat_many([user(t) for t in texts])
    assert [r.text for r in results] == [echo(t) for t in texts]
    assert server.count == 12
    assert 2 <= server.max_in_flight <= 3


def test_transport_bound_holds_across_threads(server):
    """Two batches sharing one model from two threads still keep at most max_concurrency requests in flight."""
    server.ok_delay = 0.2
    model = make_model(server, max_concurrency=3, timeout=10.0)  # a busy machine must not turn into retries
    batches = [[f"thread {k} item {i}" for i in range(6)] for k in range(2)]
    outputs: dict = {}

    def run(k: int) -> None:
        outputs[k] = [r.text for r in model.chat_many([user(t) for t in batches[k]])]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert outputs == {k: [echo(t) for t in batches[k]] for k in range(2)}
    assert server.count == 12
    assert 2 <= server.max_in_flight <= 3


# 5 -------------------------------------------------------------------------------------------------
def test_api_key_never_leaks(server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PROGNER_TEST_KEY", SECRET)
    caplog.set_level(logging.DEBUG)  # root: also httpx / httpcore debug output
    caplog.set_level(logging.DEBUG, logger="spacy_progner")
    cache_path = tmp_path / "cache.sqlite"
    cassette = tmp_path / "cassette.jsonl"
    inner = registry.llm_models.get("spacy_progner.OpenAICompatible.v1")(
        base_url=server.base_url,
        model="fake-model",
        api_key_env="PROGNER_TEST_KEY",
        max_concurrency=2,
        timeout=2.0,
        max_retries=2,
        backoff=0.01,
        max_backoff=0.05,
        cache=True,
        cache_path=str(cache_path),
    )
    inner.ledger = UsageLedger()
    recorder = registry.llm_models.get("spacy_progner.Replay.v1")(path=str(cassette), mode="record", model=inner)
    recorder.ledger = UsageLedger()

    server.set_script("ok", "429", "ok", "ok", "400", "401_echo_key")
    assert recorder.chat(user("first")).text == echo("first")
    assert recorder.chat(user("second, rate limited once")).text == echo("second, rate limited once")
    assert recorder.chat_many([user("third")])[0].text == echo("third")
    assert recorder.chat(user("first")).text == echo("first")  # from the cassette: no request
    with pytest.raises(LLMError) as info:
        recorder.chat(user("fourth, refused"))
    with pytest.raises(LLMError) as echoed:
        recorder.chat(user("fifth, key echoed by the server"))
    assert "401" in str(echoed.value) and "***" in str(echoed.value)
    assert server.count == 6

    # The key was really sent, on every request.
    assert all(r["headers"].get("authorization") == f"Bearer {SECRET}" for r in server.requests)
    # Something was really written and logged, so the checks below are not vacuous.
    assert len(ResponseCache(cache_path)) == 3
    assert len(cassette.read_text(encoding="utf8").splitlines()) == 3
    assert "429" in caplog.text

    secret = SECRET.encode("utf8")
    sqlite_files = [cache_path.with_name(cache_path.name + suffix) for suffix in ("", "-wal", "-shm")]
    files = {p for p in tmp_path.rglob("*") if p.is_file()} | {p for p in sqlite_files if p.exists()}
    assert cache_path in files and cassette in files
    for path in sorted(files):
        assert secret not in path.read_bytes(), f"API key found in {path}"
    assert SECRET not in caplog.text
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in str(info.value) and SECRET not in str(echoed.value)
    assert SECRET not in "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert SECRET not in inner.scope and SECRET not in recorder.scope


# 6 -------------------------------------------------------------------------------------------------
def test_interrupted_batch_resumes_from_cache(server, tmp_path):
    cache_path = tmp_path / "resume.sqlite"
    texts = [f"resume item {i}" for i in range(10)]
    requests = [user(t) for t in texts]

    server.set_script("ok", "ok", "ok", "ok", default="400")
    first_cache = ResponseCache(cache_path)
    first = make_model(server, cache=first_cache, max_concurrency=1)
    with pytest.raises(LLMError):
        first.chat_many(requests)
    assert server.count == 5  # 4 answers, then the refused one stopped the batch
    assert len(first_cache) == 4
    first_cache.close()

    server.reset()
    server.set_script(default="ok")
    ledger = UsageLedger()
    again = make_model(server, cache=ResponseCache(cache_path), ledger=ledger, max_concurrency=1)
    results = again.chat_many(requests)
    assert [r.text for r in results] == [echo(t) for t in texts]
    assert server.count == 6  # only the missing ones
    sent = [r["body"]["messages"][-1]["content"] for r in server.requests]
    assert sent == texts[4:]
    total = ledger.total()
    assert total.calls == 6
    assert total.cache_hits == 4
    again.cache.close()


# 7 -------------------------------------------------------------------------------------------------
def test_only_base_url_is_contacted(server, tmp_path, monkeypatch):
    connections = []
    real_create_connection = socket.create_connection

    def recording_create_connection(address, *args, **kwargs):
        connections.append(tuple(address[:2]))
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording_create_connection)
    monkeypatch.setenv("PROGNER_TEST_KEY", SECRET)

    # A model name that spacy-llm's own OpenAI model would check against api.openai.com.
    factory = registry.llm_models.get("spacy_progner.OpenAICompatible.v1")
    model = factory(
        base_url=server.base_url + "/",
        model="gpt-4o-mini",
        api_key_env="PROGNER_TEST_KEY",
        timeout=2.0,
        max_retries=2,
        backoff=0.01,
        cache_path=str(tmp_path / "c.sqlite"),
    )
    model.ledger = UsageLedger()
    direct = make_model(server)
    assert server.count == 0
    assert connections == []

    server.set_script("500", "ok", "429", "ok")
    assert model.chat(user("one")).text == echo("one")
    assert direct.chat_many([user("two"), user("three")])[1].text == echo("three")
    assert server.count == 5
    assert {(r["method"], r["path"]) for r in server.requests} == {("POST", "/v1/chat/completions")}
    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    assert connections and set(connections) == {(host, int(port))}
    assert all(r["body"]["model"] in ("gpt-4o-mini", "fake-model") for r in server.requests)


# 8 -------------------------------------------------------------------------------------------------
def test_non_json_answer_raises_naming_url(server):
    server.set_script(default="not_json")
    model = make_model(server)
    with pytest.raises(LLMError) as info:
        model.chat(user("give me json"))
    message = str(info.value)
    assert server.url in message
    assert "not JSON" in message
    assert "oops" in message


def test_request_body_is_openai_shaped(server):
    """The fake server sees a proper chat-completion body (guards the echo-based checks above)."""
    model = make_model(server)
    model.chat(user("shape", seed=3, temperature=0.5))
    body = server.requests[0]["body"]
    assert body["model"] == "fake-model"
    assert body["messages"][-1] == {"role": "user", "content": "shape"}
    assert (body["seed"], body["temperature"], body["n"]) == (3, 0.5, 1)
    assert json.loads(server.requests[0]["raw"]) == body


def test_progress_counts_each_answer_as_it_arrives(monkeypatch):
    """The bar must move when the first answer is in, not jump to 100% when the whole batch is done."""
    import threading

    import spacy_progner.llm.model as model_mod
    from spacy_progner.llm import ChatModel, ChatRequest, Choice, Usage

    release = threading.Event()
    seen_when_released, waited = [], []

    class Transport:
        name, max_concurrency, context_length = "test", 2, 4096

        def identity(self) -> str:
            return "test"

        def complete(self, request):
            if request.messages[0]["content"] == "slow":
                waited.append(release.wait(5))  # False: nobody released it while it ran
            return Choice(text="{}"), Usage(prompt_tokens=1, completion_tokens=1)

    class Bar:
        def __init__(self, *args, **kwargs):
            self.n = 0

        def update(self, k):
            self.n += k
            if self.n == 1:
                seen_when_released.append(self.n)
                release.set()  # only reached before the slow call ends if updates are per answer

        def close(self):
            pass

    monkeypatch.setattr(model_mod, "tqdm", Bar)
    requests = [ChatRequest(messages=[{"role": "user", "content": c}]) for c in ("slow", "fast")]
    ChatModel(Transport()).chat_many(requests, progress="x")
    assert seen_when_released == [1] and waited == [True]
