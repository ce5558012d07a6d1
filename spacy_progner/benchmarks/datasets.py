"""Reading evaluation data (tokens + BIO tags, one JSON object per line) into spaCy Docs.

The data stays where it is (../shared/datasets/ by default); nothing of it is
copied into the project. Samples are drawn by a fixed seed so every run and
every configuration sees the same sentences.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
import srsly
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab

from ..errors import SettingsError

ENV = "SPACY_PROGNER_DATASETS"
DOMAINS_DIR = Path("configs/domains")  # the domain specs of the benchmark datasets, in a source checkout


def datasets_root() -> Path:
    """$SPACY_PROGNER_DATASETS (the benchmark commands' --datasets-dir sets it), else ../shared/datasets beside
    a source checkout; an installed package has no such place and says so."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "setup.cfg").is_file():
        return checkout.parent / "shared" / "datasets"
    raise SettingsError(
        f"where are the evaluation datasets? Set {ENV} (or --datasets-dir) to the folder holding "
        "conll2003/, wikigold/, mit_movie/, mit_restaurant/ (each with test.jsonl etc.)"
    )


def split_path(dataset: str, split: str, root: Optional[Path] = None) -> Path:
    path = (root or datasets_root()) / dataset / f"{split}.jsonl"
    if not path.is_file():
        raise SettingsError(f"dataset split {path} does not exist (set SPACY_PROGNER_DATASETS to the datasets folder)")
    return path


def read_split(path: Path) -> List[Dict]:
    rows = []
    for i, row in enumerate(srsly.read_jsonl(path), 1):
        if not isinstance(row, dict) or len(row.get("tokens", [])) != len(row.get("tags", [None])):
            raise SettingsError(f"{path}: line {i} needs 'tokens' and 'tags' of the same length")
        rows.append(row)
    return rows


# The distillation benchmark annotates this fixed sample of a train split (read as text only).
ANNOTATE_N, ANNOTATE_SEED = 1000, 0


def text_of(row: Dict[str, Any]) -> str:
    return " ".join(row["tokens"])


def split_texts(dataset: str, n: int = ANNOTATE_N, seed: int = ANNOTATE_SEED) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The train rows to annotate (a fixed sample) and the unlabelled text a library is built from:
    the dev split where there is one, else the train rows outside the sample, so the library never
    sees a sentence it is later asked to label."""
    train = read_split(split_path(dataset, "train"))
    picked = set(sample_rows(train, n, seed))
    sample = [train[i] for i in sorted(picked)]
    dev = datasets_root() / dataset / "dev.jsonl"
    if dev.is_file():
        return sample, [text_of(r) for r in read_split(dev)]
    return sample, [text_of(r) for i, r in enumerate(train) if i not in picked]


# Where a tagging benchmark samples its sentences: the test split, or "tune", the distillation's train
# sample (which no library reads), for trying a prompt before its rows on test are run once.
EVAL_SPLITS = ("test", "tune")


def known_configs(names: Sequence[str], choices: Sequence[str], benchmark: str) -> List[str]:
    """The configurations asked of a benchmark, each one it has (a typo is named before any row runs)."""
    unknown = [n for n in names if n not in choices]
    if unknown:
        raise SettingsError(f"benchmark {benchmark}: unknown configuration(s) {unknown}; choose from {list(choices)}")
    return list(names)


def eval_rows(dataset: str, split: str = "test") -> List[Dict[str, Any]]:
    """The rows a tagging benchmark draws its sample from (see EVAL_SPLITS)."""
    if split not in EVAL_SPLITS:
        raise SettingsError(f"unknown benchmark split {split!r}; choose from {list(EVAL_SPLITS)}")
    return split_texts(dataset)[0] if split == "tune" else read_split(split_path(dataset, "test"))


def library_texts(dataset: str) -> List[str]:
    """Text only (tags never read) for the library of `dataset`: see `split_texts`."""
    return split_texts(dataset)[1]


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


def sample_rows(rows: Sequence[Dict], n: int, seed: int) -> List[int]:
    """Indices of a fixed random sample (sorted), the same for every run with this seed."""
    if n >= len(rows):
        return list(range(len(rows)))
    return sorted(random.Random(seed).sample(range(len(rows)), n))


def mentions(row: Dict, keep: Optional[Iterable[str]] = None) -> List[Tuple[str, str]]:
    return [(" ".join(row["tokens"][s:e]), lab) for s, e, lab in bio_spans(row["tags"], keep)]


def dataset_docbin(
    dataset: str, split: str, labels: Iterable[str], output: Path, limit: Optional[int] = None, seed: int = 0
) -> Dict[str, Any]:
    """Write `dataset/split.jsonl` as a DocBin with only `labels` kept (others -> O)."""
    path = split_path(dataset, split)
    rows = read_split(path)
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
    return {"dataset": dataset, "split": split, "docs": len(docs), "entities": sum(len(d.ents) for d in docs)}
