"""Scaling benchmark: `annotate` against the fake OpenAI server (fixed latency, a concurrency cap) in one
process and on Ray with 1-8 workers, and `relabel` in one process vs two Ray workers.

Why these numbers: the LLM server is the cost of a large run, so what matters is how close the client side
gets to the server's cap, and what the orchestration (Ray blocks, shards, merge) adds per text over one
process asking at the same concurrency. The server answers every request after the same latency, so any
shortfall is the client's. Steady throughput is counted by the server (first arrival to last answer);
wall time adds start-up (Ray, loading the pipeline in every worker).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import httpx
import spacy
from spacy.training import Example

from spacy_progner.distill.annotate import AnnotateSettings, annotate_stream, tagger_pipe
from spacy_progner.distill.relabel import relabel
from spacy_progner.llm.select import load_model
from spacy_progner.scale.jobs import annotate_ray, relabel_ray
from spacy_progner.scale.ray_engine import RaySettings, start
from spacy_progner.scale.workers import ModelFactory

FAKE_SERVER = Path("../tests/fake_openai.py")
LABELS = {"PER": "the name of a person", "ORG": "the name of an organisation", "LOC": "the name of a place"}
PEOPLE = ["Anna Berg", "Omar Haddad", "Lena Ortiz", "Ivan Petrov"]
TOWNS = ["Graz", "Lagos", "Oslo", "Cork"]


class FakeServer:
    """The tests' fake OpenAI server in a process of its own (a client benchmarked in the same interpreter
    would share its GIL), driven over its control routes."""

    def __init__(self, latency: float, cap: int):
        if not FAKE_SERVER.is_file():
            raise FileNotFoundError(f"{FAKE_SERVER}: the tests' fake OpenAI server is needed (a source checkout)")
        command = [sys.executable, str(FAKE_SERVER), "--latency", str(latency), "--cap", str(cap)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        self.control = self.base_url.rsplit("/v1", 1)[0] + "/_control"

    def reset(self) -> None:
        httpx.post(f"{self.control}/reset", timeout=10).raise_for_status()

    def log(self) -> Dict[str, Any]:
        response = httpx.get(f"{self.control}/log", timeout=10)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def texts(n: int, seed: int = 0) -> List[Tuple[str, str]]:
    rng = random.Random(seed)
    return [(f"line-{i}", f"{rng.choice(PEOPLE)} flew to {rng.choice(TOWNS)} on day {i} .") for i in range(1, n + 1)]


def model_file(path: Path, base_url: str) -> Path:
    block = {"@llm_models": "spacy_progner.OpenAICompatible.v1", "base_url": base_url, "model": "fake",
             "api_key_env": None, "cache": False, "max_retries": 2, "timeout": 60.0}  # fmt: skip
    path.write_text(json.dumps(block), encoding="utf8")
    return path


def tagger_pipeline(path: Path, model: Path) -> Path:
    """A reverse_ner pipeline with k = 0 (no library: one request per text, no embedding)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("reverse_ner", config={"labels": LABELS, "k": 0, "model": json.loads(model.read_text())})
    nlp.to_disk(path)
    return path


def utilization(arrived: List[float], answered: List[float], slots: int) -> Tuple[float, float]:
    """How full the client kept the server's `slots` while it was at full load: the mean number of requests
    being answered, over `slots`, from the first moment all slots were busy to the last (start-up and the
    final drain left out); and that window in seconds. Throughput at full load = share x slots / latency."""
    events = sorted([(t, 1) for t in arrived] + [(t, -1) for t in answered])
    level, first, last = 0, None, None
    for t, step in events:
        if level >= slots:
            last = t
        level += step
        if level >= slots and first is None:
            first = t
    if first is None or last is None or last <= first:
        return 0.0, 0.0
    area, level, prev = 0.0, 0, events[0][0]
    for t, step in events:
        lo, hi = max(prev, first), min(t, last)
        if hi > lo:
            area += level * (hi - lo)
        level, prev = level + step, t
    return area / (slots * (last - first)), last - first


