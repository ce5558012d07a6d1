"""Two passes of annotation, replayed from tests/cassettes/distill.jsonl: the first pass's labels join the
library (`add-demos`), and the larger library tags the other texts into the same corpus (`annotate --keep`)
without asking again for the texts the first pass tagged."""

from __future__ import annotations

import distill_fixtures as F
import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.distill.annotate import AnnotateSettings, annotate_stream
from spacy_progner.llm import ChatModel, UsageLedger
from spacy_progner.llm.replay import ReplayTransport


@pytest.fixture(scope="module")
def passes(tmp_path_factory):
    return F.two_pass(tmp_path_factory.mktemp("two-pass"), F.replay_model())


def test_the_second_pass_keeps_the_first_and_tags_only_the_rest(passes):
    paths = passes["paths"]
    first = list(srsly.read_jsonl(paths["first.jsonl"]))
    corpus = list(srsly.read_jsonl(paths["annotated.jsonl"]))
    assert [x["id"] for x in corpus] == [f"line-{i}" for i in range(1, len(F.TEXTS) + 1)]
    assert corpus[: F.FIRST_PASS] == first  # kept as they were
    for x in corpus[F.FIRST_PASS :]:
        for e in x["entities"]:
            assert x["sentence"][e["start"] : e["end"]] == e["text"]
    m = srsly.read_json(paths["annotate.json"])
    assert m["kept"] == F.FIRST_PASS and m["texts"] == len(F.TEXTS)
    assert m["usage"]["steps"]["annotate"]["calls"] == len(F.TEXTS) - F.FIRST_PASS  # none for the kept texts


def test_the_second_pass_tags_with_the_first_pass_texts_in_its_library(passes):
    paths = passes["paths"]
    added = srsly.read_json(paths["demos.json"])["added"]
    assert added >= 1
    before = len(spacy.load(paths["pipeline"]).get_pipe("reverse_ner").library)
    assert srsly.read_json(paths["annotate.json"])["library_examples"] == before + added
    user = [x for x in spacy.load(paths["with-demos"]).get_pipe("reverse_ner").library.examples if x.get("source")]
    assert {x["sentence"] for x in user} <= set(F.TEXTS[: F.FIRST_PASS])


def test_the_second_pass_asks_with_the_first_pass_texts_among_its_demos(passes, tmp_path):
    paths = passes["paths"]
    nlp = spacy.load(paths["with-demos"])
    pipe = nlp.get_pipe("reverse_ner")
    transport = ReplayTransport(F.CASSETTE)
    pipe.model = pipe.tagger.model = ChatModel(transport, ledger=UsageLedger())
    m = annotate_stream(nlp, F.rows(), tmp_path / "out.jsonl", AnnotateSettings(keep=str(paths["first.jsonl"])))
    assert m["kept"] == F.FIRST_PASS
    asked = [transport.entries[key]["request"]["messages"] for key in transport.used]  # what this run asked
    assert sorted(messages[-1]["content"] for messages in asked) == sorted(F.TEXTS[F.FIRST_PASS :])
    user = {x["sentence"] for x in pipe.library.examples if x.get("source") == "user"}
    shown = {message["content"] for messages in asked for message in messages[1:-1]}
    assert user & shown  # a first-pass text is a demo of a second-pass one


def _annotate(paths, keep, output, metrics):
    args = ["annotate", paths["texts.txt"], output, "--pipeline", paths["with-demos"], "--keep", keep]
    args += ["--model", paths["model.json"], "--metrics", metrics]
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_rerun_asks_nothing_and_another_first_pass_is_refused(passes, tmp_path):
    paths = passes["paths"]
    again = _annotate(paths, paths["first.jsonl"], paths["annotated.jsonl"], tmp_path / "again.json")
    assert again.exit_code == 0, again.output
    m = srsly.read_json(tmp_path / "again.json")
    assert m["usage"]["total"]["calls"] == 0 and m["resumed"] == len(F.TEXTS) and m["kept"] == 0
    other = tmp_path / "other-first.jsonl"
    srsly.write_jsonl(other, list(srsly.read_jsonl(paths["first.jsonl"]))[:2])
    refused = _annotate(paths, other, paths["annotated.jsonl"], tmp_path / "refused.json")
    assert refused.exit_code == 1 and "another --keep corpus" in " ".join(refused.output.split())


def test_a_first_pass_of_other_texts_is_named(passes, tmp_path):
    paths = passes["paths"]
    stray = tmp_path / "stray.jsonl"
    srsly.write_jsonl(stray, [{"id": "line-1", "sentence": "Another text .", "entities": []}])
    result = _annotate(paths, stray, tmp_path / "out.jsonl", tmp_path / "stray.json")
    assert result.exit_code == 1 and "holds another text than the texts file" in " ".join(result.output.split())


def test_a_negative_first_pass_is_refused(passes, tmp_path):
    paths = passes["paths"]
    args = ["annotate", paths["texts.txt"], tmp_path / "out.jsonl", "--pipeline", paths["pipeline"]]
    result = CliRunner().invoke(app, [str(a) for a in args + ["--first-pass", -1, "--model", paths["model.json"]]])
    assert result.exit_code == 1 and "--first-pass: a number of texts (0: all), got -1" in " ".join(
        result.output.split()
    )
