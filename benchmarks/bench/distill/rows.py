"""The row runners: each trains and evaluates a group of rows (`CONFIGS` and their two-stage, self-trained
and pretrained rows; the shape, vectors and wide variants; the workflow's student and CNN on a part of the
corpus or on another teacher's corpus) and returns their scores by row name. They only combine the steps
of `corpus`, `shared` and `students`, so that a flag of `bench distill` maps to one runner here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.files import read_jsonl
from spacy_progner.ner.domain import DomainSpec

from ..paths import MINILM_CONFIG, PROGGEN_DIR
from ..proggen import Bench, _train_and_eval
from .corpus import corrected, crosscheck_settings, crosschecked
from .names import (
    CONFIGS,
    PRETRAINED,
    PRETRAINED_RELABELLED,
    RELABELLED,
    SELFTRAINED,
    SELFTRAINED_PRETRAINED,
    SELFTRAINED_RELABELLED,
    SHAPED,
    SHAPED_RELABELLED,
    VECTORED,
    WIDE,
    WORKFLOW_ROWS,
    curve_name,
    scaled_name,
    step_record,
    variant_name,
)
from .shared import Shared
from .students import derived_config, relabelled_cnn, selftrain_data, source_data, student_config

# the settings the `SHAPED`, `VECTORED` and `WIDE` rows change in the benchmark's configs (`derived_config`):
# the student's listener that also reads each word's shape, prefix and suffix; the CNN's static vectors (their
# path is the dataset's, `Shared.vectors`); the wider CNN's encoder, hash rows and parser layer
SHAPE_OVERRIDES = {"components.ner.model.tok2vec.@architectures": "spacy_progner.CasedListener.v1"}
VECTOR_OVERRIDES = {"components.tok2vec.model.embed.include_static_vectors": True}
WIDE_OVERRIDES = {
    "components.tok2vec.model.encode.width": 192,
    "components.tok2vec.model.embed.rows": [10000, 2000, 5000, 5000],
    "components.ner.model.hidden_width": 128,
}


@dataclass(frozen=True)
class RowRun:
    """What every row runner of one dataset's run shares: the bench, the domain, its shared steps, the test
    DocBin, the run's flags (`args`) and the CNN's pretrained start (`weights`; None without `--pretrain`)."""

    bench: Bench
    spec: DomainSpec
    shared: Shared
    test: Path
    args: Dict[str, Any]
    weights: Optional[Path]

    @property
    def dataset(self) -> str:
        return self.shared.dataset

    @property
    def base(self) -> Path:
        """The dataset's folder, which holds a folder per row."""
        return self.bench.root / self.shared.dataset

    def relabelled(
        self, name: str, teacher: str, weights: Optional[Path] = None, train_config: Optional[Path] = None
    ) -> Dict[str, Any]:
        """The CNN row `name` trained on the row `teacher`'s labels of the train split (`relabelled_cnn`),
        from pretrained `weights` if given, with `train_config` in place of the run's --train-config."""
        args = self.args if train_config is None else {**self.args, "train_config": train_config}
        return relabelled_cnn(self.bench, self.dataset, self.base / name, self.base / teacher, self.test, args, weights)


def proggen_corpus(dataset: str) -> Path:
    """ProgGen's x+y+correct corpus of the dataset, which the `+proggen` rows add to the annotated texts."""
    return PROGGEN_DIR / dataset / "x+y+correct" / "corrected.jsonl"


def base_rows(run: RowRun, corpus: Dict[str, Path]) -> Dict[str, Any]:
    """The rows every run has (`CONFIGS` and the CNNs relabelled from their students), with their
    `--selftrain` and `--pretrain` rows: what `--extras-only` leaves as their records say."""
    bench, base, test, args, weights = run.bench, run.base, run.test, run.args, run.weights
    rows = {name: config_row(run, name, corpus) for name in CONFIGS}
    rows.update({name: run.relabelled(name, teacher) for name, teacher in RELABELLED.items()})
    if args.get("selftrain"):
        for name, first in SELFTRAINED.items():
            selftrain_data(bench, run.dataset, base / name, base / first, test)
            rows[name] = _train_and_eval(bench, base / name, MINILM_CONFIG, None, test, [])
        rows.update({name: run.relabelled(name, teacher) for name, teacher in SELFTRAINED_RELABELLED.items()})
    if weights is not None:
        for name, source in PRETRAINED.items():
            folder = base / name
            if not step_record(folder, "evaluate").is_file():
                source_data(bench, base, source, folder, test)
            steps = args["train_steps"]
            rows[name] = _train_and_eval(bench, folder, args["train_config"], steps, test, [], init_tok2vec=weights)
        rows.update({name: run.relabelled(name, teacher, weights) for name, teacher in PRETRAINED_RELABELLED.items()})
        if args.get("selftrain"):
            for name, teacher in SELFTRAINED_PRETRAINED.items():
                rows[name] = run.relabelled(name, teacher, weights)
    return rows


def config_row(run: RowRun, name: str, corpus: Dict[str, Path]) -> Dict[str, Any]:
    """The row `name` of `CONFIGS`: its corpus (with ProgGen's, some of its entities missing, as the entry
    says) trains the CNN of --train-config or the transformer student."""
    source, missing_share, add_proggen, student = CONFIGS[name]
    folder = run.base / name
    files = [corpus[source], *([proggen_corpus(run.dataset)] if add_proggen else [])]
    samples = [x for f in files for x in read_jsonl(f, "samples")]
    docbin = partial(to_docbin, run.spec, samples, folder, seed=run.args["seed"], missing_share=missing_share)
    run.bench.step(folder, "to-docbin", [folder / "train.spacy"], docbin)
    # --train-steps caps the CNN; the transformer student keeps its config's CPU budget
    cnn = (run.args["train_config"], run.args["train_steps"])
    config, steps = cnn if student == "cnn" else (MINILM_CONFIG, None)
    return _train_and_eval(run.bench, folder, config, steps, run.test, [])


