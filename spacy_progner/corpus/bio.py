"""Real labelled data in the common tokens + BIO tags form (one JSON object a line:
{"tokens": [...], "tags": ["B-PER", "I-PER", "O", ...]}) read into spaCy Docs, for a gold set to
evaluate on. The file is read where it lies; nothing of it is copied."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
import srsly
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab

from ..errors import SettingsError


def read_bio(path: Path) -> List[Dict[str, Any]]:
    """The rows of a tokens + BIO tags JSONL file; a missing file or a bad line fails naming it."""
    if not Path(path).is_file():
        raise SettingsError(f"labelled data file {path} does not exist")
    rows = []
    try:
        for i, row in enumerate(srsly.read_jsonl(path), 1):
            if not isinstance(row, dict) or len(row.get("tokens", [])) != len(row.get("tags", [None])):
                raise SettingsError(f"{path}: line {i} needs 'tokens' and 'tags' of the same length")
            rows.append(row)
    except ValueError as err:
        if isinstance(err, SettingsError):
            raise
        raise SettingsError(f"{path}: not JSONL ({err})") from err
    return rows


def text_of(row: Dict[str, Any]) -> str:
    return " ".join(row["tokens"])


def bio_spans(tags: Sequence[str], keep: Optional[Iterable[str]] = None) -> List[Tuple[int, int, str]]:
    """(start, end, label) token spans; an I- without its B- starts a span; labels not in `keep` are O."""
    keep_set = set(keep) if keep is not None else None
    spans: List[Tuple[int, int, str]] = []
    start, label = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, name = tag.partition("-")
        if start is not None and (prefix != "I" or name != label):
            spans.append((start, i, label))  # type: ignore[arg-type]
            start, label = None, None
        if prefix in ("B", "I") and start is None:
            start, label = i, name
    return [s for s in spans if keep_set is None or s[2] in keep_set]


def row_to_doc(vocab: Vocab, row: Dict, keep: Optional[Iterable[str]] = None) -> Doc:
    doc = Doc(vocab, words=row["tokens"])
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in bio_spans(row["tags"], keep)]
    return doc


def sample_rows(rows: Sequence[Any], n: int, seed: int) -> List[int]:
    """Indices of a fixed random sample (sorted), the same for every run with this seed."""
    if n >= len(rows):
        return list(range(len(rows)))
    return sorted(random.Random(seed).sample(range(len(rows)), n))


def bio_docbin(
    path: Path, labels: Iterable[str], output: Path, limit: Optional[int] = None, seed: int = 0
) -> Dict[str, Any]:
    """Write the BIO file at `path` as a DocBin with only `labels` kept (others -> O); `limit`: a fixed
    random sample of that many rows."""
    rows = read_bio(path)
    keep = list(labels)
    if limit:
        rows = [rows[i] for i in sample_rows(rows, limit, seed)]
    vocab = spacy.blank("en").vocab
    docs = [row_to_doc(vocab, row, keep) for row in rows]
    found = {lab for d in docs for lab in (e.label_ for e in d.ents)}
    if not found:
        raise SettingsError(f"{path}: none of the types {keep} occur in the data; do the domain spec's types match?")
    output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(output)
    return {"path": str(path), "docs": len(docs), "entities": sum(len(d.ents) for d in docs)}
