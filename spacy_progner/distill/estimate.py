"""How good the shipped model is without a gold set: each model's agreement with its teacher on texts no
model saw (`to-docbin --heldout-share`), and warnings, each with what to do, where the shipped model falls
short of the student or of its teacher, or a type has too few examples to learn from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
from spacy.tokens import DocBin

from ..corpus.evaluate import evaluate_model
from ..errors import SettingsError, StepError


@dataclass
class EstimateSettings:
    # the shipped model may agree with the teacher this much less than the student before a warning
    max_gap: float = 0.05
    # agreement with the teacher below this: the shipped model reproduces too little of what it was taught
    min_agreement: float = 0.6
    # a type with fewer training entities than this is warned about
    min_entities: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.max_gap <= 1 or not 0 <= self.min_agreement <= 1:
            raise SettingsError("estimate: max_gap and min_agreement must be in [0, 1]")
        if self.min_entities < 0:
            raise SettingsError(f"estimate: min_entities must be >= 0, got {self.min_entities}")


def entities_per_type(docbin: Path) -> Dict[str, int]:
    """Entities per type in a training DocBin (what each type had to learn from)."""
    if not docbin.is_file():
        raise StepError(f"estimate: training data {docbin} does not exist; run `to-docbin` first")
    docs = DocBin().from_disk(docbin).get_docs(spacy.blank("xx").vocab)
    return dict(Counter(ent.label_ for doc in docs for ent in doc.ents))


def warnings_for(agreement: Dict[str, float], counts: Dict[str, int], settings: EstimateSettings) -> List[str]:
    """What the figures say about the shipped model, each with what to do about it."""
    out = []
    shipped, student = agreement["shipped"], agreement.get("student")
    if student is not None and student - shipped > settings.max_gap:
        out.append(
            f"the shipped model agrees with its teacher at F1 {shipped:.3f}, {100 * (student - shipped):.1f} points "
            f"below the student ({student:.3f}): ship the student (slower), or label more texts so the fast model "
            "has more to learn from"
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
    scores = {"shipped": evaluate_model(shipped, heldout)}
    if student is not None:
        scores["student"] = evaluate_model(student, heldout)
    agreement = {name: s["ents_f"] for name, s in scores.items()}
    counts = entities_per_type(train) if train is not None else {}
    return {
        "agreement": agreement,
        "scores": scores,
        "train_entities_per_type": counts,
        "settings": settings.__dict__,
        "warnings": warnings_for(agreement, counts, settings),
    }
