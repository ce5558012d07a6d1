"""Shared NER pieces: label sets, JSON answers, span alignment."""

from __future__ import annotations

from collections import Counter

import pytest
import spacy

from spacy_progner.llm import Choice
from spacy_progner.ner import (
    AnswerError,
    LabelSet,
    align_mentions,
    entity_schema,
    mention_bound,
    parse_entities,
    parse_json_answer,
)
from spacy_progner.ner.answers import complete_items

NLP = spacy.blank("en")


def test_alignment_tags_every_occurrence_at_word_boundaries():
    doc = NLP("Rome beat Romeo FC, and Rome celebrated in St. Louis.")
    spans, stats = align_mentions(doc, [("Rome", "LOC"), ("St. Louis", "LOC"), ("Romeo FC", "ORG")], ["LOC", "ORG"])
    assert [(s.text, s.label_) for s in spans] == [
        ("Rome", "LOC"),
        ("Romeo FC", "ORG"),
        ("Rome", "LOC"),
        ("St. Louis", "LOC"),
    ]
    assert stats.spans == 4 and not stats.dropped


def test_alignment_drops_are_counted_by_reason():
    doc = NLP("Anna works at Acme Corp in Berlin.")
    mentions = [("Anna", "PER"), ("Bob", "PER"), ("Acme", "DATE"), ("", "ORG"), ("Acme Corp", "ORG"), ("Anna", "PER")]
    spans, stats = align_mentions(doc, mentions, ["PER", "ORG", "LOC"])
    assert [(s.text, s.label_) for s in spans] == [("Anna", "PER"), ("Acme Corp", "ORG")]
    assert stats.dropped == Counter(not_in_text=1, unknown_label=1, empty_text=1, duplicate=1)
    assert stats.mentions == 6


def test_overlaps_prefer_score_then_length():
    doc = NLP("New York City Ballet opened.")
    spans, stats = align_mentions(doc, [("New York", "LOC", 0.9), ("New York City Ballet", "ORG", 0.6)])
    assert [(s.text, s.label_) for s in spans] == [("New York", "LOC")]
    assert stats.dropped["overlap"] == 1
    spans, _ = align_mentions(doc, [("New York", "LOC"), ("New York City Ballet", "ORG")])
    assert [(s.text, s.label_) for s in spans] == [("New York City Ballet", "ORG")]


def test_case_insensitive_only_without_exact_hit_and_alignment_modes():
    doc = NLP("the mayor of PARIS met paris hilton")
    spans, _ = align_mentions(doc, [("Paris", "LOC")])
    assert [s.text for s in spans] == ["PARIS", "paris"]
    doc = NLP("Visit U.S.A. today")
    assert align_mentions(doc, [("U.S", "LOC")], alignment_mode="strict")[1].dropped["misaligned"] == 1
    assert [s.text for s in align_mentions(doc, [("U.S", "LOC")], alignment_mode="expand")[0]] == ["U.S.A."]
    with pytest.raises(ValueError, match="alignment_mode"):
        align_mentions(doc, [], alignment_mode="fuzzy")


def test_odd_unicode_and_emoji():
    doc = NLP("Zoë 👋 met Юлия in Zürich 🇨🇭 and 東京.")
    spans, stats = align_mentions(doc, [("Zoë", "PER"), ("Юлия", "PER"), ("Zürich", "LOC"), ("東京", "LOC")])
    assert [s.text for s in spans] == ["Zoë", "Юлия", "Zürich", "東京"], stats


def test_parse_json_answer_names_the_problem():
    assert parse_json_answer(Choice('{"entities": []}'), "here") == {"entities": []}
    with pytest.raises(AnswerError, match=r"sentence 3: answer was cut off"):
        parse_json_answer(Choice('{"entities": [{"te', finish_reason="length"), "sentence 3")
    with pytest.raises(AnswerError, match=r"sentence 4: answer is not JSON"):
        parse_json_answer(Choice("Sure! Here are the entities"), "sentence 4")


