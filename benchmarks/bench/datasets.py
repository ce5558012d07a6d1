"""Where the benchmarks find the evaluation data and which fixed samples of it they use.

The data stays where it is (../shared/datasets/ by default); nothing of it is
copied into the project. Samples are drawn by a fixed seed so every run and
every configuration sees the same sentences.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy_progner.corpus.bio import bio_docbin, bio_spans, read_bio, sample_rows, text_of
from spacy_progner.errors import SettingsError

ENV = "SPACY_PROGNER_DATASETS"


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


# The distillation benchmark annotates this fixed sample of a train split (read as text only).
ANNOTATE_N, ANNOTATE_SEED = 1000, 0
# The tagging benchmarks' fixed sample of a test split.
SAMPLE_N, SAMPLE_SEED = 150, 2024


def split_texts(dataset: str, n: int = ANNOTATE_N, seed: int = ANNOTATE_SEED) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The train rows to annotate (a fixed sample) and the unlabelled text a library is built from:
    the dev split where there is one, else the train rows outside the sample, so the library never
    sees a sentence it is later asked to label."""
    train = read_bio(split_path(dataset, "train"))
    picked = set(sample_rows(train, n, seed))
    sample = [train[i] for i in sorted(picked)]
    dev = datasets_root() / dataset / "dev.jsonl"
    if dev.is_file():
        return sample, [text_of(r) for r in read_bio(dev)]
    return sample, [text_of(r) for i, r in enumerate(train) if i not in picked]


MORE_CHUNK = 1000  # texts past the sample are drawn in chunks of this many


def more_rows(dataset: str, more: int, n: int = ANNOTATE_N, seed: int = ANNOTATE_SEED) -> List[Dict[str, Any]]:
    """`more` train rows outside the annotation sample: more text of the same kind for the learning curve
    past the sample. They come in chunks of MORE_CHUNK, each a fixed sample of the rest not drawn yet (seed
    + 1, + 2, ...), so a larger `more` starts with a smaller one's rows and can go on from its labels. Where a
    dataset has no dev split its library's text is that rest too, so a few of these may be feature
    sentences, as a user's own texts would be."""
    train = read_bio(split_path(dataset, "train"))
    taken = set(sample_rows(train, n, seed))  # split_texts's sample
    picked: List[int] = []
    for chunk in range(-(-more // MORE_CHUNK)):
        rest = [i for i in range(len(train)) if i not in taken]
        drawn = [rest[i] for i in sample_rows(rest, min(MORE_CHUNK, more - len(picked)), seed + 1 + chunk)]
        picked += drawn
        taken.update(drawn)
    return [train[i] for i in picked]


# Where a tagging benchmark samples its sentences: the test split; "tune", the distillation's train
# sample (which no library reads), for trying a prompt before its rows on test are run once; or "fresh",
# the test sentences outside the reported sample (`test_sample`), to confirm a kept lever on sentences
# no choice was made on.
EVAL_SPLITS = ("test", "tune", "fresh")


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
    if split == "tune":
        return split_texts(dataset)[0]
    test = read_bio(split_path(dataset, "test"))
    if split == "fresh":
        reported = set(sample_rows(test, SAMPLE_N, SAMPLE_SEED))
        return [row for i, row in enumerate(test) if i not in reported]
    return test


def eval_sample(dataset: str, split: str, n: int, seed: int) -> List[Dict[str, Any]]:
    """A tagging benchmark's fixed sample of `eval_rows`, in sample order."""
    rows = eval_rows(dataset, split)
    return [rows[i] for i in sample_rows(rows, n, seed)]


def test_sample(dataset: str) -> List[Dict[str, Any]]:
    """The tagging benchmarks' test sample (`SAMPLE_N` sentences, seed `SAMPLE_SEED`), in sample order."""
    return eval_sample(dataset, "test", SAMPLE_N, SAMPLE_SEED)


def library_texts(dataset: str) -> List[str]:
    """Text only (tags never read) for the library of `dataset`: see `split_texts`."""
    return split_texts(dataset)[1]


def mentions(row: Dict, keep: Optional[Iterable[str]] = None) -> List[Tuple[str, str]]:
    return [(" ".join(row["tokens"][s:e]), lab) for s, e, lab in bio_spans(row["tags"], keep)]


def dataset_docbin(
    dataset: str, split: str, labels: Iterable[str], output: Path, limit: Optional[int] = None, seed: int = 0
) -> Dict[str, Any]:
    """Write `dataset/split.jsonl` as a DocBin with only `labels` kept (others -> O)."""
    info = bio_docbin(split_path(dataset, split), labels, output, limit, seed)
    return {"dataset": dataset, "split": split, "docs": info["docs"], "entities": info["entities"]}
