"""The pool-type check: required pool names carry their pool's type; disagreements go first to correction."""

from __future__ import annotations

from collections import Counter

import pytest
from repo_paths import DOMAINS_DIR

from spacy_progner.errors import StepError
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.proggen.correct import CorrectSettings, correct, select
from spacy_progner.proggen.poolcheck import check_pool_types, pool_types, three_way, trust_pool

LABELS = ["PER", "LOC", "ORG"]
POOLS = {
    "vanilla": {"PER": ["Bill Gates", "Obama"], "ORG": ["Microsoft", "Jordan"], "LOC": ["Paris", "Jordan"]},
    "latent": {"business": {"ORG": ["World Bank"], "PER": []}},
}


def sample(sentence, entities, required):
    return {"id": sentence[:8], "sentence": sentence, "entities": entities, "requirements": {"entities": required}}


def ent(text, label, logprob=-0.01):
    return {"text": text, "label": label, "logprob": logprob}


def test_pool_types_skip_names_listed_under_two_types():
    types = pool_types(POOLS)
    assert types["bill gates"] == "PER" and types["world bank"] == "ORG"
    assert "jordan" not in types


def test_each_kind_of_disagreement_is_marked_and_counted():
    samples = [
        sample(
            "Bill Gates founded Microsoft.",
            [ent("Bill Gates", "ORG"), ent("Microsoft", "ORG")],
            ["Bill Gates", "Microsoft"],
        ),
        sample("President Obama met the World Bank.", [ent("President Obama", "PER")], ["Obama", "World Bank"]),
        sample("Jordan signed in Paris.", [ent("Jordan", "PER"), ent("Paris", "LOC")], ["Jordan", "Paris"]),
        sample("Nothing required here.", [ent("Here", "LOC")], []),
    ]
    counts = check_pool_types(samples, POOLS, LABELS)
    assert counts == {
        "pool_names_in_sentence": 5,
        "agree": 2,
        "typed_differently": 1,
        "other_boundary": 1,
        "missed": 1,
        "agreement": 0.4,  # of the 5 names, missed ones included
    }
    gates, microsoft = samples[0]["entities"]
    assert (gates["agree"], gates["pool"], gates["pool_type"]) == (False, "typed_differently", "PER")
    assert microsoft["agree"] is True
    obama, bank = samples[1]["entities"]
    assert (obama["agree"], obama["pool"]) == (False, "other_boundary")
    assert bank == {
        "text": "World Bank",
        "label": "ORG",
        "agree": False,
        "proposed": True,
        "pool_type": "ORG",
        "pool": "missed",
    }
    assert "agree" not in samples[2]["entities"][0]  # "Jordan" is in two pools: it says nothing
    assert "agree" not in samples[3]["entities"][0]


def test_disagreements_are_rechecked_before_any_low_logprob_annotation():
    samples = [
        sample("Bill Gates spoke.", [ent("Bill Gates", "ORG", logprob=-0.001)], ["Bill Gates"]),
        *[sample(f"Acme {i} grew.", [ent(f"Acme {i}", "ORG", logprob=-1.0 - i)], []) for i in range(4)],
    ]
    check_pool_types(samples, POOLS, LABELS)
    chosen, stats = select(samples, CorrectSettings(threshold=-0.05, max_share=0.4))
    assert stats["annotations"] == 5 and stats["selected"] == 2
    assert chosen == [(0, 0), (4, 0)]  # the pool disagreement despite its high log-prob, then the lowest


def test_agreement_selection_ignores_unmarked_annotations():
    samples = [sample("Acme grew.", [ent("Acme", "ORG", logprob=-3.0)], [])]
    chosen, stats = select(samples, CorrectSettings(select_by="agreement", max_share=1.0))
    assert chosen == [] and stats["without_score"] == 1


def test_trust_pool_settles_type_and_missed_names_and_leaves_boundaries_to_the_recheck():
    samples = [
        sample(
            "Bill Gates met Obama at the World Bank.",
            [ent("Bill Gates", "ORG"), ent("President Obama", "PER")],
            ["Bill Gates", "Obama", "World Bank"],
        ),
    ]
    samples[0]["sentence"] = "Bill Gates met President Obama at the World Bank."
    check_pool_types(samples, POOLS, LABELS)
    outcomes: Counter = Counter()
    trust_pool(samples, outcomes)
    gates, obama, bank = samples[0]["entities"]
    assert (gates["label"], gates["agree"], gates["correction"]) == ("PER", True, "pool")
    assert (bank["proposed"], bank["agree"]) == (False, True)
    assert obama["agree"] is False and "correction" not in obama
    assert outcomes == Counter({"retyped to pool type": 1, "added from pool": 1})


