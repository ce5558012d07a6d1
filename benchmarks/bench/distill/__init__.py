"""The distillation benchmark: `reverse_ner` labels real train-split text (read as text only), spaCy
trains on it, and the model is scored on the whole real test split, beside ProgGen and real labels.

Steps per dataset (each writes `<out>/<dataset>/<folder>/steps/<step>.json` when it finishes; a rerun
skips finished steps and the LLM cache makes an interrupted step cheap to redo):
  shared: test-data -> library (from unlabelled text outside the sample) -> annotate (a fixed sample of
          train sentences, tokens joined by spaces; scored against their gold tags only afterwards)
  distill: to-docbin -> train -> evaluate                      (no correction)
  distill+correct: crosscheck (students on the other folds; each uncertainty signal scored against the gold
          tags) -> correct (select_by agreement) -> to-docbin -> train -> evaluate
  distill+correct+proggen: the corrected corpus plus ProgGen's x+y corpus -> to-docbin -> train -> evaluate
  distill+missing: the annotated corpus, its least confident fifth of entities left unannotated (spaCy's
          missing tokens: neither entity nor outside) -> to-docbin -> train -> evaluate
  the two-stage rows (`+minilm`, `+relabel`; `--selftrain`, `--pretrain`, `--shape`, `--vectors`, `--wide`), and with
          `--sizes` the same on the first N annotated texts (`<row>@N`: the learning curve)
  two passes (`--two-pass N`): the first N annotated texts cross-checked, their surely labelled ones added to
          the library, which tags the other texts (`distill+demos`); the same library alone tags them too
          (`distill+samebuild`, the reference); each corpus cross-checked, corrected, and the workflow's
          student and CNN trained on it
  more text (`--more N,M`): per N, N train texts outside the sample tagged by the same library and added to
          the annotated corpus (`distill+more`; past 1,000 `distill+more<N>`, going on from the smaller
          corpus's labels), which is cross-checked, corrected, and the workflow's student and CNN trained on
          it: the learning curve past the sample; with `--scaled-student` also the student whose
          steps grow with the texts (`+minilm+scaled`) and its CNN
  the student's steps (`--student-steps N`): the workflow's student trained N steps on the corrected
          corpus (`+minilm+steps<N>`, the schedule stretched alike) and its CNN
  shared: heldout (the teacher labels the tagging benchmarks' test sample, read as text only: text no row
          trains on) -> every row whose model is on disk: estimate (the label-free estimate, `estimate_step`)
  shared: speed (the reverse_ner pipe and the distilled model on the same test sentences)
Dataset text is never committed: the library and the corpora are git-ignored; step records (counts,
scores, usage) and the corpora without their text (`annotations.jsonl`, `corrections.jsonl`: ids and
character offsets) are, so a new machine rebuilds the corpus from the dataset without a model call.

The package's modules, each importing only those before it: `names` (row names, record paths), `corpus`
(scoring, offsets, cross-check and correction), `shared` (the shared steps), `students` (relabelling,
self-training, the student's steps, the estimate), `rows` (the row runners), `passes` and `more` (the
`--two-pass` and `--more` corpora and rows), `timing` (docs/s), `report` (the summary from the records),
`render` (benchmark.md); this one keeps `run` and `run_dataset`, which call them in a run's order.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import srsly
from wasabi import msg

from spacy_progner.distill.crosscheck import CrossCheckSettings
from spacy_progner.errors import SettingsError
from spacy_progner.files import read_jsonl
from spacy_progner.llm import select
from spacy_progner.ner.domain import DomainSpec

from ..datasets import dataset_docbin
from ..paths import DOMAINS_DIR, TRAIN_CONFIG
from ..proggen import Bench
from .corpus import corrected, crosscheck_settings
from .more import more_text_rows
from .names import steps_name
from .passes import two_pass_rows
from .render import markdown
from .report import collect
from .rows import RowRun, base_rows, curve_rows, shaped_rows, vectors_rows, wide_rows, workflow_rows
from .shared import Shared
from .students import estimate_step
from .timing import speed_steps

__all__ = ["run", "run_dataset"]


def run(
    datasets: List[str],
    output_dir: Path,
    n: int,
    k: int,
    seed: int,
    cache_path: Optional[str],
    folds: int = CrossCheckSettings.folds,
    train_config: Path = TRAIN_CONFIG,
    train_steps: Optional[int] = None,
    domains_dir: Path = DOMAINS_DIR,
    summarize_only: bool = False,
    pretrain: bool = False,
    selftrain: bool = False,
    sizes: Sequence[int] = (),
    shape: bool = False,
    vectors: bool = False,
    two_pass: int = 0,
    more: Sequence[int] = (),
    wide: bool = False,
    extras_only: bool = False,
    scaled_student: bool = False,
    student_steps: Sequence[int] = (),
) -> Dict[str, Any]:
    """`bench distill`: every dataset's steps (none with `summarize_only`), then benchmark.json and benchmark.md
    from the step records on disk. The flags are checked first, so a wrong one costs no model load."""
    check_flags(n, folds, sizes, two_pass, more, scaled_student, student_steps)
    bench = Bench(output_dir, lambda: select.load_model("local", cache_path), force=False)
    args: Dict[str, Any] = {"n": n, "k": k, "seed": seed, "cache_path": cache_path, "folds": folds}
    args.update(train_config=train_config, train_steps=train_steps, pretrain=pretrain, selftrain=selftrain, sizes=sizes)
    args.update(shape=shape, vectors=vectors, two_pass=two_pass, more=more, wide=wide, extras_only=extras_only)
    args.update(scaled_student=scaled_student, student_steps=student_steps)
    for dataset in datasets:
        if not summarize_only:
            run_dataset(bench, dataset, DomainSpec.load(domains_dir / f"{dataset}.yml"), args)
            msg.good(f"{dataset}: done")
    report = collect(output_dir, datasets, n, k, seed)
    srsly.write_json(output_dir / "benchmark.json", report)
    (output_dir / "benchmark.md").write_text(markdown(report), encoding="utf8")
    msg.good(f"Wrote {output_dir}/benchmark.json and benchmark.md")
    return report


def check_flags(
    n: int,
    folds: int,
    sizes: Sequence[int],
    two_pass: int,
    more: Sequence[int],
    scaled_student: bool,
    student_steps: Sequence[int],
) -> None:
    """Refuse, by flag, the values `bench distill` cannot run, before any step (and any model) starts."""
    if any(x <= 0 for x in student_steps):
        raise SettingsError(f"bench distill --student-steps: each must be 1 or more, got {student_steps}")
    if any(x <= 0 for x in more):
        raise SettingsError(f"bench distill --more: each corpus's texts past the sample must be 1 or more, got {more}")
    if scaled_student and not more:  # up to the sample's texts it is the config's 400-step student
        raise SettingsError("bench distill --scaled-student: give --more N too (its rows are the --more corpus's)")
    if any(not 0 < size < n for size in sizes):
        raise SettingsError(f"bench distill --sizes: each must be between 0 and --n ({n}), got {list(sizes)}")
    if two_pass and not 2 * folds <= two_pass < n:  # its first pass is cross-checked in `folds` folds
        raise SettingsError(f"bench distill --two-pass: 0 or between {2 * folds} and --n ({n}), got {two_pass}")


def run_dataset(bench: Bench, dataset: str, spec: DomainSpec, args: Dict[str, Any]) -> Dict[str, Any]:
    """One dataset's steps in run order: the shared ones and the corrected corpus, the rows the flags in
    `args` ask for (the base rows unless `extras_only`), each row's estimate, the speeds. Returns the rows'
    scores by name. A finished step is skipped, so a rerun picks up where a stopped one left off."""
    shared = Shared(bench, dataset, spec, args["n"], args["k"], args["seed"], args["cache_path"])
    base = bench.root / dataset
    labels = list(shared.labels)
    test = base / "test.spacy"
    bench.step(shared.folder, "test-data", [test], lambda: dataset_docbin(dataset, "test", labels, test))
    corpus = {"distill": shared.annotate()}
    # cross-checked only for the correction: its students' marks are what it re-checks first
    checked = partial(shared.crosscheck, args["train_config"], crosscheck_settings(args))
    corpus["distill+correct"] = corrected(bench, base / "distill+correct", checked, spec, shared.rows, args)
    weights = shared.pretrain(args["train_config"]) if args.get("pretrain") else None
    run = RowRun(bench, spec, shared, test, args, weights)
    rows = {} if args.get("extras_only") else base_rows(run, corpus)  # a fresh machine need not train them again
    if args.get("shape"):
        rows.update(shaped_rows(run, corpus))
    if args.get("vectors"):
        rows.update(vectors_rows(run))
    if args.get("wide"):
        rows.update(wide_rows(run))
    if args.get("two_pass"):
        rows.update(two_pass_rows(run, args["two_pass"]))
    for more in args.get("more") or ():
        rows.update(more_text_rows(run, more))
    student_steps = args.get("student_steps") or ()
    samples = read_jsonl(corpus["distill+correct"], "samples") if student_steps else []
    for steps in student_steps:  # the whole corrected sample, the student trained `steps` steps
        rows.update(workflow_rows(run, samples, partial(steps_name, steps=steps), steps=steps))
    for size in args.get("sizes") or ():
        rows.update(curve_rows(run, corpus["distill+correct"], size))
    heldout = shared.heldout()
    for name in rows:
        estimate_step(bench, base / name, heldout)
    speed_steps(bench, dataset, shared, args["k"])
    return rows
