"""Streaming annotate and its shards: the output written as texts are tagged, a rerun after a kill that
asks nothing twice (no LLM cache), and the same file the in-memory path writes."""

from __future__ import annotations

import distill_fixtures as F
import pytest
from faults import DiesAfter

from spacy_progner.distill.annotate import annotate, annotate_stream
from spacy_progner.errors import StepError
from spacy_progner.files import write_jsonl
from spacy_progner.llm import ChatModel, LLMError, UsageLedger
from spacy_progner.llm.replay import ReplayTransport
from spacy_progner.scale import shards

ONE_BY_ONE = F.ANNOTATE.__class__(logprobs=True, batch_size=1)  # each text written the moment it is tagged


@pytest.fixture(scope="module")
def nlp():
    return F.pipeline(F.replay_model())


def use(nlp, transport) -> UsageLedger:
    pipe = nlp.get_pipe("reverse_ner")
    ledger = UsageLedger()
    pipe.model = pipe.tagger.model = ChatModel(transport, cache=None, ledger=ledger)
    return ledger


def test_streamed_output_is_the_in_memory_corpus_byte_for_byte(nlp, tmp_path):
    use(nlp, ReplayTransport(F.CASSETTE))
    expected = tmp_path / "expected.jsonl"
    write_jsonl(expected, annotate(nlp, F.rows(), F.ANNOTATE)["samples"])
    out = tmp_path / "out.jsonl"
    metrics = annotate_stream(nlp, F.rows(), out, F.ANNOTATE)
    assert out.read_bytes() == expected.read_bytes()
    assert metrics["texts"] == len(F.TEXTS) and metrics["resumed"] == 0


def test_a_killed_run_resumes_from_its_output_without_a_cache(nlp, tmp_path):
    use(nlp, ReplayTransport(F.CASSETTE))
    expected = tmp_path / "expected.jsonl"
    write_jsonl(expected, annotate(nlp, F.rows(), F.ANNOTATE)["samples"])
    out = tmp_path / "out.jsonl"
    first = use(nlp, DiesAfter(ReplayTransport(F.CASSETTE), 5))
    with pytest.raises(LLMError, match="killed"):
        annotate_stream(nlp, F.rows(), out, ONE_BY_ONE)
    assert first.total().calls == 5
    assert [row["id"] for _, _, _, row in shards.iter_lines(out)] == [i for i, _ in F.rows()][:5]
    with out.open("ab") as fh:
        fh.write(b'{"id": "line-6", "sent')  # torn by the kill mid-line
    second = use(nlp, ReplayTransport(F.CASSETTE))
    metrics = annotate_stream(nlp, F.rows(), out, ONE_BY_ONE)
    assert second.total().calls == len(F.TEXTS) - 5 and metrics["resumed"] == 5
    assert out.read_bytes() == expected.read_bytes()  # nothing lost, nothing twice, input order


def test_output_of_other_texts_is_refused_naming_the_file(nlp, tmp_path):
    out = tmp_path / "out.jsonl"
    write_jsonl(out, [{"id": "line-1", "sentence": "Another text entirely .", "entities": []}])
    use(nlp, ReplayTransport(F.CASSETTE))
    with pytest.raises(StepError, match="another text"):
        annotate_stream(nlp, F.rows(), out, F.ANNOTATE)
    write_jsonl(out, [{"id": "line-99", "sentence": "x", "entities": []}])
    with pytest.raises(StepError, match="line-99"):
        annotate_stream(nlp, F.rows(), out, F.ANNOTATE)


def test_a_corrupt_line_inside_a_shard_is_named(tmp_path):
    shard = tmp_path / "part-000000000.jsonl"
    shard.write_text('{"id": "a", "sentence": "A"}\nnot json\n{"id": "b", "sentence": "B"}\n', encoding="utf8")
    with pytest.raises(StepError, match="part-000000000.jsonl: line 2 is not JSON"):
        shards.scan([shard])


def test_an_output_begun_by_other_tag_settings_is_refused(nlp, tmp_path):
    from dataclasses import replace

    from spacy_progner.distill.annotate import AnnotateError

    out = tmp_path / "out.jsonl"
    use(nlp, DiesAfter(ReplayTransport(F.CASSETTE), 3))
    with pytest.raises(LLMError, match="killed"):
        annotate_stream(nlp, F.rows(), out, ONE_BY_ONE)
    pipe = nlp.get_pipe("reverse_ner")
    before = pipe.tagger.s
    pipe.tagger.s = replace(before, threshold=0.9)
    try:
        with pytest.raises(AnnotateError, match="out.jsonl.run.json differs"):
            annotate_stream(nlp, F.rows(), out, ONE_BY_ONE)
    finally:
        pipe.tagger.s = before
    use(nlp, ReplayTransport(F.CASSETTE))
    assert annotate_stream(nlp, F.rows(), out, ONE_BY_ONE)["resumed"] == 3  # the same settings resume
