"""Seeded randomness shared by every step: the same parts give the same draws in every process."""

from __future__ import annotations

import random
from typing import Any


def rng_for(*parts: Any) -> random.Random:
    """A random generator determined by `parts` (str seeds are stable across processes)."""
    return random.Random("|".join(str(p) for p in parts))
