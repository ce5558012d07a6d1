"""The library build with six types (music), replayed from answers of the real embedded model
(tests/cassettes/reverse_ner_many.jsonl): long type-check and expansion answers are never cut off,
every pool name gets a verdict, each type gets examples; plus the pieces that repair what the model
changed."""

from __future__ import annotations

from collections import Counter

import pytest
import reverse_ner_fixtures as F
import spacy

from spacy_progner.ner import LabelSet
from spacy_progner.ner.answers import entity_answer
from spacy_progner.ner.labels import OTHER
from spacy_progner.reverse_ner import prompts
from spacy_progner.reverse_ner.build import LOST, BuildSettings, LibraryBuilder, completed, pool_keys
from spacy_progner.reverse_ner.expand import length_fits, match_shape, repair
from spacy_progner.reverse_ner.pools import name_key, read_verdicts, restore_emptied


@pytest.fixture(scope="module")
def many():
    return F.build_many(F.many_types_model())


def test_no_build_answer_is_cut_off(many):
    _, lib = many
    counts = lib.meta["counts"]
    assert counts["pools"].get("cut_off", 0) == 0
    assert counts["pools"].get("typecheck_cut_off", 0) == 0
    assert counts["examples"].get("dropped_cut_off", 0) == 0
    assert counts["examples"].get("cut_off_items_kept", 0) == 0


def test_every_pool_name_gets_a_verdict_and_moved_names_keep_their_new_type(many):
    _, lib = many
    pools, counts = lib.meta["pools"], lib.meta["counts"]["pools"]
    assert counts.get("typecheck_unanswered", 0) == 0
    assert set(pools) == set(F.MUSIC_LABELS) and all(pools.values())
    names = [name_key(n) for pool in pools.values() for n in pool]
    assert len(names) == len(set(names))  # a moved name sits in one pool only
    kept = sum(len(p) for p in pools.values())
    unique = counts["generated"] - counts.get("implausible", 0) - counts.get("duplicate", 0)
    assert kept + counts.get("typecheck_none", 0) == unique


def test_each_type_reaches_the_minimum_or_the_top_up_budget_is_spent(many):
    _, lib = many
    counts = lib.meta["counts"]["examples"]
    per_type = Counter(lab for ex in lib.examples for lab in {e[1] for e in ex["entities"]})
    short = [lab for lab in F.MUSIC_LABELS if per_type[lab] < F.MANY_BUILD["min_examples_per_type"]]
    assert not short or counts["top_up_calls"] == F.MANY_BUILD["max_top_up_calls"]
    assert counts["top_up_calls"] <= F.MANY_BUILD["max_top_up_calls"]
    for label in F.MUSIC_LABELS:
        assert counts[f"kept_with_{label}"] == per_type[label]


def test_examples_hold_their_entities_and_every_expansion_is_accounted_for(many):
    _, lib = many
    counts = lib.meta["counts"]["examples"]
    for ex in lib.examples:
        assert all(text in ex["sentence"] and label in F.MUSIC_LABELS for text, label in ex["entities"])
    base = F.MANY_BUILD["n_clusters"] * F.MANY_BUILD["expansions_per_feature"]
    assert counts["generated"] == base + counts.get("top_up_calls", 0)
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    assert counts["generated"] == counts["kept"] + dropped


def test_a_cut_off_type_check_answer_keeps_its_complete_items():
    request = F.cut_off_request()
    [result] = F.many_types_model().chat_many([request])
    choice = result.choices[0]
    assert choice.truncated  # the real model's answer did not fit CUT_OFF_BUDGET tokens
    stats: Counter = Counter()
    chunk = [("X", name) for name in F.CUT_OFF_NAMES]
    verdicts = read_verdicts(chunk, choice, LabelSet(F.MUSIC_LABELS), stats)
    assert stats["typecheck_cut_off"] == 1 and stats["cut_off_items_kept"] == 1
    assert 0 < len(verdicts) < len(F.CUT_OFF_NAMES)
    answered = [name for _, name in chunk if ("X", name) in verdicts]
    assert answered == F.CUT_OFF_NAMES[: len(answered)]  # the complete items come first, in order


