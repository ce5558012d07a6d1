"""A cross-checked corpus of a set's own text for its `library+user` rows, where no distillation was run.

The first N texts of the set's annotation sample (`split_texts`, read as text only) are tagged by the set's
library as the distillation tags them (k=2 by default) and cross-checked (`crosscheck`: students on the other
folds, no LLM); no correction. `bench ner --configs library,library+user --user-corpus
distill/<dataset>/user-corpus/crosschecked.jsonl` then takes its demos from it. The step records and the
labels without their text are committed under `distill/<dataset>/user-corpus/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from wasabi import msg

from spacy_progner.errors import SettingsError
from spacy_progner.llm import select
from spacy_progner.ner.domain import DomainSpec

from .datasets import ANNOTATE_N, ANNOTATE_SEED
from .distill.corpus import crosscheck_settings, crosschecked, same_flag
from .distill.names import step_record
from .distill.shared import Shared
from .paths import DISTILL_DIR, DOMAINS_DIR, TRAIN_CONFIG
from .proggen import Bench

FOLDER = "user-corpus"


def user_corpus(bench: Bench, dataset: str, texts: int, args: Dict[str, Any]) -> Path:
    """The first `texts` texts of `dataset`'s annotation sample, tagged and cross-checked: its corpus path."""
    spec = DomainSpec.load(DOMAINS_DIR / f"{dataset}.yml")
    shared = Shared(bench, dataset, spec, ANNOTATE_N, args["k"], ANNOTATE_SEED, args["cache_path"])
    if not 0 < texts <= len(shared.rows):
        raise SettingsError(f"bench user-corpus --texts: between 1 and {len(shared.rows)}, got {texts}")
    folder = bench.root / dataset / FOLDER
    same_flag(step_record(folder, "annotate"), "texts", texts, "--texts", "bench user-corpus")
    rows = shared.rows[:texts]
    annotated = shared.annotate(folder, rows)
    settings = crosscheck_settings(args)
    return crosschecked(bench, folder, annotated, rows, list(shared.labels), args["train_config"], settings)


def run(
    datasets: List[str], texts: int, k: int, folds: int, cache_path: Optional[str], output_dir: Path = DISTILL_DIR
) -> List[Path]:
    bench = Bench(output_dir, lambda: select.load_model("local", cache_path), force=False)
    args = {"k": k, "folds": folds, "seed": ANNOTATE_SEED, "cache_path": cache_path, "train_config": TRAIN_CONFIG}
    paths = [user_corpus(bench, dataset, texts, args) for dataset in datasets]
    for path in paths:
        msg.good(f"Wrote {path}")
    return paths
