"""How good the shipped model is without a gold set: each model's agreement with its teacher on texts no
model saw (`to-docbin --heldout-share`) with a bootstrap interval over those texts (a few dozen held-out
texts from a small corpus say little), and warnings, each with what to do, where the shipped model falls
short of the student or of its teacher, the held-out texts are too few, or a type has too few examples to
learn from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import spacy
from spacy.tokens import DocBin

from ..corpus.evaluate import Predictions, predict, scores_of
from ..errors import SettingsError, StepError


@dataclass
class EstimateSettings:
    # the shipped model may agree with the teacher this much less than the student before a warning
    max_gap: float = 0.05
    # agreement with the teacher below this: the shipped model reproduces too little of what it was taught
    min_agreement: float = 0.6
    # a type with fewer training entities than this is warned about
    min_entities: int = 50
    # fewer held-out texts than this: the figures are rough, and the warning says how rough
    min_heldout: int = 50
    # the bootstrap interval: its coverage, and how many resamples of the held-out texts make it
    level: float = 0.9
    resamples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.max_gap <= 1 or not 0 <= self.min_agreement <= 1:
            raise SettingsError("estimate: max_gap and min_agreement must be in [0, 1]")
        if self.min_entities < 0 or self.min_heldout < 0:
            raise SettingsError(
                f"estimate: min_entities and min_heldout must be >= 0, got {self.min_entities}, {self.min_heldout}"
            )
        if not 0 < self.level < 1 or self.resamples < 1:
            raise SettingsError(
                f"estimate: level must be in (0, 1) and resamples >= 1, got {self.level}, {self.resamples}"
            )


def entities_per_type(docbin: Path) -> Dict[str, int]:
    """Entities per type in a training DocBin (what each type had to learn from)."""
    if not docbin.is_file():
        raise StepError(f"estimate: training data {docbin} does not exist; run `to-docbin` first")
    docs = DocBin().from_disk(docbin).get_docs(spacy.blank("xx").vocab)
    return dict(Counter(ent.label_ for doc in docs for ent in doc.ents))


Counts = List[Tuple[int, int, int]]


def text_counts(predictions: Predictions) -> Counts:
    """Per held-out text: the entities the model and the teacher agree on (span and type), the model's and
    the teacher's, so that the agreement can be resampled text by text. On held-out texts `to-docbin`
    wrote (every token annotated, the model's tokenizer) their sums give spaCy's scorer's micro F1."""
    out = []
    for example in predictions.examples:
        pred = {(e.start_char, e.end_char, e.label_) for e in example.predicted.ents}
        gold = {(e.start_char, e.end_char, e.label_) for e in example.reference.ents}
        out.append((len(pred & gold), len(pred), len(gold)))
    return out


def micro_f1(sums: np.ndarray) -> np.ndarray:
    """Micro F1 from summed (agreed, model's, teacher's) counts; 0 where neither marked anything, as
    spaCy's scorer has it."""
    return 2 * sums[..., 0] / np.maximum(sums[..., 1] + sums[..., 2], 1)


def intervals(counts: Dict[str, Counts], settings: EstimateSettings) -> Dict[str, List[float]]:
    """Bootstrap intervals of each model's agreement F1 over the held-out texts, and of the student's lead
    over the shipped model (`gap`), both resampled with the same texts: how far the figures might move on
    other texts like these."""
    sizes = {len(c) for c in counts.values()}
    if len(sizes) != 1 or 0 in sizes or "shipped" not in counts:
        raise StepError(f"estimate: every model needs counts of the same held-out texts, got {sizes or 'none'}")
    n = sizes.pop()
    picks = np.random.default_rng(settings.seed).integers(0, n, size=(settings.resamples, n))
    tail = (1 - settings.level) / 2
    f1 = {name: micro_f1(np.asarray(c, dtype=float)[picks].sum(axis=1)) for name, c in counts.items()}
    if "student" in f1:
        f1["gap"] = f1["student"] - f1["shipped"]
    return {name: [round(float(x), 4) for x in np.quantile(v, [tail, 1 - tail])] for name, v in f1.items()}


def warnings_for(
    agreement: Dict[str, float],
    counts: Dict[str, int],
    settings: EstimateSettings,
    spread: Optional[Dict[str, List[float]]] = None,
    n_heldout: Optional[int] = None,
) -> List[str]:
    """What the figures say about the shipped model, each with what to do about it (`spread`: the
    bootstrap intervals, quoted where they matter; `n_heldout`: the texts behind the figures, warned about
    when too few to say much)."""
    out = []
    spread = spread or {}
    if n_heldout is not None and n_heldout < settings.min_heldout and "shipped" in spread:
        lo, hi = spread["shipped"]
        out.append(
            f"the estimate rests on {n_heldout} held-out texts only (fewer than {settings.min_heldout}): the shipped "
            f"model's agreement might lie anywhere from {lo:.3f} to {hi:.3f} ({settings.level:.0%} interval); read "
            "the figures as rough, or label more texts (a larger --heldout-share narrows it but trains on fewer)"
        )
    shipped, student = agreement["shipped"], agreement.get("student")
    if student is not None and student - shipped > settings.max_gap:
        gap = spread.get("gap")
        within = f" ({settings.level:.0%} interval {100 * gap[0]:.1f} to {100 * gap[1]:.1f})" if gap else ""
        out.append(
            f"the shipped model agrees with its teacher at F1 {shipped:.3f}, {100 * (student - shipped):.1f} points "
            f"below the student ({student:.3f}){within}: ship the student (slower); on the distillation benchmark "
            "labelling more texts, up to 3,000, did not close such a gap"
        )
    if shipped < settings.min_agreement:
        out.append(
            f"the shipped model agrees with its teacher at F1 {shipped:.3f} only (below {settings.min_agreement}): "
            "it learnt little of what it was taught; label more texts, or check the teacher's labels in the report"
        )
    for label, n in sorted(counts.items(), key=lambda kv: kv[1]):
        if n < settings.min_entities:
            out.append(
                f"type {label} has {n} training entities (fewer than {settings.min_entities}): its labels are "
                "guesses; label more texts that mention it, or review some (`review`)"
            )
    return out


def estimate(
    shipped: Path,
    heldout: Path,
    student: Optional[Path] = None,
    train: Optional[Path] = None,
    settings: Optional[EstimateSettings] = None,
) -> Dict[str, Any]:
    """Each model's P/R/F against the teacher's labels of the held-out texts, the training entities per type,
    and the warnings."""
    settings = settings or EstimateSettings()
    if not heldout.is_file():
        raise StepError(f"estimate: {heldout} does not exist; write it with `to-docbin --heldout-share 0.1`")
    if len(DocBin().from_disk(heldout)) == 0:
        raise StepError(f"estimate: {heldout} holds no text; write it with `to-docbin --heldout-share 0.1`")
    models = {"shipped": shipped, **({"student": student} if student is not None else {})}
    predictions = {name: predict(path, heldout) for name, path in models.items()}  # one pass per model
    scores = {name: scores_of(p) for name, p in predictions.items()}
    agreement = {name: s["ents_f"] for name, s in scores.items()}
    spread = intervals({name: text_counts(p) for name, p in predictions.items()}, settings)
    counts = entities_per_type(train) if train is not None else {}
    n_heldout = scores["shipped"]["docs"]
    return {
        "agreement": agreement,
        "interval": spread,
        "scores": scores,
        "train_entities_per_type": counts,
        "settings": settings.__dict__,
        "warnings": warnings_for(agreement, counts, settings, spread, n_heldout),
    }
