"""Each ProgGen step on real model answers, replayed from tests/cassettes/proggen_conll2003.jsonl
(recorded from the embedded model by `python tests/record.py proggen`)."""

from __future__ import annotations

import copy
import json
import math
from collections import Counter

import proggen_fixtures as F
import pytest
from spacy.tokens import DocBin

from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.ner.align import find_occurrences
from spacy_progner.ner.domain import Surface
from spacy_progner.proggen.common import norm
from spacy_progner.proggen.generate import ambiguous_names, build_request
from spacy_progner.proggen.poolcheck import (
    answer_spans,
    check_pool_types,
    pool_names,
    pool_types,
    three_way,
)
from spacy_progner.proggen.report import agreement_counts, agreement_source, build_report, diversity, label_colors

SENTENCE_DROPS = ("example_without_sentence", "sentence_too_long", "example_without_entities_list")
SENTENCE_DROPS += ("sentence_copies_a_demo", "sentence_duplicate", "over_target")


@pytest.fixture(scope="module")
def run():
    return F.replayed_run()


def test_attributes_have_topic_first_and_deduplicated_values(run):
    dims = run["attributes"]["attributes"]["dimensions"]
    assert list(dims)[0] == "topic" and dims["topic"]["probability"] == 1.0
    assert len(dims) >= 2, "the model named no dimension besides topic"
    for name, body in dims.items():
        assert body["values"], name
        assert len({norm(v) for v in body["values"]}) == len(body["values"]), f"duplicates in {name}"
        assert run["attributes"]["metrics"]["values"][name] == len(body["values"])


def test_entity_pools_cover_every_type_and_topic(run):
    pools = run["pools"]["pools"]
    assert set(pools["vanilla"]) == {"PER", "LOC", "ORG"}
    for values in pools["vanilla"].values():
        assert values and len({norm(v) for v in values}) == len(values)
    topics = run["dims"]["topic"]["values"][: F.ENTITIES.max_topics]
    assert sorted(pools["latent"]) == sorted(topics)


def test_generated_samples_are_valid_and_every_drop_is_counted(run):
    xy = run["xy"]
    samples, m = xy["samples"], xy["metrics"]
    assert m["kept_sentences"] == len(samples) == F.GENERATE_XY.n_sentences
    assert len({norm(x["sentence"]) for x in samples}) == len(samples)
    assert len({x["id"] for x in samples}) == len(samples)
    for x in samples:
        assert set(x["requirements"]) == {"attributes", "entities", "per_sentence"}
        assert "topic" in x["requirements"]["attributes"]
        for e in x["entities"]:
            assert e["label"] in ("PER", "LOC", "ORG")
            assert find_occurrences(x["sentence"], e["text"]), (e, x["sentence"])
            assert e["logprob"] is not None and e["logprob"] <= 0.0
    # Bookkeeping: every example of every answer is either kept or dropped for a counted reason.
    if not any(k.startswith("answer_") for k in m["drops"]):
        examples = m["calls"] * F.GENERATE_XY.per_call
        assert examples == m["kept_sentences"] + sum(m["drops"].get(k, 0) for k in SENTENCE_DROPS)
    assert m["entities_per_type"] == dict(Counter(e["label"] for x in samples for e in x["entities"]))


def test_recorded_generate_answers_keep_within_the_grammar_bounds(run):
    """The embedded model's generate answers, under the schema built from the settings' bounds."""
    rows = [json.loads(line) for line in F.CASSETTE.read_text(encoding="utf8").splitlines()]
    answers = [r["choice"]["text"] for r in rows if "examples" in r["request"]["json_schema"]["properties"]]
    assert len(answers) == run["xy"]["metrics"]["calls"] + run["simple"]["metrics"]["calls"]
    s = F.GENERATE_XY
    for answer in answers:
        for ex in json.loads(answer)["examples"]:
            assert len(ex["sentence"]) <= s.max_sentence_chars and len(ex["entities"]) <= s.max_entities
            assert all(1 <= len(e["text"]) <= s.max_entity_chars for e in ex["entities"])


def test_entities_are_asked_sentence_by_sentence_without_ambiguous_names(run):
    pools = run["pools"]["pools"]
    skip = ambiguous_names(pools)
    for x in run["xy"]["samples"]:
        req = x["requirements"]
        assert len(req["per_sentence"]) == F.GENERATE_XY.per_call
        assert [n for names in req["per_sentence"] for n in names] == req["entities"]
        assert not {norm(n) for n in req["entities"]} & skip
    request, req = build_request(F.spec(), F.GENERATE_XY, 0, run["dims"], pools)
    ask = request.messages[-1]["content"]
    for i, names in enumerate(req["per_sentence"], 1):
        assert not names or f"Sentence {i} must mention: {'; '.join(names)}." in ask


