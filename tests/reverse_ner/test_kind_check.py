"""The kind check (`kind_check`): each sentence's names typed again in that sentence against the asked types and
named kinds of other names; those given a kind are dropped. Replayed from tests/cassettes/reverse_ner_other.jsonl
(the embedded model: PER and ORG asked of texts that also name places, events, nationalities and dates)."""

from __future__ import annotations

from collections import Counter

import pytest
import reverse_ner_fixtures as F

from spacy_progner.errors import SettingsError
from spacy_progner.llm import ChatResult, Choice, Usage
from spacy_progner.ner import LabelSet
from spacy_progner.reverse_ner.infer import Scored, TagSettings
from spacy_progner.reverse_ner.kinds import check_kinds, kind_requests


def ents(nlp):
    return [{(e.text, e.label_) for e in doc.ents} for doc in nlp.pipe(F.OTHER_TEXTS)]


@pytest.fixture(scope="module")
def tagged():
    plain = F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=False)
    checked = F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=False, kind_check=True)
    return ents(plain), ents(checked), checked.get_pipe("reverse_ner").tagger.stats


def test_the_check_asks_each_sentence_with_names_once_with_the_kinds_no_asked_type_covers():
    kinds = LabelSet(F.OTHER_LABELS).with_other_kinds()
    todo = kind_requests(kinds, ["Anna Berg flew to Oslo .", "No names here ."], [["Anna Berg", "Oslo"], []])
    assert [i for i, _ in todo] == [0]
    text = todo[0][1].messages[0]["content"]
    assert text.startswith("Text: Anna Berg flew to Oslo .") and "- PLACE:" in text and "- PER:" in text
    assert "- Anna Berg\n- Oslo" in text and "has in the text" in text
    places = LabelSet({**F.OTHER_LABELS, "LOC": "the name of a place: a country, city or river"})
    [(_, request)] = kind_requests(places.with_other_kinds(), ["Oslo ."], [["Oslo"]])
    assert "- PLACE:" not in request.messages[0]["content"]


def test_the_check_only_drops_and_drops_what_the_model_calls_another_kind(tagged):
    plain, checked, stats = tagged
    assert all(after <= before for before, after in zip(plain, checked))
    dropped = sum(len(b) - len(a) for b, a in zip(plain, checked))
    assert dropped == stats["kind_check_dropped"] > 0
    assert stats["kind_check_calls"] == sum(1 for found in plain if found)


def test_with_the_outlet_the_check_takes_out_the_places_and_events_the_tagger_still_gave_an_asked_type():
    outlet = ents(F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=True, k=2))
    nlp = F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=True, k=2, kind_check=True)
    checked = ents(nlp)
    assert {("Lisbon", "PER"), ("Atlantic Cup final", "ORG")} <= outlet[0]
    assert not {("Lisbon", "PER"), ("Atlantic Cup final", "ORG")} & checked[0]
    kept = {("Coach Marta Lind", "PER"), ("Harbour City", "ORG"), ("Kessler Motors", "ORG"), ("Reuters", "ORG")}
    assert kept <= set().union(*checked)  # a club, a company and a news agency stay ORG
    assert nlp.get_pipe("reverse_ner").tagger.stats["kind_check_dropped"] == 2


def test_a_name_the_answer_does_not_type_is_kept():
    class CutOff:
        def chat_many(self, requests, progress=None):
            text = '{"Anna Berg": "PER", "Oslo": "PLA'  # cut off inside the second verdict
            return [ChatResult([Choice(text, finish_reason="length")], Usage()) for _ in requests]

    found = [[Scored("Anna Berg", "PER", 1.0), Scored("Oslo", "ORG", 1.0)]]
    stats: Counter = Counter()
    out = check_kinds(CutOff(), LabelSet(F.OTHER_LABELS), ["Anna Berg flew to Oslo ."], found, stats)  # type: ignore[arg-type]
    assert out == found and stats["typecheck_cut_off"] == 1


def test_the_setting_is_checked_when_the_pipe_is_built():
    with pytest.raises(SettingsError, match="kind_check must be true or false"):
        TagSettings(kind_check="yes")  # type: ignore[arg-type]
