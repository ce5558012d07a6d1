"""annotate and relabel on a local Ray (2 CPUs): the same corpus as one process, over replayed answers and
over the fake OpenAI server; a worker killed mid-run loses no text, writes none twice, and the server
answers no request twice."""

from __future__ import annotations

import json
import os
import sys

import distill_fixtures as F
import pytest
import scale_fixtures as S
import spacy
from spacy.tokens import DocBin

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'spacy-progner[ray]' to run these")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'spacy-progner[ray]'")

from spacy_progner.distill.annotate import annotate  # noqa: E402
from spacy_progner.distill.relabel import relabel  # noqa: E402
from spacy_progner.files import write_jsonl  # noqa: E402
from spacy_progner.scale.jobs import annotate_ray, relabel_ray  # noqa: E402
from spacy_progner.scale.ray_engine import RaySettings  # noqa: E402
from spacy_progner.scale.workers import ModelFactory  # noqa: E402

SETTINGS = RaySettings(workers=2, block_size=3)  # 8 texts: blocks of 3, 3 and 2


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module; the workers import the test helpers (faults) from the tests folder."""
    path = os.pathsep.join([os.path.dirname(os.path.dirname(__file__)), *sys.path])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return S.save_pipeline(tmp_path_factory.mktemp("pipeline") / "nlp")


@pytest.fixture(scope="module")
def expected(saved, tmp_path_factory):
    """The single-process corpus, written as `annotate` writes it."""
    path = tmp_path_factory.mktemp("single") / "annotated.jsonl"
    write_jsonl(path, annotate(spacy.load(saved), F.rows(), F.ANNOTATE)["samples"])
    return path.read_bytes()


def test_ray_over_replayed_answers_is_the_single_process_corpus(saved, expected, tmp_path):
    model = S.replay_model_file(tmp_path / "replay.json")
    out = tmp_path / "annotated.jsonl"
    metrics, usage = annotate_ray(saved, F.rows(), out, ModelFactory(str(model)), F.ANNOTATE, SETTINGS)
    assert out.read_bytes() == expected
    assert metrics["engine"]["blocks"] == 3 and metrics["engine"]["texts_run"] == len(F.TEXTS)
    assert usage.total().calls == len(F.TEXTS) and not (tmp_path / "annotated.jsonl.shards").exists()


def test_ray_over_the_fake_server_is_the_single_process_corpus(saved, expected, server, tmp_path):
    model = S.fake_model_file(tmp_path / "fake.json", server.base_url)
    out = tmp_path / "annotated.jsonl"
    server.reset()
    annotate_ray(saved, F.rows(), out, ModelFactory(str(model), concurrency=2), F.ANNOTATE, SETTINGS)
    assert out.read_bytes() == expected
    assert len(server.answered) == len(F.TEXTS) and server.max_in_flight <= 2 * SETTINGS.workers


def test_a_killed_worker_loses_no_text_and_asks_nothing_twice(saved, expected, server, tmp_path):
    model = S.fake_model_file(tmp_path / "fake.json", server.base_url, concurrency=1)
    marker = tmp_path / "killed"
    dies = S.DiesOnce(ModelFactory(str(model), concurrency=1), str(marker), after=2)
    one_by_one = F.ANNOTATE.__class__(logprobs=True, batch_size=1)
    out = tmp_path / "annotated.jsonl"
    server.reset()
    try:  # Ray restarts the worker and retries its block; if the job fails instead, the rerun resumes
        annotate_ray(saved, F.rows(), out, dies, one_by_one, SETTINGS)
    except Exception as err:  # noqa: BLE001 - whichever way Ray reports the dead worker
        print(f"first run failed: {type(err).__name__}: {err}")
    assert marker.exists()  # a worker was killed
    metrics, _ = annotate_ray(saved, F.rows(), out, dies, one_by_one, SETTINGS)  # the rerun
    assert out.read_bytes() == expected  # no text lost, none twice, input order
    assert len(server.answered) == len(set(server.answered)) == len(F.TEXTS)  # no request answered twice
    assert metrics["engine"]["texts_run"] == 0 and metrics["resumed"] == len(F.TEXTS)


def test_relabel_on_ray_is_the_single_process_docbin(tmp_path):
    student = S.train_student(tmp_path / "student")
    texts = S.student_texts(20)
    rows = [(f"line-{i}", t) for i, t in enumerate(texts, 1)]
    single, counts = relabel(spacy.load(student), texts)
    out = tmp_path / "relabelled.spacy"
    metrics = relabel_ray(student, rows, out, RaySettings(workers=2, block_size=6))
    vocab = spacy.blank("en").vocab

    def tokens(docbin):
        return [[(t.text, t.ent_iob_, t.ent_type_) for t in d] for d in docbin.get_docs(vocab)]

    assert tokens(DocBin().from_disk(out)) == tokens(single)
    assert metrics["entities"] == counts["entities"] > 0 and metrics["docs"] == len(texts)
    assert json.dumps(metrics)  # metrics are JSON as the CLI writes them


def test_the_cli_annotates_on_ray_with_its_usage_in_the_metrics(saved, expected, tmp_path):
    from typer.testing import CliRunner

    from spacy_progner.cli import app

    texts, model = S.texts_file(tmp_path / "texts.txt"), S.replay_model_file(tmp_path / "replay.json")
    out, metrics = tmp_path / "annotated.jsonl", tmp_path / "annotate.json"
    args = ["annotate", texts, out, "--pipeline", saved, "--model", model, "--metrics", metrics,
            "--engine", "ray", "--workers", "2", "--block-size", "3"]  # fmt: skip
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected
    data = json.loads(metrics.read_text())
    assert data["usage"]["total"]["calls"] == len(F.TEXTS) and data["engine"]["workers"] == 2
