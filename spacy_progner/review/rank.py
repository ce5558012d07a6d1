"""Which text a person sees first: the least certain. The signals are the ones `correct` selects by
(`proggen.correct.uncertainty`): a cross-check disagreement or a student proposal first, then an
annotation whose log-prob is below the threshold; among texts of the same tier, more flagged entities
first, then the lowest confidence. Each text carries why it was picked, so a person knows what to look at."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..proggen.correct import CorrectSettings, uncertainty

Sample = Dict[str, Any]
NO_TIER = 9  # a text with no flagged entity comes after every flagged one


def confidence(ent: Dict[str, Any]) -> Optional[float]:
    """An entity's confidence: its own, else exp(mean token log-prob), else None (no score)."""
    if ent.get("confidence") is not None:
        return float(ent["confidence"])
    if ent.get("logprob") is not None:
        return math.exp(float(ent["logprob"]))
    return None


@dataclass
class Priority:
    """How uncertain one text is, and the reason in words."""

    tier: int
    flagged: int
    disagreements: int
    proposals: int
    lowest: Optional[float]

    @property
    def key(self) -> Tuple[int, int, float]:
        return (self.tier, -self.flagged, 1.0 if self.lowest is None else self.lowest)

    @property
    def score(self) -> float:
        """One number in [0, 1] for tools that sort by a task score (higher: more certain)."""
        return 0.0 if self.tier == 0 else (1.0 if self.lowest is None else round(self.lowest, 4))

    def reason(self) -> str:
        parts = []
        if self.disagreements:
            parts.append(_count(self.disagreements, "disagreement") + " with the cross-check")
        if self.proposals:
            parts.append(_count(self.proposals, "student proposal"))
        below = self.flagged - self.disagreements - self.proposals
        if below:
            parts.append(_count(below, "entity", "entities") + " below the log-prob threshold")
        if self.lowest is not None:
            parts.append(f"lowest confidence {self.lowest:.2f}")
        return ", ".join(parts) if parts else "no entity and no signal"


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def priority(sample: Sample, settings: Optional[CorrectSettings] = None) -> Priority:
    s = settings or CorrectSettings()
    ents = sample.get("entities", [])
    scores = [uncertainty(e, s) for e in ents]
    flagged = [sc for sc in scores if sc is not None]
    confs = [c for c in (confidence(e) for e in ents) if c is not None]
    return Priority(
        tier=min(sc[0] for sc in flagged) if flagged else NO_TIER,
        flagged=len(flagged),
        disagreements=sum(1 for e in ents if e.get("agree") is False and not e.get("proposed")),
        proposals=sum(1 for e in ents if e.get("proposed")),
        lowest=round(min(confs), 4) if confs else None,
    )


def rank(samples: List[Sample], settings: Optional[CorrectSettings] = None) -> List[Tuple[Sample, Priority]]:
    """The samples least certain first (ties: corpus order), each with its priority."""
    scored = [(priority(x, settings), i, x) for i, x in enumerate(samples)]
    scored.sort(key=lambda t: (t[0].key, t[1]))
    return [(x, p) for p, _, x in scored]