def test_a_type_the_check_empties_gets_its_written_names_back_unchecked(caplog):
    written = {"REVIEW": ["critically acclaimed", "A must-see"], "RATING": ["PG-13"], OTHER: ["Cannes"]}
    # the check moved one REVIEW phrase to RATING, found no type for the other, and gave the outlet's name PER
    checked = {"REVIEW": [], "RATING": ["PG-13", "Critically Acclaimed"], OTHER: []}
    stats: Counter = Counter()
    kept = restore_emptied(written, checked, stats)
    assert kept["REVIEW"] == ["critically acclaimed", "A must-see"]
    assert kept["RATING"] == ["PG-13"]  # the moved phrase is back in one pool only
    assert kept[OTHER] == []  # the outlet's pool is asked again by kind instead
    assert stats["typecheck_restored"] == 2
    assert "REVIEW" in caplog.text and "rephrase its definition" in caplog.text
    untouched = {"REVIEW": ["rave reviews"], "RATING": ["PG-13"], OTHER: []}
    assert restore_emptied(written, {k: list(v) for k, v in untouched.items()}, Counter()) == untouched


def test_entities_whose_casing_or_quotes_changed_are_repaired_and_counted():
    stats: Counter = Counter()
    sentence = 'Her single "Paper Moons" topped the chart, and the copper lanterns opened for her.'
    fixed, missing = repair(
        sentence, [('"Paper Moons"', "SONG"), ("The Copper Lanterns", "BAND"), ("Dust and Daylight", "SONG")], stats
    )
    assert fixed == [("Paper Moons", "SONG"), ("the copper lanterns", "BAND")]
    assert missing == [("Dust and Daylight", "SONG")]
    assert stats["repaired_quotes"] == 1 and stats["repaired_case"] == 1
    stats2: Counter = Counter()
    fixed2, _ = repair("She sang Paper Moons twice.", [('"Paper Moons"', "SONG")], stats2)
    assert fixed2 == [("Paper Moons", "SONG")] and stats2["repaired_quotes"] == 1


def test_uncased_features_get_lower_case_examples_and_short_features_some_slack():
    sentence, ents = match_shape(
        "any cheap thai places near me", "Is there a cheap Olive Garden nearby?", [("Olive Garden", "Restaurant_Name")]
    )
    assert sentence == "is there a cheap olive garden nearby?" and ents == [("olive garden", "Restaurant_Name")]
    assert match_shape("Lena Ortiz scored.", "Ana won.", [("Ana", "PER")]) == ("Ana won.", [("Ana", "PER")])
    assert length_fits("best pizza", "where is the best pizza around here")
    assert not length_fits("best pizza", "where is the best pizza around here in this lovely town of ours tonight")


def test_an_example_that_gave_up_an_entity_is_kept_only_if_the_check_finds_no_other_name(many):
    builder, lib = many
    before = builder.stats["examples"].copy()
    kept = F.check_given_up(builder, lib.meta["pools"])
    after = builder.stats["examples"]
    assert [ex["sentence"] for ex in kept] == [F.GIVEN_UP[1]["sentence"]]  # the award and song sentence went
    assert after["kept_after_giving_up_entity"] - before["kept_after_giving_up_entity"] == 1
    assert after["dropped_unlabelled_entity"] - before["dropped_unlabelled_entity"] == 1
    assert not any(LOST in ex for ex in kept + lib.examples)  # the mark never reaches a library