class AnnotateBench:
    """One fake server (latency, cap) and a saved k = 0 pipeline; runs single-process and Ray configurations."""

    def __init__(self, work: Path, latency: float, cap: int, waves: int):
        self.work, self.latency, self.cap, self.waves = work, latency, cap, waves
        self.server = FakeServer(latency, cap)
        self.model = model_file(work / "model.json", self.server.base_url)
        self.pipeline = tagger_pipeline(work / "pipeline", self.model)

    def n_texts(self, in_flight: int) -> int:
        return self.waves * min(in_flight, self.cap)

    def single(self, concurrency: int) -> Dict[str, Any]:
        rows = texts(self.n_texts(concurrency))
        nlp = spacy.load(self.pipeline)
        pipe = tagger_pipe(nlp, str(self.pipeline))
        pipe.model = pipe.tagger.model = load_model(str(self.model), None, concurrency)
        out = self.work / f"single-{concurrency}.jsonl"
        self.server.reset()
        start_time = time.perf_counter()
        annotate_stream(nlp, rows, out, AnnotateSettings(logprobs=False, batch_size=max(32, concurrency)))
        return self._row("single", 1, concurrency, len(rows), time.perf_counter() - start_time)

    def ray(self, workers: int, concurrency: int) -> Dict[str, Any]:
        rows = texts(self.n_texts(workers * concurrency))
        block = 4 * concurrency
        out = self.work / f"ray-{workers}x{concurrency}.jsonl"
        self.server.reset()
        start_time = time.perf_counter()
        annotate_ray(
            self.pipeline, rows, out, ModelFactory(str(self.model), None, concurrency),
            AnnotateSettings(logprobs=False, batch_size=block), RaySettings(workers=workers, block_size=block),
        )  # fmt: skip
        return self._row("ray", workers, concurrency, len(rows), time.perf_counter() - start_time)

    def _row(self, engine: str, workers: int, concurrency: int, n: int, wall: float) -> Dict[str, Any]:
        in_flight = workers * concurrency
        slots = min(in_flight, self.cap)
        log = self.server.log()
        share, window = utilization(log["arrived_at"], log["answered_at"], slots)
        served = max(log["answered_at"]) - min(log["arrived_at"])
        return {
            "engine": engine,
            "workers": workers,
            "concurrency_per_worker": concurrency,
            "in_flight": in_flight,
            "texts": n,
            "answered": log["answered"],
            "asked_twice": log["answered"] - log["distinct_answered"],
            "wall_seconds": round(wall, 2),
            "served_seconds": round(served, 2),
            "full_load_seconds": round(window, 2),
            "slots_busy_at_full_load": round(share, 4),
            "steady_texts_per_s": round(share * slots / self.latency, 2),
            "ideal_texts_per_s": round(slots / self.latency, 2),
            "texts_per_s_served": round(n / served, 2),
            "share_of_cap": round(share * slots / self.cap, 3),
            "server_max_in_flight": log["max_in_flight"],
        }

    def close(self) -> None:
        self.server.close()


