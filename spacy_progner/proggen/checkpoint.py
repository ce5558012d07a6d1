"""`generate` in legs: the run's state is saved beside its output after every batch of calls, so a killed
run goes on from there without repeating a call, even on a machine without the LLM cache (keep the state
file where it lasts). What the earlier legs cost is carried along, so the metrics count the whole run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, Optional

from ..files import write_json_atomic
from ..llm import ChatModel, Usage
from ..ner.domain import DomainSpec
from .generate import GenerateSettings, generate


def state_path(output: Path) -> Path:
    """Where the run writing `output` keeps its state (removed when the run finishes)."""
    return output.with_name(output.stem + ".state.json")


def with_earlier_legs(earlier: Optional[Dict[str, Any]], usage: Usage, seconds: float) -> Dict[str, Any]:
    """The usage and seconds of a step run in legs (killed, resumed from its saved state): this leg's plus
    those booked by the earlier legs up to their last saved state."""
    total = Usage(**earlier["usage"]) if earlier else Usage()
    total += usage
    return {
        "usage": total.to_dict(),
        "seconds": seconds + (earlier["seconds"] if earlier else 0.0),
        "legs": (earlier["legs"] if earlier else 0) + 1,
    }


def generate_in_legs(
    model: ChatModel,
    spec: DomainSpec,
    settings: GenerateSettings,
    attributes: Optional[Dict[str, Any]],
    pools: Optional[Dict[str, Any]],
    state: Path,
) -> Dict[str, Any]:
    """`generate`, resumed from `state` when it exists and saving it after every batch; the state file is
    removed once the run is done. The metrics get `earlier_legs` (None for a run in one leg)."""
    state.parent.mkdir(parents=True, exist_ok=True)
    # the standard json module: srsly's reader rounds some floats (-0.0026 read back as -0.0026000000000000003),
    # and a resumed run must carry exactly the log-probs it saved
    resume = json.loads(state.read_text(encoding="utf8")) if state.exists() else None
    earlier, start = (resume or {}).get("earlier_legs"), time.perf_counter()

    def save(run_state: Dict[str, Any]) -> None:  # with what the run has cost so far
        spent = with_earlier_legs(earlier, model.ledger.total(), time.perf_counter() - start)
        write_json_atomic(state, {**run_state, "earlier_legs": spent})

    result = generate(model, spec, settings, attributes, pools, resume=resume, checkpoint=save)
    state.unlink(missing_ok=True)
    result["metrics"] = {**result["metrics"], "earlier_legs": earlier}
    return result
