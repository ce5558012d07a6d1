"""A second, independent annotation without the LLM: spaCy students trained on the other folds of the
same annotated corpus (cross-validation). Where the student and the tagger disagree, one of them is
wrong; that marks the annotations `correct` re-checks first, on every backend (no log-probs needed).

Each entity gets `agree` (the student of its fold predicted the same span and type); a student span of
a known type that no tagger entity overlaps is added as a `proposed` entity (`agree` false), so the
re-check can also win back what the tagger missed.
"""

from __future__ import annotations

import copy
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import spacy
from spacy.tokens import DocBin
from wasabi import msg

from ..corpus.docbin import samples_to_docs
from ..errors import StepError
from ..ner.align import entity_offsets, overlaps, with_offsets
from ..seeds import rng_for


@dataclass
class CrossCheckSettings:
    folds: int = 5
    train_steps: int = 600  # per fold: k students are trained, each needs only to be roughly right
    dev_share: float = 0.1  # of each fold's training part, to pick the best checkpoint
    seed: int = 0

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise StepError(f"crosscheck: folds must be >= 2, got {self.folds}")


def fold_of(n: int, s: CrossCheckSettings) -> List[int]:
    order = list(range(n))
    rng_for(s.seed, "crosscheck").shuffle(order)
    fold = [0] * n
    for rank, i in enumerate(order):
        fold[i] = rank % s.folds
    return fold


def train_student(docs, config: Path, workdir: Path, s: CrossCheckSettings) -> spacy.language.Language:
    from spacy.cli.train import train

    order = list(range(len(docs)))
    rng_for(s.seed, "crosscheck-dev").shuffle(order)
    n_dev = max(1, int(len(docs) * s.dev_share))
    workdir.mkdir(parents=True, exist_ok=True)
    DocBin(docs=[docs[i] for i in order[n_dev:]]).to_disk(workdir / "train.spacy")
    DocBin(docs=[docs[i] for i in order[:n_dev]]).to_disk(workdir / "dev.spacy")
    overrides = {
        "paths.train": str(workdir / "train.spacy"),
        "paths.dev": str(workdir / "dev.spacy"),
        "training.max_steps": s.train_steps,
    }
    train(config, workdir / "model", use_gpu=-1, overrides=overrides)
    return spacy.load(workdir / "model" / "model-best")


def crosscheck(
    samples: List[Dict[str, Any]],
    labels: List[str],
    train_config: Path,
    settings: Optional[CrossCheckSettings] = None,
    lang: str = "en",
    workdir: Optional[Path] = None,
) -> Dict[str, Any]:
    """The samples with `agree` on every entity and the students' proposals added; counts."""
    s = settings or CrossCheckSettings()
    if len(samples) < 2 * s.folds:
        raise StepError(
            f"crosscheck: {len(samples)} samples are too few for {s.folds} folds (at least {2 * s.folds}); "
            "annotate more texts, or give fewer --folds"
        )
    if any("start" not in e for x in samples for e in x["entities"]):
        raise StepError("crosscheck: entities need character offsets ('start', 'end'); annotate writes them")
    nlp = spacy.blank(lang)
    docs, _, _ = samples_to_docs(nlp, samples, labels, "expand")
    folds = fold_of(len(samples), s)
    out = copy.deepcopy(samples)
    counts: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = workdir or Path(tmp)
        for f in range(s.folds):
            msg.divider(f"crosscheck: fold {f + 1} of {s.folds}")
            student = train_student([d for d, g in zip(docs, folds) if g != f], train_config, root / f"fold{f}", s)
            held = [i for i, g in enumerate(folds) if g == f]
            for i, pred in zip(held, student.pipe(out[i]["sentence"] for i in held)):
                _compare(out[i], pred, set(labels), counts)
    total = counts["agree"] + counts["disagree"]
    return {
        "samples": out,
        "metrics": {
            "folds": s.folds,
            "train_steps": s.train_steps,
            **dict(counts),
            "agreement": round(counts["agree"] / total, 4) if total else None,
        },
    }


def _compare(sample: Dict[str, Any], pred, labels: set, counts: Counter) -> None:
    compare(sample, {(e.start_char, e.end_char, e.label_) for e in pred.ents if e.label_ in labels}, counts)


def compare(sample: Dict[str, Any], other: Set[Tuple[int, int, str]], counts: Counter) -> None:
    """Mark a sample's entities against a second annotation's (start, end, label) spans: `agree` on each
    entity (false if another source already disagreed), and each span of the other that no entity
    overlaps added as `proposed`. An entity without offsets counts at every occurrence of its text (as
    to-docbin aligns it), and agrees if the other has it at one of them."""
    sentence = sample["sentence"]
    taken: List[Tuple[int, int]] = []
    for e in sample["entities"]:
        hits = entity_offsets(sentence, e)
        if not e.get("proposed"):
            taken += hits
        same = any((a, b, e["label"]) in other for a, b in hits)
        e["agree"] = same and e.get("agree", True)
        counts["agree" if same else "disagree"] += 1
    placed = with_offsets(sample["entities"])
    for start, end, label in sorted(other):
        if any(overlaps(a, b, start, end) for a, b in taken):
            continue
        offsets = {"start": start, "end": end} if placed else {}
        sample["entities"].append(
            {"text": sentence[start:end], "label": label, **offsets, "agree": False, "proposed": True}
        )
        taken.append((start, end))
        counts["proposed"] += 1
