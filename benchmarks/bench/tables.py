"""Cells the benchmark tables share (ProgGen and distillation rows have the same columns)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from spacy_progner.proggen.common import step_calls


def number_cell(value: Optional[float], spec: str = ".3f") -> str:
    """A figure for a table, or a dash where the row has none (not run, not timed, not countable)."""
    return "–" if value is None else format(value, spec)


def per_type_cell(per_type_f1: Dict[str, float]) -> str:
    return ", ".join(f"{label} {f:.2f}" for label, f in sorted(per_type_f1.items()))


def abcd_cell(choices: Optional[Dict[str, int]]) -> str:
    """Self-correction choices as A/B/C/D counts, or a dash where the row had no correction."""
    return "/".join(str(choices.get(c, 0)) for c in "ABCD") if choices else "–"


def summed_usage(records: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    """The model calls and tokens behind a row's step records (calls the cache served count: an earlier
    run of the same step paid for them)."""
    usage = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    for record in records:
        u = record.get("usage") or {}
        usage["calls"] += step_calls(record, u)
        usage["prompt_tokens"] += u.get("prompt_tokens", 0)
        usage["completion_tokens"] += u.get("completion_tokens", 0)
    return usage
