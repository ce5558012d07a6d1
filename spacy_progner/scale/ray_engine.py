"""`annotate` and `relabel` on Ray Data (the optional extra `pip install 'spacy-progner[ray]'`).

Why: past one process, the per-text work (embedding, retrieval, tokenization, a student's inference) and
the LLM calls of many workers run side by side, each worker with its own bounded number of requests in
flight to the serving engine. The texts go out as a Ray dataset in blocks; each block's results land in
a shard keyed by text id (see `workers`), and the driver merges the shards, in input order, into the
same corpus the single-process path writes. Nothing here schedules across machines by itself: give
`address` of an existing cluster, and a shard folder every node can write (a shared filesystem).
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import SettingsError, StepError
from ..llm import Usage, UsageLedger
from . import shards

Rows = Sequence[Tuple[str, str]]


@dataclass
class RaySettings:
    address: Optional[str] = None  # an existing cluster ("auto", "ray://head:10001"); None: start a local Ray
    workers: int = 2  # Ray actors, each with the pipeline loaded once
    block_size: int = 64  # texts per block: the unit of work, of retry and of a shard file
    num_cpus: Optional[int] = None  # CPUs of a local Ray (None: all)
    cpus_per_worker: Optional[float] = None  # None: the cluster's CPUs shared by the workers, at most 1

    def __post_init__(self) -> None:
        if self.workers < 1 or self.block_size < 1:
            raise SettingsError(f"Ray workers and block size must be >= 1, got {self.workers}, {self.block_size}")


def require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library is the part we need
    except ImportError as err:
        raise SettingsError(
            f"--engine ray needs Ray Data ({err}): pip install 'spacy-progner[ray]', or use --engine local"
        ) from err
    return ray


def start(s: RaySettings) -> Any:
    """Ray, started here (local) or joined (`address`); progress bars of the workers off."""
    ray = require_ray()
    if not ray.is_initialized():
        env = {"env_vars": {"TQDM_DISABLE": "1"}}
        if s.address:
            ray.init(address=s.address, runtime_env=env, log_to_driver=False)
        else:
            ray.init(num_cpus=s.num_cpus, include_dashboard=False, runtime_env=env, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray


def cpus_per_worker(ray: Any, s: RaySettings) -> float:
    if s.cpus_per_worker is not None:
        return s.cpus_per_worker
    return min(1.0, float(ray.cluster_resources().get("CPU", 1.0)) / s.workers)


def run_blocks(
    rows: Rows, done: Dict[str, shards.Loc], worker: Callable, kwargs: Dict[str, Any], s: RaySettings
) -> List[Dict[str, Any]]:
    """Send the rows not in `done` through `worker` (a class: one instance per actor) in blocks; returns
    each block's summary row. The rows keep their input position, which names a block's shard."""
    items = [{"pos": p, "id": i, "text": t} for p, (i, t) in enumerate(rows) if i not in done]
    if not items:
        return []
    ray = start(s)
    dataset = ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / s.block_size))
    mapped = dataset.map_batches(
        worker,
        fn_constructor_kwargs=kwargs,
        batch_size=s.block_size,
        compute=ray.data.ActorPoolStrategy(size=s.workers, max_tasks_in_flight_per_actor=2),  # next block queued
        num_cpus=cpus_per_worker(ray, s),
    )  # a killed worker is restarted by Ray Data and its block retried: the block's shard says what is done
    return mapped.take_all()


def shard_dir_of(output: Path) -> Path:
    return output.with_name(output.name + ".shards")


def collect(rows: Rows, sources: List[Path], what: str) -> Tuple[Dict[str, shards.Loc], int]:
    """The written rows of every text (a text without one fails: the run is incomplete, rerun it)."""
    index, repeats = shards.scan(sources)
    missing = [text_id for text_id, _ in rows if text_id not in index]
    if missing:
        raise StepError(
            f"{what}: {len(missing)} texts have no result after the Ray run (e.g. {missing[0]}); "
            "rerun the same command: it resumes from the shards"
        )
    return index, repeats


def remove_shards(shard_dir: Path) -> None:
    shutil.rmtree(shard_dir, ignore_errors=True)


def summed_usage(summaries: List[Dict[str, Any]]) -> UsageLedger:
    """The workers' usage, booked as one `annotate` step."""
    ledger = UsageLedger()
    with ledger.step("annotate"):
        for row in summaries:
            ledger.add(Usage(**json.loads(row["usage"])))
    return ledger


def summed_stats(summaries: List[Dict[str, Any]]) -> Dict[str, int]:
    total: Dict[str, int] = {}
    for row in summaries:
        for key, value in json.loads(row["stats"]).items():
            total[key] = total.get(key, 0) + value
    return dict(sorted(total.items()))