def shaped_rows(run: RowRun, corpus: Dict[str, Path]) -> Dict[str, Any]:
    """The students that also read each word's shape (`SHAPED`), and with pretrained weights the CNN on
    their labels (`SHAPED_RELABELLED`). Their config is configs/train_minilm.cfg with `SHAPE_OVERRIDES`,
    written beside the model so the row says what it trained."""
    rows: Dict[str, Any] = {}
    for name, source in SHAPED.items():
        folder = run.base / name
        samples = read_jsonl(corpus[source], "samples")
        docbin = partial(to_docbin, run.spec, samples, folder, seed=run.args["seed"])
        run.bench.step(folder, "to-docbin", [folder / "train.spacy"], docbin)
        config = derived_config(MINILM_CONFIG, SHAPE_OVERRIDES, folder / "model" / "config.cfg")
        rows[name] = _train_and_eval(run.bench, folder, config, None, run.test, [])
    if run.weights is not None:
        rows.update({name: run.relabelled(name, teacher, run.weights) for name, teacher in SHAPED_RELABELLED.items()})
    return rows


def vectors_rows(run: RowRun) -> Dict[str, Any]:
    """The CNNs that read the embedder's static vectors (`VECTORED`): the benchmark's CNN config with
    `VECTOR_OVERRIDES`, written beside the vectors (it names their local path); the `+pretrain` row starts
    from that config's tok2vec pretrained on the train split's text."""
    overrides = {**VECTOR_OVERRIDES, "paths.vectors": str(run.shared.vectors())}
    config = derived_config(run.args["train_config"], overrides, run.shared.folder / "vectors-config" / "train.cfg")
    weights = run.shared.pretrain(config, "pretrain-vectors")
    start = {name: weights if "+pretrain" in name else None for name in VECTORED}
    return {name: run.relabelled(name, teacher, start[name], config) for name, teacher in VECTORED.items()}


def wide_rows(run: RowRun) -> Dict[str, Any]:
    """The wider shipped CNN (`WIDE`): the benchmark's CNN config with `WIDE_OVERRIDES`, its tok2vec
    pretrained on the train split's text at that width, trained on the student's labels of the train split."""
    config = derived_config(run.args["train_config"], WIDE_OVERRIDES, run.shared.folder / "wide-config" / "train.cfg")
    weights = run.shared.pretrain(config, "pretrain-wide")
    return {name: run.relabelled(name, teacher, weights, config) for name, teacher in WIDE.items()}


def curve_rows(run: RowRun, corrected: Path, size: int) -> Dict[str, Any]:
    """The distill workflow's two stages (its student, then the CNN on the student's labels of the train
    split) on the first `size` texts of the corrected corpus: a point of the learning curve. The annotation
    sample is random, so its first `size` texts are a random sample too."""
    samples = read_jsonl(corrected, "samples")[:size]
    return workflow_rows(run, samples, partial(curve_name, size=size))


def workflow_rows(
    run: RowRun,
    samples: List[Dict[str, Any]],
    name: Callable[[str], str],
    scaled: bool = False,
    steps: Optional[int] = None,
) -> Dict[str, Any]:
    """The distill workflow's student on `samples` and its CNN on the student's labels of the train split,
    in the folders `name` gives the workflow's row names. With pretrained weights the CNN starts from
    them, as the workflow's does; without, its name drops `+pretrain`. `scaled`: the student's steps grow
    with the texts; `steps`: it trains that many (`student_config`)."""
    bench, weights = run.bench, run.weights
    student_row, cnn_row = WORKFLOW_ROWS
    cnn_row = cnn_row if weights is not None else cnn_row.removesuffix("+pretrain")
    student, cnn = run.base / name(student_row), run.base / name(cnn_row)
    docbin = partial(to_docbin, run.spec, samples, student, seed=run.args["seed"])
    bench.step(student, "to-docbin", [student / "train.spacy"], docbin)
    config = student_config(bench, student, len(samples), steps) if scaled or steps else MINILM_CONFIG
    rows = {student.name: _train_and_eval(bench, student, config, None, run.test, [])}
    rows[cnn.name] = run.relabelled(cnn.name, student.name, weights)
    return rows


def teacher_rows(
    run: RowRun, variant: str, annotated: Path, rows: List[Dict[str, Any]], scaled: bool = False
) -> Dict[str, Any]:
    """The workflow on another teacher's corpus (`annotated`, the texts of `rows`, in the folder `variant`):
    its cross-check, correction, student and shipped CNN, in rows named after the variant; `scaled`: also
    the rows whose student's steps grow with the texts (`student_config`)."""
    bench, base, args = run.bench, run.base, run.args
    checked = partial(crosschecked, bench, base / variant, annotated, rows, list(run.shared.labels),
                      args["train_config"], crosscheck_settings(args))  # fmt: skip
    samples = read_jsonl(corrected(bench, base / f"{variant}+correct", checked, run.spec, rows, args), "samples")
    name = partial(variant_name, variant)
    out = workflow_rows(run, samples, name)
    if scaled:

        def name_scaled(row: str) -> str:
            return scaled_name(name(row))

        out.update(workflow_rows(run, samples, name_scaled, scaled=True))
    return out
