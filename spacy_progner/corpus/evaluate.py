"""Per-type P/R/F of a trained model on a gold DocBin, like `spacy evaluate`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict

import spacy
from spacy.tokens import DocBin
from spacy.training import Example

from ..errors import StepError


def evaluate_model(model_path: Path, data_path: Path) -> Dict[str, Any]:
    """Micro and per-type P/R/F (spaCy's scorer), docs/s and tokens per doc, like `spacy evaluate`."""
    if not Path(model_path).exists():
        raise StepError(f"evaluate: trained model {model_path} does not exist; run `spacy train` first")
    if not Path(data_path).is_file():
        raise StepError(f"evaluate: data {data_path} does not exist; run `dataset-docbin` first")
    nlp = spacy.load(model_path)
    refs = list(DocBin().from_disk(data_path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(ref.text), ref) for ref in refs]
    start = time.perf_counter()
    scores = nlp.evaluate(examples)
    seconds = time.perf_counter() - start
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
        "tokens_per_doc": round(sum(len(r) for r in refs) / max(1, len(refs)), 2),
    }
