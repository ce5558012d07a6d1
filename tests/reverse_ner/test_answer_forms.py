"""The compact answer forms, by_type ({"PER": ["..."]}) and pairs ({"entities": [["...", "PER"]]}): schema,
demos, reading (cut-off answers too), log-probs, and the pipe tagging with each on answers recorded from the
embedded model (`python tests/record.py forms`)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import reverse_ner_fixtures as F

from spacy_progner.errors import SettingsError
from spacy_progner.llm import Choice
from spacy_progner.ner import AnswerError, LabelSet
from spacy_progner.ner.forms import (
    answer_schema,
    by_type_answer,
    by_type_schema,
    complete_by_type,
    pairs_answer,
    read_value,
    render,
)
from spacy_progner.ner.logprobs import item_logprobs
from spacy_progner.reverse_ner.groups import read_group, similar_groups
from spacy_progner.reverse_ner.infer import Tagger, TagSettings
from spacy_progner.reverse_ner.prompts import ner_request

LABELS = ["PER", "ORG", "LOC"]


def test_demos_group_mentions_by_type_in_compact_json():
    assert render([("Anna Berg", "PER"), ("Oslo", "LOC"), ("Bo Lind", "PER")], "by_type") == (
        '{"PER":["Anna Berg","Bo Lind"],"LOC":["Oslo"]}'
    )
    assert render([], "by_type") == "{}"
    schema = by_type_schema(LABELS, max_items=3)
    assert set(schema["properties"]) == set(LABELS) and "required" not in schema
    assert schema["additionalProperties"] is False and schema["properties"]["PER"]["maxItems"] == 3


def test_unknown_types_and_bad_mentions_are_dropped_and_counted():
    drops: Counter = Counter()
    answer = Choice('{"PER":["Anna Berg"," "],"CITY":["Oslo"],"LOC":"Bergen","ORG":[3]}')
    assert by_type_answer(answer, LABELS, "s1", drops) == [("Anna Berg", "PER"), ("Bergen", "LOC")]
    assert drops == Counter(empty_text=1, unknown_label=1, malformed_item=1)
    with pytest.raises(AnswerError, match="s2: answer is not an object from type to mentions"):
        by_type_answer(Choice('["Anna"]'), LABELS, "s2")


def test_a_cut_off_answer_keeps_its_complete_mentions():
    text = '{"PER":["Anna Berg","Bo Lind"],"LOC":["Oslo","Berg'
    assert complete_by_type(text) == {"PER": ["Anna Berg", "Bo Lind"], "LOC": ["Oslo"]}
    drops: Counter = Counter()
    got = by_type_answer(Choice(text, finish_reason="length"), LABELS, "s3", drops)
    assert got == [("Anna Berg", "PER"), ("Bo Lind", "PER"), ("Oslo", "LOC")] and drops["cut_off_items_kept"] == 1
    with pytest.raises(AnswerError, match="cut off"):
        by_type_answer(Choice('{"PER":["An', finish_reason="length"), LABELS, "s4")


def test_logprob_of_a_mention_is_read_from_its_own_tokens_and_its_type():
    text = '{"PER":["Anna"],"LOC":["Oslo"]}'
    tokens = [(c, -0.5 if c in "Oslo" else -1.0) for c in text]
    scores = item_logprobs(Choice(text, logprobs=tokens), "by_type")
    assert scores[("Anna", "PER")] == -1.0  # no character of "PER" or "Anna" is one of "Oslo"'s
    assert scores[("Oslo", "LOC")] == round((4 * -0.5 + -1.0 + -0.5 + -1.0) / 7, 4)


def test_an_unknown_answer_form_is_refused_when_the_pipe_is_built():
    with pytest.raises(SettingsError, match="answer_form must be one of"):
        Tagger(LabelSet({"PER": "a person"}), None, None, TagSettings(answer_form="table"))


def test_the_request_asks_for_and_shows_the_form():
    labels = LabelSet(F.LABELS)
    request = ner_request(
        labels, "Anna Berg flew to Oslo .", [("Bo Lind left Rome .", [("Bo Lind", "PER")])], form="by_type"
    )
    assert '{"PER":["...","..."]}' in request.messages[0]["content"]
    assert request.messages[2]["content"] == '{"PER":["Bo Lind"]}'
    assert request.json_schema == by_type_schema(list(labels), max_items=3)


# --- pairs ----------------------------------------------------------------------------------------------


def test_demos_write_one_pair_per_mention_and_the_grammar_holds_each_pair_to_text_and_type():
    assert (
        render([("Anna Berg", "PER"), ("Oslo", "LOC")], "pairs") == '{"entities":[["Anna Berg","PER"],["Oslo","LOC"]]}'
    )
    assert render([], "pairs") == '{"entities":[]}'
    schema = answer_schema(LABELS, "pairs", max_items=3)["properties"]["entities"]
    assert schema["maxItems"] == 3
    assert schema["items"]["prefixItems"][1]["enum"] == LABELS and schema["items"]["maxItems"] == 2


def test_bad_pairs_are_dropped_and_counted_and_a_cut_off_answer_keeps_its_complete_pairs():
    drops: Counter = Counter()
    answer = Choice('{"entities":[["Anna Berg","PER"],["Oslo","CITY"],["Bergen"],[" ","LOC"]]}')
    assert pairs_answer(answer, LABELS, "p1", drops) == [("Anna Berg", "PER")]
    assert drops == Counter(unknown_label=1, malformed_item=1, empty_text=1)
    cut = Choice('{"entities":[["Anna Berg","PER"],["Oslo","LOC"],["Ber', finish_reason="length")
    assert pairs_answer(cut, LABELS, "p2", drops) == [("Anna Berg", "PER"), ("Oslo", "LOC")]
    assert drops["cut_off_items_kept"] == 1
    with pytest.raises(AnswerError, match="p3: answer has no 'entities' list"):
        pairs_answer(Choice('{"PER":["Anna"]}'), LABELS, "p3")
    assert read_value([["Anna", "PER"]], LABELS, "p4", "pairs", drops) == [("Anna", "PER")]


def test_logprob_of_a_pair_is_read_from_its_text_and_its_type():
    text = '{"entities":[["Anna","PER"],["Oslo","LOC"]]}'
    tokens = [(c, -0.5 if c in "Oslo" else -1.0) for c in text]
    scores = item_logprobs(Choice(text, logprobs=tokens), "pairs")
    assert scores[("Anna", "PER")] == -1.0
    assert scores[("Oslo", "LOC")] == round((4 * -0.5 + -1.0 + -0.5 + -1.0) / 7, 4)


def test_the_pairs_request_asks_for_and_shows_pairs():
    labels = LabelSet(F.LABELS)
    request = ner_request(
        labels, "Anna Berg flew to Oslo .", [("Bo Lind left Rome .", [("Bo Lind", "PER")])], form="pairs"
    )
    assert "one [text, type] pair per mention" in request.messages[0]["content"]
    assert request.messages[2]["content"] == '{"entities":[["Bo Lind","PER"]]}'
    assert request.json_schema == answer_schema(list(labels), "pairs", max_items=3)


# --- each compact form on recorded answers ------------------------------------------------------------


@pytest.fixture(scope="module")
def library():
    built = F.make_nlp(F.replay_block())
    built.get_pipe("reverse_ner").initialize(texts=F.TASK_TEXTS)
    return built.get_pipe("reverse_ner").library


@pytest.fixture(scope="module", params=["by_type", "pairs"])
def form_docs(request, library):
    nlp = F.form_nlp(F.replay_block(), library, request.param)
    return request.param, nlp, list(nlp.pipe(F.TAG_TEXTS))


def test_the_pipe_tags_with_each_compact_form_on_recorded_answers(form_docs):
    form, nlp, docs = form_docs
    pipe = nlp.get_pipe("reverse_ner")
    assert any(doc.ents for doc in docs), "the recorded answers name nothing: the test would not exercise the form"
    for doc, request in zip(docs, pipe.tagger.requests(F.TAG_TEXTS)):
        for demo in request.messages[2:-1:2]:
            shown = json.loads(demo["content"])
            assert ("entities" in shown) == (form == "pairs")
            assert form == "by_type" or all(isinstance(p, list) and len(p) == 2 for p in shown["entities"])
        group = doc.spans["reverse_ner"]
        assert all(lp is not None and lp <= 0 for lp in group.attrs["logprobs"])
        assert all(e.label_ in F.LABELS for e in doc.ents)
    assert not pipe.tagger.stats.get("bad_answer")


# --- several sentences per request (group_size) --------------------------------------------------------


def test_similar_sentences_share_a_group():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1], [0.1, 0.9], [0.7, 0.7]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert similar_groups(vectors, 2) == [[0, 2], [1, 3], [4]]
    assert sorted(i for g in similar_groups(vectors, 3) for i in g) == [0, 1, 2, 3, 4]


def test_a_group_answer_is_read_per_text_and_a_cut_off_one_keeps_the_texts_it_finished():
    drops: Counter = Counter()
    answer = Choice('{"1":{"PER":["Anna"]},"2":{},"3":{"LOC":["Oslo","Ber', finish_reason="length")
    got = read_group(answer, 3, LABELS, "by_type", "group", drops)
    assert got == [[("Anna", "PER")], [], None]
    assert drops == Counter(cut_off_texts_kept=1, texts_unanswered_in_group=1)
    got = read_group(Choice('{"1":[{"text":"Anna","label":"PER"}],"2":"none"}'), 2, LABELS, "mentions", "g", drops)
    assert got == [[("Anna", "PER")], None]
    with pytest.raises(AnswerError, match="g2: answer is not JSON"):
        read_group(Choice("Sure, here:"), 2, LABELS, "mentions", "g2", drops)


def test_an_unusable_group_size_is_refused_when_the_pipe_is_built():
    with pytest.raises(SettingsError, match="group_size must be an integer >= 1"):
        TagSettings(group_size=0)


@pytest.mark.parametrize(
    "setting,message",
    [
        ({"k": -1}, "k must be an integer >= 0, got -1"),
        ({"max_empty": -2}, "max_empty must be an integer >= 0"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"threshold": 0.0}, "threshold must be in"),
        ({"retrieve_by": "nearest"}, "retrieve_by must be one of"),
        ({"n_clusters": 0}, "n_clusters must be an integer >= 1"),
        ({"entities_per_type": -5}, "entities_per_type must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_every_setting_is_checked_when_the_pipe_is_built(setting, message):
    """A bad setting in a user's config fails at `add_pipe`, naming the setting (k = -1 is not zero demos)."""
    import spacy

    nlp = spacy.blank("en")
    with pytest.raises(SettingsError, match=message):
        nlp.add_pipe("reverse_ner", config={"labels": {"PER": "a person"}, **setting})


def test_the_pipe_tags_a_group_in_one_request_on_recorded_answers(form_docs, library):
    form, _, single = form_docs
    grouped = F.form_nlp(F.replay_block(), library, form, group_size=F.GROUP_SIZE)
    pipe = grouped.get_pipe("reverse_ner")
    groups, [request] = pipe.tagger.group_requests(F.TAG_TEXTS)
    assert groups == [[0, 1, 2]]
    assert request.messages[-1]["content"].splitlines() == [f"{i}. {t}" for i, t in enumerate(F.TAG_TEXTS, 1)]
    assert request.json_schema["required"] == ["1", "2", "3"]
    docs = list(grouped.pipe(F.TAG_TEXTS))
    assert any(doc.ents for doc in docs), "the recorded group answer names nothing"
    assert not pipe.tagger.stats.get("texts_unanswered_in_group") and not pipe.tagger.stats.get("bad_answer")
    for doc in docs:
        assert all(e.label_ in F.LABELS for e in doc.ents)
        assert doc.spans["reverse_ner"].attrs["scores"] == [1.0] * len(doc.spans["reverse_ner"])
