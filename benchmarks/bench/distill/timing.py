"""The speed steps (`speed_steps`): docs/s of the reverse_ner pipe, of the distilled spaCy model and of the
students, all on the same test sentences (`timed_rows`). Apart from the rows because timing wants models
already trained and says nothing about their quality; named `timing` so that `speed`, the step's function,
does not shadow its module as an attribute of the package."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import spacy
from spacy.language import Language

from spacy_progner.corpus.bio import row_to_doc, text_of

from ..datasets import test_sample
from ..proggen import Bench
from ..reverse_ner import Tagging, time_config
from .names import STUDENT_SPEED, WORKFLOW_ROWS
from .shared import Shared

TIME_N = 30  # sentences timed: the first of the reverse_ner benchmark's sample (seed 2024), as there


def timed_rows(dataset: str) -> List[Dict[str, Any]]:
    """The test sentences every speed figure of this benchmark is timed on."""
    return test_sample(dataset)[:TIME_N]


def speed_steps(bench: Bench, dataset: str, shared: Shared, k: int) -> None:
    """A dataset's speed steps, in its shared folder: the reverse_ner pipe against distill+correct's CNN
    (`speed`), the two-stage students (`speed-students`), and the workflow's two models (`speed-workflow`),
    timed together on one machine once both are on disk."""
    base = bench.root / dataset
    model = base / "distill+correct" / "model" / "model-best"
    bench.step(shared.folder, "speed", [], lambda: speed(dataset, shared, model, k))
    students = {name: base / name / "model" / "model-best" for name in STUDENT_SPEED}
    bench.step(shared.folder, "speed-students", [], lambda: student_speed(dataset, students))
    workflow = {name: base / name / "model" / "model-best" for name in WORKFLOW_ROWS}
    if all(path.is_dir() for path in workflow.values()):  # timed together, on one machine
        bench.step(shared.folder, "speed-workflow", [], lambda: student_speed(dataset, workflow))


def student_speed(dataset: str, models: Dict[str, Path]) -> Dict[str, Any]:
    """docs/s of each student on the `speed` step's test sentences (best of 5 passes, as there); a model not
    on disk (trained models are not committed) is left out rather than trained again only to be timed."""
    texts = [text_of(row) for row in timed_rows(dataset)]
    out: Dict[str, Any] = {"docs": len(texts)}
    for name, path in models.items():
        if path.is_dir():
            out[name] = _docs_per_s(spacy.load(path), texts)
    return out


def _docs_per_s(nlp: Language, texts: List[str]) -> float:
    """The best of 5 passes over `texts`, after a warm-up: a spaCy model is too fast to time once."""
    list(nlp.pipe(texts[:4]))  # warm-up: the first call loads lazily
    return round(len(texts) / min(_seconds(lambda: list(nlp.pipe(texts))) for _ in range(5)), 1)


def speed(dataset: str, shared: Shared, model_path: Path, k: int) -> Dict[str, Any]:
    """docs/s of the reverse_ner pipe (answer cache off, freshly loaded model) and of the distilled spaCy
    model on the same test sentences (the model's time is the best of 5 passes: it is too fast to time once)."""
    vocab = spacy.blank("en").vocab
    refs = [row_to_doc(vocab, row, keep=list(shared.labels)) for row in timed_rows(dataset)]
    pipe = time_config("library", refs, shared.labels, shared.library(), Tagging(k, domain=shared.build.domain))
    return {
        "docs": len(refs),
        "pipe_docs_per_s": pipe["docs_per_s"],
        "pipe": pipe,
        "model_docs_per_s": _docs_per_s(spacy.load(model_path), [ref.text for ref in refs]),
    }


def _seconds(fn: Callable[[], Any]) -> float:
    """The wall time of one call of `fn`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
