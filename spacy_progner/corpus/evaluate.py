"""Per-type P/R/F of a trained model on a gold DocBin, like `spacy evaluate`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import DocBin
from spacy.training import Example

from ..errors import StepError


@dataclass
class Predictions:
    """A model's predictions on a gold DocBin, as (predicted, reference) Examples, and how long they took."""

    nlp: Language
    examples: List[Example]
    seconds: float


def predict(model_path: Path, data_path: Path) -> Predictions:
    """The model's predictions on each text of the DocBin (its tokenizer, as `nlp.evaluate` has them)."""
    if not Path(model_path).exists():
        raise StepError(f"evaluate: trained model {model_path} does not exist; run `spacy train` first")
    if not Path(data_path).is_file():
        raise StepError(f"evaluate: data {data_path} does not exist; run `dataset-docbin` first")
    nlp = spacy.load(model_path)
    refs = list(DocBin().from_disk(data_path).get_docs(nlp.vocab))
    start = time.perf_counter()
    docs = list(nlp.pipe(ref.text for ref in refs))
    seconds = time.perf_counter() - start
    return Predictions(nlp, [Example(doc, ref) for doc, ref in zip(docs, refs)], seconds)


def scores_of(predictions: Predictions) -> Dict[str, Any]:
    """Micro and per-type P/R/F (spaCy's scorer), docs/s and tokens per doc, like `spacy evaluate`."""
    examples, start = predictions.examples, time.perf_counter()
    scores = Scorer(predictions.nlp).score(examples)
    seconds = predictions.seconds + time.perf_counter() - start  # as `nlp.evaluate` times it: scoring included
    per_type = {
        label: {k: round(v, 4) for k, v in prf.items()} for label, prf in (scores.get("ents_per_type") or {}).items()
    }
    return {
        "ents_p": round(scores.get("ents_p") or 0.0, 4),
        "ents_r": round(scores.get("ents_r") or 0.0, 4),
        "ents_f": round(scores.get("ents_f") or 0.0, 4),
        "per_type": per_type,
        "docs": len(examples),
        "docs_per_second": round(len(examples) / seconds, 1) if seconds else None,
        "tokens_per_doc": round(sum(len(x.reference) for x in examples) / max(1, len(examples)), 2),
    }


def evaluate_model(model_path: Path, data_path: Path) -> Dict[str, Any]:
    """`scores_of` the model's predictions on the DocBin."""
    return scores_of(predict(model_path, data_path))