def test_parse_entities_counts_drops():
    drops = Counter()
    data = {
        "entities": [{"text": "Anna", "label": "PER"}, {"text": " ", "label": "PER"}, {"text": "x", "label": "Y"}, 5]
    }
    assert parse_entities(data, ["PER"], "a", drops) == [("Anna", "PER")]
    assert drops == Counter(empty_text=1, unknown_label=1, malformed_item=1)
    with pytest.raises(AnswerError, match="no 'entities' list"):
        parse_entities({"ents": []}, ["PER"], "b")


def test_schema_shape():
    schema = entity_schema(["PER", "LOC"], sentence=True)
    assert schema["required"] == ["sentence", "entities"]
    assert schema["properties"]["entities"]["items"]["properties"]["label"]["enum"] == ["PER", "LOC"]


def test_mention_bound_caps_the_answer_list():
    """The tagging schema's maxItems: half the words, 3 to 16; text without spaces is not cut to 3."""
    assert mention_bound("Rome") == 3
    assert mention_bound(" ".join(["word"] * 11)) == 6
    assert mention_bound(" ".join(["word"] * 200)) == 16
    assert mention_bound("東京の会社トヨタ自動車と大阪の銀行三井住友の社長が名古屋で会った。") >= 5
    schema = entity_schema(["PER"], max_items=4)
    assert schema["properties"]["entities"]["maxItems"] == 4
    assert "maxItems" not in entity_schema(["PER"])["properties"]["entities"]
    # Not valid JSON and no complete item: nothing to keep.
    assert complete_items('{"entities": [{"text": "Ann') is None
    assert complete_items('{"entities": [ {"text": "A", "label": "PER"} , {"te') == {
        "entities": [{"text": "A", "label": "PER"}]
    }


def test_label_sets_validate(tmp_path):
    labels = LabelSet({"PER": "a  person's\nname"})
    assert labels["PER"] == "a person's name" and list(labels) == ["PER"]
    for bad, match in [({}, "no labels"), ({"PER": ""}, "non-empty"), ({"9X": "d"}, "must be a name")]:
        with pytest.raises(ValueError, match=match):
            LabelSet(bad)
    with pytest.raises(ValueError, match="need definitions"):
        LabelSet.from_any(["PER", "ORG"])
    path = tmp_path / "labels.yml"
    path.write_text("entity_types:\n  PER:\n    definition: a person\n  LOC: a place\n", encoding="utf8")
    assert LabelSet.from_any(path).to_dict() == {"PER": "a person", "LOC": "a place"}
    path.write_text("PER: [unclosed", encoding="utf8")
    with pytest.raises(ValueError, match="malformed YAML/JSON in the labels file"):
        LabelSet.from_any(path)
    with pytest.raises(ValueError, match="does not exist"):
        LabelSet.from_any(tmp_path / "none.yml")
    as_json = tmp_path / "labels.json"
    as_json.write_text('{"ORG": "a company"}', encoding="utf8")
    assert LabelSet.from_any(as_json).to_dict() == {"ORG": "a company"}
    as_json.write_bytes(b'{"ORG": "caf\xe9"}')  # Latin-1, not UTF-8
    with pytest.raises(ValueError, match="labels.json: the labels file is not UTF-8"):
        LabelSet.from_any(as_json)


def test_complete_pairs_keep_what_a_cut_off_object_wrote_in_full():
    from spacy_progner.ner.answers import complete_pairs

    cut = '{\n  "London": "LOC",\n  "Apple Inc.": "ORG",\n  "Tom Cr'
    assert complete_pairs(cut) == {"London": "LOC", "Apple Inc.": "ORG"}
    assert complete_pairs('{"London": "LOC", "Apple Inc.": "OR') == {"London": "LOC"}
    assert complete_pairs('{"a": "X", "b": "Y"}') == {"a": "X", "b": "Y"}
    assert complete_pairs("no object here") == {} and complete_pairs('{"a": "X" "b"') == {}