def test_an_unknown_pool_rule_is_refused_when_settings_are_built():
    with pytest.raises(StepError, match="pool_rule must be one of recheck, trust_pool"):
        CorrectSettings(pool_rule="always")


def test_each_pool_name_occurrence_gets_one_verdict_and_a_proposed_span_is_marked_not_doubled():
    """Hand-made edge cases: two occurrences of one name (one inside a longer annotation), a name only a
    second annotator proposed, a name nobody covers in a sample placed by offsets."""
    pools = {"vanilla": {"LOC": ["Paris", "Faro"], "PER": ["Ana"]}}
    samples = [
        {"id": "a", "sentence": "Paris Hilton flew to Paris.", "requirements": {"entities": ["Paris"]},
         "entities": [{"text": "Paris Hilton", "label": "PER"}, {"text": "Paris", "label": "LOC"}]},
        {"id": "b", "sentence": "Ana met Rui in Faro.", "requirements": {"entities": ["Ana", "Faro"]},
         "entities": [{"text": "Rui", "label": "PER"},
                      {"text": "Faro", "label": "ORG", "agree": False, "proposed": True}]},
        {"id": "c", "sentence": "Ana sailed.", "requirements": {"entities": ["Ana"]}, "entities": []},
    ]  # fmt: skip
    counts = check_pool_types(samples, pools, ["PER", "LOC"])
    # "Paris" without offsets stands at both of its occurrences (as to-docbin places it): both agree
    assert counts == {"pool_names_in_sentence": 5, "agree": 2, "typed_differently": 0, "other_boundary": 0,
                      "missed": 3, "agreement": 0.4}  # fmt: skip
    assert samples[0]["entities"][0]["pool"] == "other_boundary"  # "Paris Hilton" is still marked for a re-check
    faro = [e for e in samples[1]["entities"] if e["text"] == "Faro"]
    assert len(faro) == 1 and faro[0]["pool"] == "missed" and faro[0]["pool_type"] == "LOC"
    assert samples[2]["entities"] == [{"text": "Ana", "label": "PER", "start": 0, "end": 3, "agree": False,
                                       "proposed": True, "pool_type": "PER", "pool": "missed"}]  # fmt: skip
    outcomes = Counter()
    trust_pool(samples, outcomes)
    assert faro[0]["label"] == "LOC" and not faro[0]["proposed"] and outcomes["added from pool"] == 3
    for x in samples:
        x["tagger"] = []
    assert three_way(samples, pools, ["PER", "LOC"])["tagger"]["missed"] == 5
    with pytest.raises(StepError, match="sample 'c' has no tagger annotation"):
        three_way([{k: v for k, v in samples[2].items() if k != "tagger"}], pools, ["PER"])


def test_trust_spec_drops_what_the_specs_own_demos_judge_no_entity_of_that_type_without_a_call():
    spec = DomainSpec.load(DOMAINS_DIR / "mit_restaurant.yml")
    assert spec.not_entities()["Restaurant_Name"] == {"restaurant"}
    samples = [
        sample(
            "book the Restaurant at blue lantern",
            [ent("Restaurant", "Restaurant_Name"), ent("blue lantern", "Restaurant_Name")],
            [],
        ),
        sample("a restaurant with a patio", [ent("restaurant", "Cuisine"), ent("patio", "Amenity")], []),
    ]
    result = correct(None, spec, samples, CorrectSettings(trust_spec=True))  # nothing uncertain: no call
    assert [[e["text"] for e in x["entities"]] for x in result["samples"]] == [
        ["blue lantern"],
        ["restaurant", "patio"],  # D only under the type whose demo says so
    ]
    assert result["metrics"]["outcomes"] == {"dropped (spec: not an entity)": 1}
    assert result["metrics"]["prompts"] == 0
    clean = [sample("a patio", [ent("patio", "Amenity")], [])]
    assert correct(None, spec, clean, CorrectSettings(trust_spec=True))["metrics"]["outcomes"] == {}
