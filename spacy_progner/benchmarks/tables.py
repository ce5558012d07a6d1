"""Cells the benchmark tables share (ProgGen and distillation rows have the same columns)."""

from __future__ import annotations

from typing import Dict, Optional


def per_type_cell(per_type_f1: Dict[str, float]) -> str:
    return ", ".join(f"{label} {f:.2f}" for label, f in sorted(per_type_f1.items()))


def abcd_cell(choices: Optional[Dict[str, int]]) -> str:
    """Self-correction choices as A/B/C/D counts, or a dash where the row had no correction."""
    return "/".join(str(choices.get(c, 0)) for c in "ABCD") if choices else "–"