def test_without_the_example_check_a_lost_entity_still_drops_its_example():
    lost = [("Paper Moons", "SONG")]
    held = [("Mara Quinn", "ARTIST")]
    checked = LibraryBuilder(LabelSet(F.MUSIC_LABELS), model=None, settings=BuildSettings())  # type: ignore[arg-type]
    assert checked._lose_missing(held, lost) == (lost, [])
    assert checked._lose_missing([], lost) == ([], lost)  # nothing left to be an example of
    unchecked = LibraryBuilder(
        LabelSet(F.MUSIC_LABELS),
        model=None,  # type: ignore[arg-type]
        settings=BuildSettings(check_examples="off"),
    )
    assert unchecked._lose_missing(held, lost) == ([], lost)


def test_a_sentence_closed_at_its_length_bound_is_dropped_as_cut_off():
    from spacy_progner.llm.protocol import Choice
    from spacy_progner.ner.answers import compact
    from spacy_progner.reverse_ner import prompts

    feature = "any good war movies"
    builder = LibraryBuilder(LabelSet(F.MUSIC_LABELS), model=None)  # type: ignore[arg-type]
    bound = prompts.expansion_max_chars(feature)
    closed = ("Mira Solberg sang " * 20)[:bound]  # as the grammar ends a string that reached maxLength
    stats: Counter = Counter()
    answer = {"sentence": closed, "entities": [{"text": "Mira Solberg", "label": "ARTIST"}]}
    assert builder._read_expansion(feature, Choice(compact(answer)), 0, stats) is None
    assert stats["dropped_sentence_cut_off"] == 1
    whole = {**answer, "sentence": "Mira Solberg sang twice."}
    assert builder._read_expansion(feature, Choice(compact(whole)), 0, stats) is not None


def test_a_long_example_check_answer_fits_its_budget():
    """The real model's check answer for sixteen entities runs past the tagging budget (256 tokens), which
    cut off two check answers in each of the CoNLL-2003 and WikiGold builds; the check's own budget holds
    it whole."""
    labels = LabelSet(F.MUSIC_LABELS)
    request = prompts.check_request(labels, F.LONG_CHECK_SENTENCE)
    [result] = F.many_types_model().chat_many([request])
    assert not result.choices[0].truncated
    assert result.usage.completion_tokens > prompts.ner_request(labels, F.LONG_CHECK_SENTENCE).max_tokens
    stats: Counter = Counter()
    found = entity_answer(result.choices[0], labels, "example check", stats)
    assert len(found) >= 12 and stats["cut_off_items_kept"] == 0


def test_the_check_completes_an_example_with_names_its_typed_pool_confirms_and_drops_it_otherwise():
    """Examples and extras as the MIT-Restaurant build's example check found them (uncased text)."""
    nlp = spacy.blank("en")
    names = {"Amenity": ["kid friendly", "live music"], "Location": ["Miami"], "Restaurant_Name": ["Wendy's"]}
    pools = pool_keys(names)
    sentence = "is there a kid-friendly restaurant near wendy's in miami?"
    ents = [["wendy's", "Restaurant_Name"], ["miami", "Location"]]
    merged = completed(nlp, sentence, ents, [("kid-friendly", "Amenity")], pools)
    assert merged == [("kid-friendly", "Amenity"), ("wendy's", "Restaurant_Name"), ("miami", "Location")]
    # a mention no pool of its type holds ("restaurant" as a name, "nearby" not in the Location pool): no
    generic = [("kid-friendly", "Amenity"), ("restaurant", "Restaurant_Name")]
    assert completed(nlp, sentence, ents, generic, pools) is None
    assert completed(nlp, sentence, ents, [("kid-friendly", "Location")], pools) is None
    # a pool name that overlaps a labelled entity cannot join it
    hall = [["music hall", "Location"]]
    assert completed(nlp, "live music hall tonight", hall, [("live music", "Amenity")], pools) is None


def test_an_unknown_check_mode_fails_when_the_pipe_is_built():
    with pytest.raises(ValueError, match="check_examples must be one of"):
        config = {"labels": F.MUSIC_LABELS, "check_examples": "fix", "model": F.replay_block()}
        spacy.blank("en").add_pipe("reverse_ner", config=config)