def test_simple_variant_has_no_requirements(run):
    samples = run["simple"]["samples"]
    assert len(samples) == F.GENERATE_SIMPLE.n_sentences
    assert all(x["requirements"] == {} for x in samples)
    ents = [(x["sentence"], e["text"]) for x in samples for e in x["entities"]]
    assert ents and all(text in sentence for sentence, text in ents)  # every kept entity is in its sentence


def test_correction_selects_the_least_certain_within_the_cap_and_applies_answers(run):
    before = run["xy"]["samples"]
    out = run["corrected"]
    m = out["metrics"]
    per_type = Counter(e["label"] for x in before for e in x["entities"])
    for label, sel in m["selection"]["per_type"].items():
        assert sel["selected"] <= math.floor(F.CORRECT.max_share * per_type[label])
    assert m["selection"]["selected"] > 0, "nothing was selected: the test would not exercise correction"
    assert sum(m["choices"].values()) + m["outcomes"].get("unanswered (kept)", 0) == m["selection"]["selected"]
    assert_applied(out)
    assert m["entities_after"] == sum(len(x["entities"]) for x in out["samples"])
    dropped = m["outcomes"].get("dropped (not an entity)", 0) + m["outcomes"].get("dropped (other type)", 0)
    dropped += m["outcomes"].get("duplicate after fix (dropped)", 0)
    assert m["entities_before"] - m["entities_after"] == dropped


def test_pool_disagreements_are_rechecked_first_and_their_answers_applied(run):
    out = run["pool_checked"]
    m = out["metrics"]
    marked = copy.deepcopy(run["xy"]["samples"])
    assert m["pool_check"] == check_pool_types(marked, run["pools"]["pools"], ["PER", "LOC", "ORG"])
    disagreements = {(x["id"], e["text"]) for x in marked for e in x["entities"] if e.get("agree") is False}
    assert disagreements, "the recorded corpus has no pool disagreement: the test would not exercise the check"
    decided = {(d["id"], d["text"]) for d in out["decisions"]}
    assert disagreements <= decided, "a pool disagreement was not re-checked"
    assert decided != {(d["id"], d["text"]) for d in run["corrected"]["decisions"]}
    assert_applied(out)


def test_three_way_agreement_puts_the_answer_and_a_second_annotation_beside_the_pool_types(run):
    """On the recorded x+y corpus: a second annotation that is exactly the pool types agrees on every pool
    name, and the answer's verdicts match `check_pool_types`; one that copies the answer agrees with it."""
    samples, pools, labels = copy.deepcopy(run["xy"]["samples"]), run["pools"]["pools"], ["PER", "LOC", "ORG"]
    types = pool_types(pools)
    for x in samples:
        x["tagger"] = [list(span) for span in pool_names(x, types, labels)]
    both = three_way(samples, pools, labels)
    checked = check_pool_types(copy.deepcopy(samples), pools, labels)
    assert both["pool_names_in_sentence"] == checked["pool_names_in_sentence"] > 0
    assert both["tagger"]["agree"] == both["pool_names_in_sentence"]
    assert {k: both["answer"][k] for k in ("agree", "typed_differently", "other_boundary", "missed")} == {
        k: checked[k] for k in ("agree", "typed_differently", "other_boundary", "missed")
    }
    assert both["answer"]["agree"] < both["pool_names_in_sentence"], "no disagreement: nothing exercised"
    for x in samples:
        x["tagger"] = [list(span) for span in answer_spans(x)]
    same = three_way(samples, pools, labels)
    assert same["tagger"] == same["answer"] == both["answer"]
    assert all(a == b for a, b in (k.split("/") for k in same["pairs"]))


def assert_applied(out):
    """Each recorded decision is in the corrected corpus: A kept, D dropped, C retyped."""
    by_id = {x["id"]: x for x in out["samples"]}
    for d in out["decisions"]:
        ents = {(e["text"], e["label"]) for e in by_id[d["id"]]["entities"]}
        if d["choice"] == "A":
            assert (d["text"], d["label"]) in ents
        elif d["choice"] == "D":
            assert (d["text"], d["label"]) not in ents
        elif d["choice"] == "C" and d["fix"] in ("PER", "LOC", "ORG") and d["fix"] != d["label"]:
            assert (d["text"], d["fix"]) in ents


def test_to_docbin_writes_train_and_dev_with_alignment_counted(run, tmp_path):
    samples = run["corrected"]["samples"]
    info = to_docbin(F.spec(), samples, tmp_path, dev_share=0.2, demo_weight=2)
    train = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(__import__("spacy").blank("en").vocab))
    dev = list(DocBin().from_disk(tmp_path / "dev.spacy").get_docs(__import__("spacy").blank("en").vocab))
    assert info["train_synthetic_docs"] + info["dev_docs"] == len(samples)
    assert len(train) == info["train_docs"] == info["train_synthetic_docs"] + 2 * len(F.spec().demos())
    assert {d.text for d in dev}.isdisjoint({d.text for d in train[: info["train_synthetic_docs"]]})
    mentions = sum(len(x["entities"]) for x in samples) + 2 * sum(len(d.entities) for d in F.spec().demos())
    a = info["alignment"]
    assert a["mentions"] == sum(len(x["entities"]) for x in samples)
    assert sum(len(d.ents) for d in train + dev) == a["spans"] + 2 * sum(len(d.entities) for d in F.spec().demos())
    assert mentions >= a["spans"]


