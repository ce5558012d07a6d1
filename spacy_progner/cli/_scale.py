"""How `annotate` and `relabel` run: one process (the default), Ray workers, or OpenAI batch files. The
commands' options for it, and the choice of path, live here so the commands stay short."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import typer
from spacy.language import Language
from wasabi import msg

from ..distill.annotate import AnnotateError, AnnotateSettings, annotate_stream
from ..errors import SettingsError
from ..llm import ChatModel, UsageLedger
from ..llm.select import model_block
from ..scale import shards
from ..scale.ray_engine import RaySettings, require_ray
from ._app import load_model

ENGINES = ("local", "ray")
ENGINE = typer.Option(
    "local", "--engine", help="local (one process) | ray (Ray Data workers: pip install 'spacy-progner[ray]')."
)
ADDRESS = typer.Option(None, "--address", help="Ray cluster to join (auto, ray://head:10001); default: a local Ray.")
WORKERS = typer.Option(2, "--workers", help="Ray workers (each loads the pipeline once).")
CONCURRENCY = typer.Option(None, "--concurrency", help="LLM requests in flight per worker (default: the model's own).")
BLOCK_SIZE = typer.Option(64, "--block-size", help="Texts per Ray block (the unit of work, retry and shard).")
BATCH_REQUESTS = typer.Option(
    None, "--batch-requests", help="Write every request as OpenAI batch JSONL here; no model call."
)
BATCH_RESULTS = typer.Option(None, "--batch-results", help="Read a finished OpenAI/vLLM batch output into the corpus.")


def ray_settings(engine: str, address: Optional[str], workers: int, block_size: int) -> Optional[RaySettings]:
    """Settings of a Ray run, or None for the single process."""
    if engine not in ENGINES:
        raise SettingsError(f"--engine {engine!r}: expected one of {ENGINES}")
    if engine == "local":
        return None
    require_ray()  # before any work: a missing extra is said at once
    return RaySettings(address=address, workers=workers, block_size=block_size)


@dataclass
class AnnotateRun:
    """One `annotate` invocation: its texts, output and the path it takes."""

    rows: List[Tuple[str, str]]
    output: Path
    settings: AnnotateSettings
    where: str
    model: str
    cache_path: Optional[str]
    concurrency: Optional[int]
    ray: Optional[RaySettings]
    batch_requests: Optional[Path] = None
    batch_results: Optional[Path] = None

    def __post_init__(self) -> None:
        if self.batch_requests and self.batch_results:
            raise AnnotateError("--batch-requests and --batch-results are two steps: give one of them")
        if (self.batch_requests or self.batch_results) and self.ray is not None:
            raise AnnotateError("batch files are read and written by one process: drop --engine ray")
        self._results: Any = None

    def driver_model(self, have_pipeline: bool) -> Optional[ChatModel]:
        """The model this process tags (or builds a library) with; None when the Ray workers bring their own."""
        if self.batch_requests is not None:
            from ..scale.batch_files import CaptureModel

            return CaptureModel()
        if self.batch_results is not None:
            from ..scale.batch_files import ResultsTransport, read_results

            self._results = read_results(self.batch_results)
            return ChatModel(ResultsTransport(self._results), cache=None, ledger=UsageLedger())  # type: ignore[arg-type]
        if self.ray is not None and have_pipeline:
            return None
        return load_model(self.model, self.cache_path, self.concurrency)

    def run(self, nlp: Language, pipeline_dir: Optional[Path]) -> Dict[str, Any]:
        """Annotate by the chosen path; the metrics (with `usage` when Ray workers made the calls)."""
        if self.batch_requests is not None:
            return self._write_requests(nlp)
        if self.batch_results is not None:
            return self._read_results(nlp)
        if self.ray is not None:
            return self._on_ray(nlp, pipeline_dir)
        return annotate_stream(nlp, self.rows, self.output, self.settings, where=self.where)

    def _write_requests(self, nlp: Language) -> Dict[str, Any]:
        from ..scale.batch_files import batch_requests, write_requests

        name = model_block(self.model).get("model")
        if not isinstance(name, str):
            raise AnnotateError(
                f"--batch-requests with --model {self.model!r}: each request names its model; give --model a file "
                "with an OpenAICompatible block whose `model` is the served model"
            )
        assert self.batch_requests is not None
        # a second batch asks only for the texts the first left out (and none an earlier pass kept)
        done, _ = shards.scan([self.output, *([Path(self.settings.keep)] if self.settings.keep else [])])
        rows = [(text_id, text) for text_id, text in self.rows if text_id not in done]
        counts = write_requests(self.batch_requests, batch_requests(nlp, rows, self.settings), name)
        msg.good(f"Wrote {self.batch_requests}: {counts['requests']} requests for {len(rows)} texts")
        return {
            "texts": len(rows),
            "already_annotated": len(self.rows) - len(rows),
            **counts,
            "batch_requests": str(self.batch_requests),
        }

    def _read_results(self, nlp: Language) -> Dict[str, Any]:
        from ..scale.batch_files import tag_from_results

        tag = tag_from_results(self._results)
        metrics = annotate_stream(nlp, self.rows, self.output, self.settings, self.where, tag)
        summary = self._results.summary()
        for problem in summary["problems"]:
            msg.warn(problem)
        if summary["failed"] + summary["malformed"] + summary["missing"]:
            msg.warn(
                f"{self._results.path}: {summary['failed']} failed, {summary['malformed']} malformed lines, "
                f"{summary['missing']} requests without a line; {metrics.get('not_tagged', 0)} texts not annotated"
            )
        return {**metrics, "batch_results": summary}

    def _on_ray(self, nlp: Language, pipeline_dir: Optional[Path]) -> Dict[str, Any]:
        from ..scale.jobs import annotate_ray
        from ..scale.workers import ModelFactory

        assert self.ray is not None
        built = pipeline_dir is None
        if pipeline_dir is None:  # the library was built here: the workers load a saved copy
            pipeline_dir = self.output.with_name(self.output.name + ".pipeline")
            pipeline_dir.mkdir(parents=True, exist_ok=True)
            nlp.to_disk(pipeline_dir)
        factory = ModelFactory(self.model, self.cache_path, self.concurrency)
        metrics, ledger = annotate_ray(pipeline_dir, self.rows, self.output, factory, self.settings, self.ray)
        if built:
            shutil.rmtree(pipeline_dir, ignore_errors=True)
        total = ledger.total()
        msg.info(f"LLM (Ray workers): {total.calls} calls, {total.cache_hits} cache hits")
        return {**metrics, "usage": ledger.to_dict()}
