"""Real evaluation data (tokens + BIO tags, read where it lives) -> DocBin, and per-type P/R/F of a trained model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

import spacy
from spacy.tokens import DocBin
from spacy.training import Example

from ..ner.datasets import read_split, row_to_doc, sample_rows, split_path
from .common import StepError


def dataset_docbin(
    dataset: str, split: str, labels: Iterable[str], output: Path, limit: Optional[int] = None, seed: int = 0
) -> Dict[str, Any]:
    """Write `dataset/split.jsonl` as a DocBin with only `labels` kept (others -> O)."""
    try:
        path = split_path(dataset, split)
        rows = read_split(path)
    except ValueError as err:
        raise StepError(str(err)) from err
    keep = list(labels)
    if limit:
        rows = [rows[i] for i in sample_rows(rows, limit, seed)]
    vocab = spacy.blank("en").vocab
    docs = [row_to_doc(vocab, row, keep) for row in rows]
    found = {lab for d in docs for lab in (e.label_ for e in d.ents)}
    if not found:
        raise StepError(f"{path}: none of the types {keep} occur in the data; do the domain spec's types match?")
    output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(output)
    return {"dataset": dataset, "split": split, "docs": len(docs), "entities": sum(len(d.ents) for d in docs)}


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