def test_to_docbin_writes_the_target_surface_and_keeps_every_entity(run, tmp_path):
    """A spec saying the target text is lower case without punctuation (as MIT queries are) gets training
    docs written that way; the entities keep their tokens and labels."""
    samples = run["corrected"]["samples"]
    plain = to_docbin(F.spec(), samples, tmp_path / "plain", dev_share=0)
    spec = F.spec()
    spec.surface = Surface(lowercase=True, punctuation=False)
    info = to_docbin(spec, samples, tmp_path / "lower", dev_share=0)
    vocab = __import__("spacy").blank("en").vocab
    before = list(DocBin().from_disk(tmp_path / "plain" / "train.spacy").get_docs(vocab))
    after = list(DocBin().from_disk(tmp_path / "lower" / "train.spacy").get_docs(vocab))
    assert plain["surface"] == {"lowercase": False, "punctuation": True}
    assert info["surface"]["docs_changed"] > 0 and info["surface"]["punctuation_tokens_dropped"] > 0
    assert all(d.text == d.text.lower() for d in after)
    assert not any(t.is_punct for d in after for t in d if t.ent_iob_ == "O")
    assert [[(e.text.lower(), e.label_) for e in d.ents] for d in before] == [
        [(e.text, e.label_) for e in d.ents] for d in after
    ]
    dropped = sum(1 for d in before for t in d if t.is_punct and t.ent_iob_ == "O")
    assert info["surface"]["punctuation_tokens_dropped"] == dropped


def test_report_shows_samples_distributions_corrections_and_usage(run):
    samples = run["corrected"]["samples"]
    metrics = {
        "generate": {**run["xy"]["metrics"], "usage": run["ledger"].to_dict()},
        "correct": {**run["corrected"]["metrics"], "decisions": run["corrected"]["decisions"]},
    }
    # Every sample shown, so every label in the corpus must have its colour on the page.
    html = build_report(F.spec(), samples, metrics, run["pools"]["pools"], n_show=len(samples), variant="diversify-x+y")
    assert html.count('class="sample"') == len(samples) and 'class="entities"' in html  # displaCy markup
    shown = {e["label"] for s in samples for e in s["entities"]}
    colors = label_colors(list(F.spec().types))
    assert len(set(colors.values())) == len(colors)  # one colour a type, not displaCy's grey default
    assert all(f"background: {colors[lab]}" in html for lab in shown)
    for section in ("Entity types", "Attribute: topic", "Diversity", "Self-correction", "LLM usage per step"):
        assert section in html
    div = diversity(samples)
    assert f'<td class="num">{div["distinct entities"]}</td>' in html
    words = [w for s in samples for w in s["sentence"].lower().split()]
    assert div["distinct 1-grams / 1-grams"] == round(len(set(words)) / len(words), 3)
    assert div["entities"] == sum(len(s["entities"]) for s in samples)


def test_report_says_what_the_agreement_marks_were_checked_against(run):
    """A pool-checked corpus's marks come from the pool types, not from distillation's students."""
    out = run["pool_checked"]
    metrics = {"correct": {**out["metrics"], "decisions": out["decisions"]}}
    html = build_report(F.spec(), out["samples"], metrics, run["pools"]["pools"], variant="diversify-x+y")
    marks = agreement_counts(out["samples"])
    assert marks and "Cross-check" in html
    assert "against the pool type of each required name found in its sentence" in html
    assert "students" not in html
    tagged = {**metrics, "tagcheck": {"agree": 1}}
    assert "the reverse_ner tagger's own annotation; the pool type" in agreement_source(tagged)
    took = {**tagged, "correct": {**metrics["correct"], "annotated_by": "tagger"}}  # its marks: the pool types'
    assert agreement_source(took) == "the pool type of each required name found in its sentence"


def test_every_call_was_booked(run):
    total = run["ledger"].total()
    assert total.calls > 0 and total.prompt_tokens > 0 and total.completion_tokens > 0


def test_kept_annotations_look_like_names_and_the_misfits_were_counted(run):
    """On the real model's answers: lower-case common nouns labelled PER/LOC/ORG are dropped and counted."""
    for key in ("xy", "simple"):
        for sample in run[key]["samples"]:
            for ent in sample["entities"]:
                assert any(c.isupper() for c in ent["text"]), (key, ent, sample["sentence"])
    drops = Counter(run["xy"]["metrics"]["drops"]) + Counter(run["simple"]["metrics"]["drops"])
    assert drops["entity_shape_lowercase"] > 0  # the model did write some, e.g. "company" as ORG
    assert run["xy"]["metrics"]["shapes"]["PER"] == {"letter": True, "capital": True}
