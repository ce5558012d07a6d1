"""The LLM layer on real model output: answers replayed from cassettes recorded from the embedded model."""

from __future__ import annotations

import json
from collections import Counter

import llm_requests as R
import pytest
import spacy

from spacy_progner.llm import ChatModel, ChatRequest, LLMError, ResponseCache, UsageLedger, make_replay
from spacy_progner.llm.replay import ReplayTransport
from spacy_progner.ner import AnswerError, entity_answer


@pytest.fixture
def replay(cassette_dir):
    return make_replay(str(cassette_dir.parent / R.CASSETTE))


def test_json_schema_answers_parse_and_name_text_from_the_sentence(replay):
    results = replay.chat_many(R.all_requests()["ner"])
    assert len(results) == len(R.SENTENCES)
    for sentence, result in zip(R.SENTENCES, results):
        answer = json.loads(result.text)
        assert set(answer) == {"entities"}
        assert answer["entities"], f"the model found nothing in {sentence!r}"
        for ent in answer["entities"]:
            assert ent["label"] in R.LABELS
        # The recorded answers are faithful copies: every mention occurs in its sentence.
        assert all(ent["text"] in sentence for ent in answer["entities"])
        assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


def test_logprobs_cover_the_answer_tokens(replay):
    choice = replay.chat(R.all_requests()["logprobs"]).choices[0]
    assert choice.logprobs, "log-probs were requested"
    assert "".join(tok for tok, _ in choice.logprobs) == choice.text
    assert all(lp <= 0.0 for _, lp in choice.logprobs)


def test_samples_have_their_own_seeds_and_answers(replay):
    request = R.all_requests()["sampled"]
    samples = request.samples()
    assert [s.seed for s in samples] == [11, 12, 13]
    assert len({s.key() for s in samples}) == 3
    result = replay.chat(request)
    assert len(result.choices) == 3
    for choice in result.choices:
        json.loads(choice.text)
    assert result.usage.completion_tokens == sum(replay.chat(s).usage.completion_tokens for s in samples)


def test_truncated_answer_is_flagged(replay):
    choice = replay.chat(R.all_requests()["truncated"]).choices[0]
    assert choice.finish_reason == "length" and choice.truncated
    with pytest.raises(ValueError):
        json.loads(choice.text)


def test_cut_off_answer_keeps_its_complete_items(replay, caplog):
    """A real answer cut off at max_tokens mid-list: the items written in full are kept (and the cut
    is counted and logged); one cut off before any item is complete stays an error naming the place."""
    drops = Counter()
    cut = replay.chat(R.all_requests()["cut_off"]).choices[0]
    assert cut.truncated
    with caplog.at_level("WARNING", logger="spacy_progner.ner"):
        kept = entity_answer(cut, R.LABELS, "sentence 3", drops)
    assert kept and all(text in R.SENTENCES[2] for text, _ in kept)
    assert drops["cut_off_items_kept"] == 1
    assert "sentence 3: answer was cut off" in caplog.text and f"kept its {len(kept)} complete items" in caplog.text
    with pytest.raises(AnswerError, match="sentence 2: answer was cut off"):
        entity_answer(replay.chat(R.all_requests()["truncated"]).choices[0], R.LABELS, "sentence 2")


def test_miss_names_the_cassette_and_the_request(replay):
    request = R.ner_request("A sentence nobody recorded, about Quentin in Quito.")
    with pytest.raises(LLMError) as err:
        replay.chat(request)
    text = str(err.value)
    assert "llm_layer.jsonl" in text and "Quentin in Quito" in text and "re-record" in text


def test_missing_cassette_is_a_clear_error(tmp_path):
    with pytest.raises(LLMError, match="does not exist"):
        make_replay(str(tmp_path / "nope.jsonl"))
    with pytest.raises(LLMError, match="needs a `model`"):
        make_replay(str(tmp_path / "nope.jsonl"), mode="record")
    with pytest.raises(LLMError, match="mode must be one of"):
        make_replay(str(tmp_path / "nope.jsonl"), mode="rewind")


def test_partial_last_line_is_skipped(cassette_dir, tmp_path):
    src = (cassette_dir / "llm_layer.jsonl").read_text(encoding="utf8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(src + src.splitlines()[0][:40], encoding="utf8")  # a write cut off by a kill
    model = make_replay(str(broken))
    assert model.chat(R.all_requests()["ner"][0]).text


def test_record_mode_appends_only_new_answers(cassette_dir, tmp_path):
    source = make_replay(str(cassette_dir / "llm_layer.jsonl"))
    out = tmp_path / "copy.jsonl"
    recorder = make_replay(str(out), mode="record", model=source)
    reqs = R.all_requests()["ner"]
    recorder.chat_many(reqs[:2])
    recorder.chat_many(reqs)
    lines = out.read_text(encoding="utf8").splitlines()
    assert len(lines) == 3
    again = make_replay(str(out))
    assert [r.text for r in again.chat_many(reqs)] == [r.text for r in source.chat_many(reqs)]


def test_cache_answers_repeat_requests_without_the_transport(cassette_dir, tmp_path):
    ledger = UsageLedger()
    transport = ReplayTransport(cassette_dir / "llm_layer.jsonl")
    model = ChatModel(transport, cache=ResponseCache(tmp_path / "c.sqlite"), ledger=ledger)
    reqs = R.all_requests()["ner"]
    first = model.chat_many(reqs)
    transport.entries.clear()  # the transport can no longer answer: only the cache can
    second = model.chat_many(reqs)
    assert [r.text for r in first] == [r.text for r in second]
    total = ledger.total()
    assert total.calls == 3 and total.cache_hits == 3


def test_cache_is_scoped_by_transport_and_model(tmp_path):
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}])
    assert request.key("local-gguf|a") != request.key("local-gguf|b") != request.key()
    assert request.key("x") == ChatRequest(messages=[{"role": "user", "content": "hi"}]).key("x")


def test_spacy_llm_ner_v3_runs_on_the_project_model(cassette_dir):
    """spacy-llm's built-in NER.v3 task on our model, resolved by its registered name."""
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "llm",
        config=R.ner_v3_config(
            {"@llm_models": "spacy_progner.Replay.v1", "path": str(cassette_dir / "spacy_ner_v3.jsonl")}
        ),
    )
    docs = list(nlp.pipe(R.NER_V3_SENTENCES))
    assert any(doc.ents for doc in docs)
    for doc in docs:
        assert all(ent.label_ in R.LABELS for ent in doc.ents)
        assert doc.user_data["llm_io"]["llm"]["response"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "user"}]}, "role' and 'content"),
        ({"messages": [{"role": "user", "content": "x"}], "n": 0}, "n must be"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
    ],
)
def test_malformed_requests_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ChatRequest(**kwargs)
