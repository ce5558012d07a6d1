"""Shared set-up of the reverse_ner tests and their cassette recorder (all sentences written for this project)."""

from __future__ import annotations

from pathlib import Path

import spacy

CASSETTE = Path(__file__).parent / "cassettes" / "reverse_ner.jsonl"
TASK_CASSETTE = Path(__file__).parent / "cassettes" / "reverse_ner_task.jsonl"

LABELS = {
    "PER": "the name of a person",
    "ORG": "the name of a company, team or other organisation",
    "LOC": "the name of a place: country, city, region or river",
}

TASK_TEXTS = [
    "Mayor Ilse Brandt opened the new tram line in Freiburg on Tuesday.",
    "SOCCER - HARBOUR CITY WIN AWAY AT NORTHBRIDGE.",
    "Lena Ortiz scored twice as Riverside United beat Castle Rovers 3-1.",
    "OSLO 1997-03-02",
    "The central bank of Chile left its main rate unchanged at 4.5 percent.",
    "Shares in Kessler Motors fell 3 percent after the company cut its forecast.",
    "Floods along the Mekong forced thousands to leave their homes in Laos.",
    "Prime Minister Tomas Varga will visit Warsaw and Vilnius next week.",
    "Results of the second round : Ana Silva beat Mia Chen 6-4 6-2.",
    "Greenfield Power said profits rose in the third quarter.",
    "It was the first such meeting since the talks collapsed in May.",
    "Police in Marseille arrested two men after the robbery.",
]

TAG_TEXTS = [
    "Jonas Weber joined Alpine Rail in Innsbruck last spring.",
    "TENNIS - KOVAC BEATS LINDQVIST IN STOCKHOLM FINAL.",
    "The talks will resume next month.",
]

BUILD = {"n_clusters": 4, "entities_per_type": 6, "expansions_per_feature": 2, "seed": 3}


def make_nlp(model: dict, **config):
    nlp = spacy.blank("en")
    nlp.add_pipe("reverse_ner", config={"labels": LABELS, "model": model, "k": 2, **BUILD, **config})
    return nlp


def replay_block(path: Path = CASSETTE, mode: str = "replay", inner: dict = None) -> dict:
    block = {"@llm_models": "spacy_progner.Replay.v1", "path": str(path), "mode": mode}
    if inner:
        block["model"] = inner
    return block


def make_task_nlp(library_path, model: dict):
    """spacy-llm's `llm` component running the spacy_progner.ReverseNER.v1 task."""
    nlp = spacy.blank("en")
    task = {"@llm_tasks": "spacy_progner.ReverseNER.v1", "labels": LABELS, "library_path": str(library_path), "k": 2}
    nlp.add_pipe("llm", config={"task": task, "model": model, "save_io": True})
    return nlp


# A build with many types (six, music): long type-check and expansion answers. Recorded into its own
# cassette by `python tests/record.py reverse_ner`.
MANY_CASSETTE = Path(__file__).parent / "cassettes" / "reverse_ner_many.jsonl"

MUSIC_LABELS = {
    "ARTIST": "the name of a solo musician, singer, rapper or DJ",
    "BAND": "the name of a band, group, duo or orchestra",
    "ALBUM": "the title of an album or EP",
    "SONG": "the title of a song or single",
    "GENRE": "a genre or style of music, e.g. jazz, synth-pop, bossa nova",
    "AWARD": "the name of a music award or prize",
}

MUSIC_TEXTS = [
    "Mira Solberg released her second album Glass Harbour on a small label in Bergen.",
    "The Copper Lanterns played their hit Night Ferry to a sold-out crowd.",
    "Critics called the record a bold mix of trip-hop and Balkan brass.",
    "Dani Okafor won the Northern Lights Music Prize for best debut.",
    "Tickets for the Velvet Static reunion tour sold out in an hour.",
    "Her cover of Paper Moons went straight to the top of the indie charts.",
    "The jazz trio recorded the whole EP, Slow Rivers, in two days.",
    "Producer Ike Manning says grime is still the most exciting genre in London.",
    "The festival line-up includes Halcyon Drift, Rosa Vega and DJ Tamsin.",
    "Nobody expected a folk song to win the Golden Reel Award this year.",
    "After ten years apart, the Rust Orchard released a single called Dust and Daylight.",
    "The band's third album, Northbound, mixes shoegaze with country.",
]

MANY_BUILD = {
    "n_clusters": 4,
    "entities_per_type": 8,
    "entities_per_call": 8,
    "expansions_per_feature": 2,
    "min_examples_per_type": 2,
    "max_top_up_calls": 8,
    "seed": 5,
}

# Twelve names of the pools above asked in one type check with far too small an answer budget: the real
# model's answer is cut off part way, and the complete verdicts must survive.
CUT_OFF_NAMES = [
    "Mira Solberg", "The Copper Lanterns", "Glass Harbour", "Night Ferry", "trip-hop", "Northern Lights Music Prize",
    "Velvet Static", "Paper Moons", "Slow Rivers", "Ike Manning", "Golden Reel Award", "Dust and Daylight",
]  # fmt: skip
CUT_OFF_BUDGET = 60


# A library example naming sixteen entities: the example check's answer (the model half pretty-prints it
# when no demo shows the compact form) takes more than the tagging budget's 256 tokens, and must fit.
LONG_CHECK_SENTENCE = (
    "Mira Solberg, Nina Ekdahl, The Copper Lanterns, Rosa Vega, DJ Tamsin, Halcyon Drift, Velvet Static, "
    "Dani Okafor, Ike Manning, the Rust Orchard and Paper Moons all played the Golden Reel Award night, from "
    "synth-pop, trip-hop and grime to bossa nova, Balkan brass and shoegaze."
)

