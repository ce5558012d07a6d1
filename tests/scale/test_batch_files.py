"""OpenAI batch files: the requests written are the ones the live path sends, a finished batch read back
gives the live path's corpus, and a bad results line is counted and named (file, line, custom_id)."""

from __future__ import annotations

import json
from dataclasses import replace

import distill_fixtures as F
import pytest
import scale_fixtures as S
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.scale.batch_files import batch_requests, read_results, request_hash


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return S.save_pipeline(tmp_path_factory.mktemp("pipeline") / "nlp")


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_batch_files_read_back_equal_the_live_corpus(server, saved, tmp_path):
    texts, model = S.texts_file(tmp_path / "texts.txt"), S.fake_model_file(tmp_path / "m.json", server.base_url)
    server.reset()
    live = tmp_path / "live.jsonl"
    run("annotate", texts, live, "--pipeline", saved, "--model", model, "--metrics", tmp_path / "l.json")
    live_bodies = sorted(server.answered)
    assert len(live_bodies) == len(F.TEXTS)

    requests = tmp_path / "batch_in.jsonl"
    server.reset()
    out = run("annotate", texts, tmp_path / "unused.jsonl", "--pipeline", saved, "--model", model,
              "--batch-requests", requests, "--metrics", tmp_path / "r.json")  # fmt: skip
    assert server.count == 0 and "8 requests for 8 texts" in out  # no model call
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    assert sorted(json.dumps(x["body"], sort_keys=True) for x in lines) == live_bodies  # the exact live requests
    assert all(x["method"] == "POST" and x["url"] == "/v1/chat/completions" for x in lines)
    assert [x["custom_id"].split(":")[0] for x in lines] == [i for i, _ in F.rows()]

    results = tmp_path / "batch_out.jsonl"
    server.answer_batch(requests, results)
    run("annotate", texts, tmp_path / "batch.jsonl", "--pipeline", saved, "--model", model,
        "--batch-results", results, "--metrics", tmp_path / "b.json")  # fmt: skip
    assert (tmp_path / "batch.jsonl").read_bytes() == (tmp_path / "live.jsonl").read_bytes()
    summary = json.loads((tmp_path / "b.json").read_text())["batch_results"]
    assert summary["answers"] == len(F.TEXTS) and summary["malformed"] == summary["failed"] == 0


def test_bad_results_lines_are_counted_and_named(server, saved, tmp_path):
    texts, model = S.texts_file(tmp_path / "texts.txt"), S.fake_model_file(tmp_path / "m.json", server.base_url)
    requests, results = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    run("annotate", texts, tmp_path / "x.jsonl", "--pipeline", saved, "--model", model, "--batch-requests", requests,
        "--metrics", tmp_path / "r.json")  # fmt: skip
    server.answer_batch(requests, results)
    lines = results.read_text().splitlines()
    second = json.loads(lines[1])
    failed = json.loads(lines[2])
    failed["response"] = {"status_code": 500, "body": {"error": {"message": "server fell over"}}}
    lines[1] = lines[1][: len(lines[1]) // 2]  # cut: not JSON
    lines[2] = json.dumps(failed)
    del lines[3]  # missing
    results.write_text("\n".join(lines) + "\n")
    out = run("annotate", texts, tmp_path / "c.jsonl", "--pipeline", saved, "--model", model,
              "--batch-results", results, "--metrics", tmp_path / "b.json")  # fmt: skip
    summary = json.loads((tmp_path / "b.json").read_text())["batch_results"]
    assert (summary["malformed"], summary["failed"], summary["missing"]) == (1, 1, 3)
    assert f"{results} line 2 (no custom_id): malformed" in out
    assert f"{results} line 3 ({failed['custom_id']}): failed" in out and "HTTP 500" in out
    assert second["custom_id"] in " ".join(summary["problems"])  # the cut line's request is missing, named
    corpus = [json.loads(x) for x in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert [x["id"] for x in corpus] == ["line-1", "line-5", "line-6", "line-7", "line-8"]
    assert json.loads((tmp_path / "b.json").read_text())["not_tagged"] == 3

    # a second batch asks only for the three texts left out, and completes the corpus
    again, answers = tmp_path / "in2.jsonl", tmp_path / "out2.jsonl"
    run("annotate", texts, tmp_path / "c.jsonl", "--pipeline", saved, "--model", model, "--batch-requests", again,
        "--metrics", tmp_path / "r2.json")  # fmt: skip
    assert [json.loads(x)["custom_id"].split(":")[0] for x in again.read_text().splitlines()] == [
        "line-2", "line-3", "line-4"
    ]  # fmt: skip
    server.answer_batch(again, answers)
    run("annotate", texts, tmp_path / "c.jsonl", "--pipeline", saved, "--model", model, "--batch-results", answers,
        "--metrics", tmp_path / "b2.json")  # fmt: skip
    live = tmp_path / "live.jsonl"
    run("annotate", texts, live, "--pipeline", saved, "--model", model, "--metrics", tmp_path / "l.json")
    assert (tmp_path / "c.jsonl").read_bytes() == live.read_bytes()


def test_samples_and_several_calls_per_text_get_one_line_each(saved, tmp_path):
    import spacy

    nlp = spacy.load(saved)
    pipe = nlp.get_pipe("reverse_ner")
    pipe.tagger.s = replace(pipe.tagger.s, n_samples=2, temperature=0.7)
    two_sentences = ("long", "Marta Keller flew to Graz . Police in Cork arrested two men .")
    got = list(batch_requests(nlp, [*F.rows()[:2], two_sentences], F.ANNOTATE))
    owners = [text_id for text_id, _ in got]
    assert owners == ["line-1"] * 2 + ["line-2"] * 2 + ["long"] * 4  # n=2 samples x sentences
    assert [r.seed for _, r in got][:2] == [pipe.tagger.s.seed, pipe.tagger.s.seed + 1]
    assert all(r.n == 1 for _, r in got) and len({r.key() for _, r in got}) == 8


def test_results_file_problems_carry_line_and_custom_id(tmp_path):
    path = tmp_path / "results.jsonl"
    ok_body = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}], "usage": {}}
    path.write_text(
        "\n".join([
            json.dumps({"custom_id": "line-1:" + "a" * 16, "response": {"status_code": 200, "body": ok_body}}),
            json.dumps({"custom_id": "line-2:" + "b" * 16, "response": {"status_code": 200, "body": {"choices": []}}}),
            json.dumps({"custom_id": "line-3:" + "c" * 16, "response": None, "error": {"code": "expired"}}),
            json.dumps({"custom_id": "nohash", "response": {"status_code": 200, "body": ok_body}}),
        ]) + "\n"
    )  # fmt: skip
    results = read_results(path)
    assert list(results.answers) == ["a" * 16] and request_hash("line-1:" + "a" * 16) == "a" * 16
    assert [(p.kind, p.line, p.custom_id) for p in results.problems] == [
        ("malformed", 2, "line-2:" + "b" * 16), ("failed", 3, "line-3:" + "c" * 16), ("malformed", 4, "nohash"),
    ]  # fmt: skip
    assert "no choices" in results.problems[0].reason and "expired" in results.problems[1].reason
