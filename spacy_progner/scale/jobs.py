"""The driver's side of a Ray run of `annotate` or `relabel`: what is done already, the run, the merge.

Why: the driver decides what is left to do from the files alone (the output of an earlier run and the
shards of an interrupted one), so a killed job resumes with no shared cache; and it writes the result
in input order, so the corpus is the one the single-process path writes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import spacy
from spacy.tokens import DocBin
from wasabi import msg

from ..distill.annotate import (
    AnnotateSettings,
    claim_output,
    keep_earlier,
    sample_counts,
    tagger_pipe,
    tagging_fingerprint,
)
from ..errors import StepError
from ..files import load_saved_pipeline
from ..llm import ChatModel, UsageLedger
from . import ray_engine, shards
from .ray_engine import RaySettings, Rows
from .workers import AnnotateWorker, RelabelWorker


def annotate_ray(
    pipeline_dir: Path,
    rows: Rows,
    output: Path,
    make_model: Callable[[], ChatModel],
    settings: AnnotateSettings,
    rs: RaySettings,
) -> Tuple[Dict[str, Any], UsageLedger]:
    """Annotate `rows` on Ray workers into `output` (the corpus `annotate` writes); metrics and usage."""
    shard_dir = ray_engine.shard_dir_of(output)
    nlp = load_saved_pipeline(pipeline_dir, "the annotate pipeline")
    claim_output(output, tagging_fingerprint(tagger_pipe(nlp, str(pipeline_dir)), settings))
    sources = [output, *shards.shard_files(shard_dir)]
    present, _ = shards.scan(sources)
    shards.check_against(present, rows, f"{output} (or its shards)", "sentence")
    kept = keep_earlier(output, settings.keep, rows, present)
    done = shards.scan(sources)[0] if kept else present
    if done:
        msg.info(f"annotate: {len(done)} texts already written; tagging the other {len(rows) - len(done)} on Ray")
    kwargs = {
        "pipeline_dir": str(Path(pipeline_dir).resolve()),
        "make_model": make_model,
        "settings": settings,
        "shard_dir": str(shard_dir.resolve()),
    }
    start = time.perf_counter()
    summaries = ray_engine.run_blocks(rows, done, AnnotateWorker, kwargs, rs)
    seconds = time.perf_counter() - start
    index, repeats = ray_engine.collect(rows, [output, *shards.shard_files(shard_dir)], str(output))
    shards.merge(index, [text_id for text_id, _ in rows], output)
    ray_engine.remove_shards(shard_dir)
    counts = sample_counts(row for _, _, _, row in shards.iter_lines(output))
    metrics = {
        **counts,
        "resumed": len(done) - kept,
        **({"kept": kept} if settings.keep else {}),
        "repeated_lines": repeats,
        "engine": _engine(rs, summaries),
        "tagger": ray_engine.summed_stats(summaries),
        "tag_seconds": round(seconds, 2),
    }
    return metrics, ray_engine.summed_usage(summaries)


def relabel_ray(model_path: Path, rows: Rows, output: Path, rs: RaySettings, batch_size: int = 64) -> Dict[str, Any]:
    """The student labels `rows` on Ray workers; the DocBin `relabel` writes, in input order; counts."""
    shard_dir = ray_engine.shard_dir_of(output)
    done, _ = shards.scan(shards.shard_files(shard_dir))
    shards.check_against(done, rows, f"the shards of {output}", "sentence")
    kwargs = {"model_path": str(Path(model_path).resolve()), "shard_dir": str(shard_dir.resolve())}
    kwargs["batch_size"] = batch_size  # type: ignore[assignment]
    summaries = ray_engine.run_blocks(rows, done, RelabelWorker, kwargs, rs)
    index, repeats = ray_engine.collect(rows, shards.shard_files(shard_dir), str(output))
    docbin, entities = docbin_of(model_path, index, [text_id for text_id, _ in rows])
    output.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output)
    ray_engine.remove_shards(shard_dir)
    return {
        "docs": len(docbin),
        "entities": entities,
        "resumed": len(done),
        "repeated_lines": repeats,
        "engine": _engine(rs, summaries),
    }


def docbin_of(model_path: Path, index: Dict[str, shards.Loc], ids: List[str]) -> Tuple[DocBin, int]:
    """The shards' texts as the student tokenizes them, with its entities: what `relabel` writes. Only
    the tokenizer is loaded (the student's components are excluded)."""
    names = spacy.util.load_config(Path(model_path) / "config.cfg")["nlp"]["pipeline"]
    tokenizer = spacy.load(model_path, exclude=list(names))
    out = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False)
    entities = 0
    for text_id, row in zip(ids, shards.read_rows(index, ids)):
        doc = tokenizer.make_doc(row["sentence"])
        found = [doc.char_span(start, end, label=label) for start, end, label in row["entities"]]
        spans = [span for span in found if span is not None]
        if len(spans) < len(found):
            raise StepError(
                f"{index[text_id].path}: the entities of {text_id} do not fall on the student's tokens; "
                "the shard was written by another model: remove the shards and rerun"
            )
        doc.set_ents(spans, default="outside")
        out.add(doc)
        entities += len(spans)
    return out, entities


def _engine(rs: RaySettings, summaries: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "name": "ray",
        "workers": rs.workers,
        "block_size": rs.block_size,
        "blocks": len(summaries),
        "texts_run": sum(int(row["texts"]) for row in summaries),
        "skipped_in_shards": sum(int(row["skipped"]) for row in summaries),
    }
