"""What one Ray worker does with a block of texts (plain classes: they import no Ray, and a test can run
one in-process).

Why this shape: a worker loads the saved pipeline once (a plain spaCy pipeline directory) and keeps it
for every block it is given. Each block writes its own shard, named by its first input position, and
each finished text is flushed there at once; a block that is retried (its worker was killed) or met
again by a rerun finds the shard and skips the texts already in it, so no text is asked twice.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..distill.annotate import AnnotateSettings, iter_samples, tagger_pipe
from ..distill.relabel import load_student
from ..errors import SettingsError
from ..files import load_saved_pipeline
from ..llm import ChatModel, UsageLedger
from ..llm.select import load_model
from . import shards

Batch = Dict[str, Any]  # Ray Data's batch: column name -> array


@dataclass(frozen=True)
class ModelFactory:
    """Makes a worker's own model from `--model` (picklable: it is sent to every worker, not the model).
    `concurrency`: requests in flight per worker."""

    spec: str
    cache_path: Optional[str] = None
    concurrency: Optional[int] = None

    def __call__(self) -> ChatModel:
        return load_model(self.spec, self.cache_path, self.concurrency)


def block_rows(batch: Batch) -> Tuple[int, List[Tuple[str, str]]]:
    """The block's first input position and its (id, text) rows in input order."""
    rows = sorted(zip((int(p) for p in batch["pos"]), batch["id"], batch["text"]))
    if not rows:
        raise SettingsError("a Ray block without rows")  # Ray Data never sends one; a bug if it does
    return rows[0][0], [(str(i), str(t)) for _, i, t in rows]


def pending(shard: Path, rows: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The rows of a block whose text is not in its shard yet."""
    written, _ = shards.scan([shard])
    return [(text_id, text) for text_id, text in rows if text_id not in written]


class AnnotateWorker:
    """Tags blocks with a saved reverse_ner pipeline and its own model; one shard per block."""

    def __init__(
        self, pipeline_dir: str, make_model: Callable[[], ChatModel], settings: AnnotateSettings, shard_dir: str
    ):
        self.nlp = load_saved_pipeline(pipeline_dir, "the annotate pipeline")
        self.pipe = tagger_pipe(self.nlp, f"the annotate pipeline {pipeline_dir}")
        self.model = make_model()
        self.pipe.model = self.pipe.tagger.model = self.model
        self.settings = settings
        self.shard_dir = Path(shard_dir)

    def __call__(self, batch: Batch) -> Batch:
        first, rows = block_rows(batch)
        shard = shards.shard_path(self.shard_dir, first)
        todo = pending(shard, rows)
        self.model.ledger = ledger = UsageLedger()  # this block's account, summed by the driver
        stats_before = Counter(self.pipe.tagger.stats)
        with shards.ShardWriter(shard) as writer:
            for sample in iter_samples(self.nlp, todo, self.settings):
                writer.write(sample)
        stats = dict(Counter(self.pipe.tagger.stats) - stats_before)
        return {
            "texts": [writer.written],
            "skipped": [len(rows) - len(todo)],
            "usage": [json.dumps(ledger.total().to_dict())],
            "stats": [json.dumps(stats)],
        }


class RelabelWorker:
    """Labels blocks with a trained student; one shard per block, entities as character offsets."""

    def __init__(self, model_path: str, shard_dir: str, batch_size: int = 64):
        self.nlp = load_student(Path(model_path), "the student")
        self.shard_dir = Path(shard_dir)
        self.batch_size = batch_size

    def __call__(self, batch: Batch) -> Batch:
        first, rows = block_rows(batch)
        shard = shards.shard_path(self.shard_dir, first)
        todo = pending(shard, rows)
        entities = 0
        with shards.ShardWriter(shard) as writer:
            docs = self.nlp.pipe([text for _, text in todo], batch_size=self.batch_size)
            for (text_id, _), doc in zip(todo, docs):
                ents = [[e.start_char, e.end_char, e.label_] for e in doc.ents]
                writer.write({"id": text_id, "sentence": doc.text, "entities": ents})
                entities += len(ents)
        return {"texts": [writer.written], "skipped": [len(rows) - len(todo)], "entities": [entities]}
