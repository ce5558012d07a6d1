"""The review server as a person runs it: token required, bodies bounded, loopback by default, and a
`kill -9` in the middle of a review loses no decision and repeats none."""

from __future__ import annotations

import socket

import pytest
import review_fixtures as F

from spacy_progner.review.decisions import read_reviewed


@pytest.fixture
def corpus(tmp_path):
    return F.write_corpus(tmp_path / "corpus.jsonl", F.corpus())


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that write no decision (each start costs seconds of imports)."""
    folder = tmp_path_factory.mktemp("shared")
    srv = F.Server(F.write_corpus(folder / "corpus.jsonl", F.corpus()), folder / "out.jsonl")
    yield srv, folder
    srv.stop()


@pytest.fixture
def server(shared):
    return shared[0]


def spans(task):
    return [{k: e[k] for k in ("start", "end", "label")} for e in task["entities"]]


def test_binds_to_loopback_by_default(server):
    assert server.base.startswith("http://127.0.0.1:")
    port = int(server.base.rsplit(":", 1)[1])
    with socket.socket() as s:  # the loopback port is in use by the server, so listening is local only
        assert s.connect_ex(("127.0.0.1", port)) == 0


def test_every_request_without_the_right_token_is_refused(server):
    assert server.request("/api/task", token=None)[0] == 403
    assert server.request("/api/task", token="wrong")[0] == 403
    assert server.request("/", token=None)[0] == 403
    assert server.request("/api/answer", {"id": "t1", "entities": []}, token="wrong")[0] == 403
    status, task = server.request("/api/task")
    assert status == 200 and task["id"] == "t1"
    assert server.request("/etc/passwd")[0] == 404


def test_oversized_bodies_are_refused_before_they_are_read(server, shared):
    status, body = server.request("/api/answer", raw=b"{" + b" " * (64 * 1024 + 10) + b"}")
    assert status == 413 and "over 65536 bytes" in body["error"]
    assert not (shared[1] / "out.jsonl").read_text()


def test_the_page_is_served_with_its_script_inline_and_a_strict_policy(server):
    import urllib.request

    with urllib.request.urlopen(server.url, timeout=10) as res:
        html = res.read().decode()
        csp = res.headers["Content-Security-Policy"]
    assert "/*SCRIPT*/" not in html and "async function call" in html and '"PER"' in html
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp


def test_a_killed_server_restarted_on_the_same_output_loses_and_repeats_nothing(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    first = F.Server(corpus, out)
    try:
        _, task = first.request("/api/task")
        for _ in range(2):
            status, task = first.request("/api/answer", {"id": task["id"], "entities": spans(task)[:1]})
            assert status == 200
        first.kill()
    finally:
        first.stop()
    assert (tmp_path / "out.jsonl.lock").exists()  # left behind by the killed process: stale
    second = F.Server(corpus, out)
    try:
        _, task = second.request("/api/task")
        assert task["progress"]["earlier"] == 2 and task["id"] == "t2"
        while not task["done"]:
            status, task = second.request("/api/answer", {"id": task["id"], "entities": spans(task)})
            assert status == 200
    finally:
        second.stop()
    ids = [row["id"] for row in F.log_lines(out)]
    assert sorted(ids) == ["t0", "t1", "t2", "t3", "t4"]
    assert {r["id"]: len(r["entities"]) for r in read_reviewed(out)}["t1"] == 1
    assert not (tmp_path / "out.jsonl.lock").exists()  # a clean stop removes its lock


def test_a_second_review_on_the_same_output_is_refused(shared, corpus):
    result = F.run_cli("review", str(F.SPEC_PATH), str(corpus), str(shared[1] / "out.jsonl"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "another review (pid" in result.output


def test_a_taken_port_is_a_clear_error(server, corpus, tmp_path):
    port = server.base.rsplit(":", 1)[1]
    result = F.run_cli("review", str(F.SPEC_PATH), str(corpus), str(tmp_path / "b.jsonl"), "--port", port)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"port {port} on 127.0.0.1 is taken" in result.output
    assert not (tmp_path / "b.jsonl.lock").exists()
