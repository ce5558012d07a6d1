"""Shared set-up of the scaling tests: the distillation pipeline saved to a folder, model files for the
replayed cassette and for the fake OpenAI server, a worker that is killed once, and a small student."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import distill_fixtures as F
import spacy
from spacy.training import Example

from spacy_progner.scale.workers import ModelFactory


def save_pipeline(path: Path) -> Path:
    """The distillation tests' pipeline (library replayed), as a plain spaCy pipeline folder."""
    F.pipeline(F.replay_model()).to_disk(path)
    return path


def replay_model_file(path: Path) -> Path:
    path.write_text(json.dumps(F.replay_model()), encoding="utf8")
    return path


def fake_model_file(path: Path, base_url: str, concurrency: int = 4) -> Path:
    """An OpenAI-compatible block for the fake server: no cache (resume must come from the shards), no retry
    of a failed request (a retried request would be answered twice)."""
    block = {
        "@llm_models": "spacy_progner.OpenAICompatible.v1",
        "base_url": base_url,
        "model": "fake-model",
        "api_key_env": None,
        "max_concurrency": concurrency,
        "cache": False,
        "max_retries": 0,
        "timeout": 30.0,
    }
    path.write_text(json.dumps(block), encoding="utf8")
    return path


def texts_file(path: Path) -> Path:
    path.write_text("\n".join(F.TEXTS) + "\n", encoding="utf8")
    return path


class _DiesBefore:
    """A transport whose process exits (as if killed) instead of sending its `after`+1-th request, once
    per `marker` file: the restarted worker lives."""

    def __init__(self, inner, marker: Path, after: int):
        self.inner, self.marker, self.after, self.sent = inner, marker, after, 0
        self.name, self.max_concurrency, self.context_length = inner.name, 1, inner.context_length

    def identity(self) -> str:
        return self.inner.identity()

    def complete(self, request):
        if self.sent >= self.after and _claim(self.marker):
            os._exit(1)
        self.sent += 1
        return self.inner.complete(request)


def _claim(marker: Path) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@dataclass(frozen=True)
class DiesOnce:
    """A worker's model factory whose first worker to reach `after` requests is killed."""

    factory: ModelFactory
    marker: str
    after: int = 2
    concurrency: Optional[int] = 1

    def __call__(self):
        model = self.factory()
        model.transport = _DiesBefore(model.transport, Path(self.marker), self.after)
        return model


PEOPLE = ["Anna Berg", "Omar Haddad", "Lena Ortiz", "Ivan Petrov"]
TOWNS = ["Graz", "Lagos", "Oslo", "Cork"]


def student_texts(n: int) -> list:
    rng = random.Random(0)
    return [f"{rng.choice(PEOPLE)} moved to {rng.choice(TOWNS)} in {1990 + i % 30} ." for i in range(n)]


def train_student(path: Path, steps: int = 30) -> Path:
    """A small spaCy ner model trained for a few seconds on synthetic sentences."""
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    examples = []
    for text in student_texts(40):
        doc = nlp.make_doc(text)
        person = next(p for p in PEOPLE if text.startswith(p))
        town = next(t for t in TOWNS if f" {t} " in text)
        start = text.index(f" {town} ") + 1
        ents = [(0, len(person), "PER"), (start, start + len(town), "LOC")]
        examples.append(Example.from_dict(doc, {"entities": ents}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    nlp.to_disk(path)
    return path
