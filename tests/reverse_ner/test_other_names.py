"""The OTHER outlet (`other_names`): names of no asked type get a type of their own, which the pipe drops.
Replayed from tests/cassettes/reverse_ner_other.jsonl (the embedded model: PER and ORG asked of texts that
also name places, events, nationalities and dates)."""

from __future__ import annotations

import pytest
import reverse_ner_fixtures as F
import spacy

from spacy_progner.errors import SettingsError
from spacy_progner.ner import LabelSet
from spacy_progner.ner.labels import OTHER, OTHER_DEFINITION
from spacy_progner.reverse_ner import ExampleLibrary
from spacy_progner.reverse_ner.infer import TagSettings
from spacy_progner.reverse_ner.prompts import pool_request


@pytest.fixture(scope="module")
def outlet():
    return F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=True, k=2)


def test_the_labels_gain_the_outlet_once_and_a_user_type_named_other_is_refused():
    labels = LabelSet(F.OTHER_LABELS)
    assert list(labels.with_other()) == ["PER", "ORG", OTHER]
    assert list(labels.with_other().without_other()) == ["PER", "ORG"]
    with pytest.raises(SettingsError, match="OTHER is kept for names of no asked type"):
        config = {"labels": {**F.OTHER_LABELS, OTHER: "a name of another kind"}, "other_names": True}
        spacy.blank("en").add_pipe("reverse_ner", config=config)
    with pytest.raises(SettingsError, match="other_names must be true or false"):
        TagSettings(other_names="yes")  # type: ignore[arg-type]


def test_the_prompt_offers_the_outlet_only_when_asked(outlet):
    on = outlet.get_pipe("reverse_ner").tagger.requests(["Anna Berg flew to Oslo ."])[0]
    off = F.other_nlp(F.replay_block(F.OTHER_CASSETTE), other_names=False).get_pipe("reverse_ner")
    plain = off.tagger.requests(["Anna Berg flew to Oslo ."])[0]
    assert f"- {OTHER}:" in on.messages[0]["content"] and OTHER not in plain.messages[0]["content"]
    assert OTHER in str(on.json_schema) and OTHER not in str(plain.json_schema)


def test_the_outlet_check_offers_the_kinds_of_name_no_asked_type_covers():
    kinds = LabelSet(F.OTHER_LABELS).with_other_kinds()
    assert list(kinds)[:2] == ["PER", "ORG"] and {"PLACE", "EVENT", "NATIONALITY"} <= set(kinds)
    places = LabelSet({**F.OTHER_LABELS, "LOC": "the name of a place: a country, city or river"})
    assert "PLACE" not in places.with_other_kinds()  # an asked type covers it: places stay LOC's
    assert "DATE" not in LabelSet({"YEAR": "a year a movie came out"}).with_other_kinds()
    assert OTHER not in LabelSet(F.OTHER_LABELS).with_other().with_other_kinds()


def test_the_outlet_pool_is_asked_by_kinds_of_name_not_by_its_open_definition():
    request = pool_request(LabelSet(F.OTHER_LABELS).with_other(), OTHER, 15, "news", seed=1)
    text = request.messages[0]["content"]
    assert "names of other kinds" in text and "PER (the name of a person)" in text
    assert OTHER_DEFINITION not in text


def test_a_library_built_with_the_outlet_shows_it_in_its_demos(outlet):
    library = outlet.get_pipe("reverse_ner").library
    pools = library.meta["pools"]
    assert pools[OTHER] and not set(pools[OTHER]) & (set(pools["PER"]) | set(pools["ORG"]))
    assert any(label == OTHER for ex in library.examples for _, label in ex["entities"])
    # countries stay in the outlet: offered PLACE beside PER and ORG, the check no longer calls them ORG
    assert {"Germany", "France"} <= set(pools[OTHER])


def test_the_tagger_drops_what_it_puts_in_the_outlet_and_counts_it(outlet):
    docs = list(outlet.pipe(F.OTHER_TEXTS))
    assert {e.label_ for doc in docs for e in doc.ents} <= {"PER", "ORG"}
    assert outlet.get_pipe("reverse_ner").tagger.stats["other_names"] > 0


def test_a_library_with_the_outlet_needs_the_setting(outlet):
    library: ExampleLibrary = outlet.get_pipe("reverse_ner").library
    off = spacy.blank("en").add_pipe("reverse_ner", config={"labels": F.OTHER_LABELS, "k": 2})
    with pytest.raises(SettingsError, match="built with other_names = true: set that too"):
        off.set_library(library)


def test_an_outlet_pool_the_check_empties_is_asked_again_one_uncovered_kind_a_call():
    """People, places and organisations all asked: the outlet's own request brings countries and companies,
    which the check rightly gives asked types; asked by the kinds no asked type covers, it fills."""
    pool, stats = F.outlet_by_kind({"mode": "replay"})
    assert stats["outlet_asked_by_kind"] == 4  # nationality, event, product, date: LOC covers places
    dropped = stats["typecheck_other_of_asked_type"] + stats["duplicate"] + stats["implausible"]
    assert stats["typecheck_other_of_asked_type"] > 0 and len(pool) == stats["generated"] - dropped
    assert any("Olympics" in name for name in pool) and any(name[:4].isdigit() for name in pool)