# Expansions that gave up an entity their sentence lost (the model's answers sometimes do, even when asked
# again): the example check decides. One sentence still names an award and a song it does not label (to
# be dropped); the other names only its artist (to be kept).
GIVEN_UP = [
    {
        "sentence": "Rosa Vega won the Golden Reel Award for her song Dust and Daylight.",
        "entities": [["Rosa Vega", "ARTIST"]],
        "feature": 0,
        "lost": [["Northern Lights Music Prize", "AWARD"]],
    },
    {
        "sentence": "Rosa Vega signed autographs for an hour after the show.",
        "entities": [["Rosa Vega", "ARTIST"]],
        "feature": 0,
        "lost": [["Paper Moons", "SONG"]],
    },
]


def check_given_up(builder, pools):
    """The example check on GIVEN_UP, as the build hands them over (with the build's mark of what was lost)."""
    from spacy_progner.reverse_ner.build import LOST

    examples = [{**{k: v for k, v in ex.items() if k != "lost"}, LOST: ex["lost"]} for ex in GIVEN_UP]
    return builder.check_examples(examples, pools)


def many_types_model(mode: str = "replay", model=None):
    """The many-types cassette; `mode="record"` with the real `model` records what is missing."""
    from spacy_progner.llm import make_replay

    return make_replay(str(MANY_CASSETTE), mode=mode, model=model)


def build_many(model):
    from spacy_progner.ner import LabelSet
    from spacy_progner.reverse_ner.build import BuildSettings, LibraryBuilder

    builder = LibraryBuilder(LabelSet(MUSIC_LABELS), model, BuildSettings(**MANY_BUILD))
    return builder, builder.build(MUSIC_TEXTS)


def cut_off_request():
    from dataclasses import replace

    from spacy_progner.ner import LabelSet
    from spacy_progner.reverse_ner import prompts

    return replace(prompts.typecheck_request(LabelSet(MUSIC_LABELS), CUT_OFF_NAMES), max_tokens=CUT_OFF_BUDGET)


def form_nlp(model: dict, library, form: str, **config):
    """The pipe with answer form `form` (and log-probs, to read them per mention) on `library`."""
    nlp = make_nlp(model, answer_form=form, logprobs=True, **config)
    nlp.get_pipe("reverse_ner").set_library(library)
    return nlp


GROUP_SIZE = 3  # TAG_TEXTS in one request


# The OTHER outlet (`other_names`): only PER and ORG asked, in texts that also name places, events,
# nationalities and dates, tagged zero-shot with and without the outlet. Recorded into its own cassette
# by `python tests/record.py other`.
OTHER_CASSETTE = Path(__file__).parent / "cassettes" / "reverse_ner_other.jsonl"
OTHER_LABELS = {"PER": LABELS["PER"], "ORG": LABELS["ORG"]}
OTHER_TEXTS = [
    "Coach Marta Lind said Harbour City will travel to Lisbon for the Atlantic Cup final.",
    "The Danish minister Ole Brandt met officials of Kessler Motors in Munich on Friday.",
    "Floods hit northern Laos and parts of Vietnam after the monsoon season began in June.",
    "He told Reuters the Winter Games would bring thousands of visitors to the Alps.",
]


def outlet_by_kind(model):
    """The OTHER outlet's pool asked one uncovered kind a call, for PER, ORG and LOC (people, places and
    organisations all asked: what the outlet's own request leaves empty). Returns (pool, stats)."""
    from collections import Counter

    from spacy_progner.llm import make_replay
    from spacy_progner.ner import LabelSet
    from spacy_progner.reverse_ner.pools import outlet_pool_by_kind

    stats: Counter = Counter()
    chat = make_replay(str(OTHER_CASSETTE), **model)
    labels = LabelSet({**OTHER_LABELS, "LOC": LABELS["LOC"]}).with_other()
    return outlet_pool_by_kind(chat, labels, 8, "news", 0, stats), stats


def other_nlp(model: dict, other_names: bool, k: int = 0, kind_check: bool = False):
    """PER and ORG only; with k > 0 the pipe builds a small library (`BUILD`) on `TASK_TEXTS` first."""
    nlp = spacy.blank("en")
    config = {"labels": OTHER_LABELS, "model": model, "k": k, "other_names": other_names, **BUILD}
    config["kind_check"] = kind_check
    nlp.add_pipe("reverse_ner", config=config)
    if k:
        nlp.get_pipe("reverse_ner").initialize(texts=TASK_TEXTS)
    return nlp


# `check-build`: the tagger labels each example of the recorded library with the other examples as demos.
# Recorded by `python tests/record.py selfcheck`.
SELFCHECK_CASSETTE = Path(__file__).parent / "cassettes" / "reverse_ner_selfcheck.jsonl"


def selfcheck_nlp(mode: str = "replay", model=None):
    """The pipeline of the recorded build (its library replayed), tagging through the self-check cassette."""
    from spacy_progner.llm import make_replay

    nlp = make_nlp(replay_block())
    pipe = nlp.get_pipe("reverse_ner")
    pipe.initialize(texts=TASK_TEXTS)
    pipe.model = pipe.tagger.model = make_replay(str(SELFCHECK_CASSETTE), mode=mode, model=model)
    return nlp
