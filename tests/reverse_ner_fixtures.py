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