def overheads(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Steady seconds per text on Ray over one process at the same number of requests in flight."""
    single = {r["in_flight"]: r for r in rows if r["engine"] == "single"}
    out = []
    for r in rows:
        base = single.get(r["in_flight"])
        wall = (r["wall_seconds"] / r["texts"]) / (base["wall_seconds"] / base["texts"]) if base else 0.0
        if r["engine"] != "ray" or base is None:
            continue
        ray_per_text = 1 / r["steady_texts_per_s"]
        single_per_text = 1 / base["steady_texts_per_s"]
        out.append({
            "workers": r["workers"], "concurrency_per_worker": r["concurrency_per_worker"], "in_flight": r["in_flight"],
            "single_ms_per_text": round(1000 * single_per_text, 2), "ray_ms_per_text": round(1000 * ray_per_text, 2),
            "overhead_pct": round(100 * (ray_per_text / single_per_text - 1), 1),
            "wall_overhead_pct": round(100 * (wall - 1), 1),
        })  # fmt: skip
    return out


def train_student(path: Path, steps: int = 30) -> Path:
    """A small spaCy ner model trained in seconds on synthetic sentences."""
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    examples = []
    for _, text in texts(40, seed=1):
        doc = nlp.make_doc(text)
        person = next(p for p in PEOPLE if text.startswith(p))
        town = next(t for t in TOWNS if f" {t} " in text)
        at = text.index(f" {town} ") + 1
        examples.append(Example.from_dict(doc, {"entities": [(0, len(person), "PER"), (at, at + len(town), "LOC")]}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    nlp.to_disk(path)
    return path


def relabel_rows(work: Path, n: int) -> List[Dict[str, Any]]:
    student = train_student(work / "student")
    rows = texts(n, seed=2)
    start_time = time.perf_counter()
    relabel(spacy.load(student), [t for _, t in rows], total=n)
    single = time.perf_counter() - start_time
    start_time = time.perf_counter()
    relabel_ray(student, rows, work / "relabelled.spacy", RaySettings(workers=2, block_size=max(1, n // 8)))
    on_ray = time.perf_counter() - start_time
    return [
        {"engine": "single", "workers": 1, "docs": n, "seconds": round(single, 2), "docs_per_s": round(n / single, 1)},
        {"engine": "ray", "workers": 2, "docs": n, "seconds": round(on_ray, 2), "docs_per_s": round(n / on_ray, 1)},
    ]


def run(
    work: Path, latency: float, cap: int, waves: int, workers: List[int], concurrency: List[int], relabel_docs: int
) -> Dict[str, Any]:
    """Every configuration once; returns the report (settings, rows, overheads, relabel)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start(RaySettings(num_cpus=2))
    bench = AnnotateBench(work, latency, cap, waves)
    try:
        rows = [bench.single(level) for level in sorted({w * c for w in workers for c in concurrency})]
        rows += [bench.ray(w, c) for w in workers for c in concurrency]
    finally:
        bench.close()
    return {
        "settings": {
            "latency_s": latency,
            "server_cap": cap,
            "cap_mode": "queue",
            "waves": waves,
            "ray_num_cpus": 2,
            "machine_cpus": 2,
        },  # fmt: skip
        "annotate": rows,
        "overhead": overheads(rows),
        "relabel": relabel_rows(work, relabel_docs),
    }


def markdown(report: Dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        "# Scaling `annotate` and `relabel`",
        "",
        f"Fake OpenAI server on 127.0.0.1, in a process of its own: every answer after {s['latency_s']} s, "
        f"at most {s['server_cap']} answered "
        f"at once (beyond that requests {s['cap_mode']}); so at most {s['server_cap'] / s['latency_s']:g} texts/s. "
        f"Local Ray with num_cpus={s['ray_num_cpus']} on a {s['machine_cpus']}-core machine shared with other work. "
        "reverse_ner with k = 0: one request per text. Steady = texts/s while the server is at full load (from the "
        "first moment all the run's slots are busy to the last: the mean of busy slots x slots / latency); "
        "served = texts / (first arrival to last answer); wall = the whole call, with start-up (Ray, each actor "
        "loading the pipeline) and the merge.",
        "",
        "| engine | workers | conc./worker | in flight | texts | steady texts/s | ideal | share of cap "
        "| served texts/s | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["annotate"]:
        lines.append(
            f"| {r['engine']} | {r['workers']} | {r['concurrency_per_worker']} | {r['in_flight']} | {r['texts']} | "
            f"{r['steady_texts_per_s']} | {r['ideal_texts_per_s']} | {r['share_of_cap']:.1%} "
            f"| {r['texts_per_s_served']} | {r['wall_seconds']} |"
        )
    lines += ["", "Orchestration overhead per text, Ray vs one process at the same requests in flight:", "",
              "| workers x conc. | one process ms/text | Ray ms/text | steady overhead | wall overhead |",
              "|---|---|---|---|---|"]  # fmt: skip
    for o in report["overhead"]:
        lines.append(
            f"| {o['workers']} x {o['concurrency_per_worker']} | {o['single_ms_per_text']} | {o['ray_ms_per_text']} | "
            f"{o['overhead_pct']} % | {o['wall_overhead_pct']} % |"
        )
    lines += ["", "`relabel` (a small CNN student trained on synthetic sentences):", "",
              "| engine | workers | docs | seconds | docs/s |", "|---|---|---|---|---|"]  # fmt: skip
    for r in report["relabel"]:
        lines.append(f"| {r['engine']} | {r['workers']} | {r['docs']} | {r['seconds']} | {r['docs_per_s']} |")
    return "\n".join(lines) + "\n"
