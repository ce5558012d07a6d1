"""The row runners: each trains and evaluates a group of rows (`CONFIGS` and their two-stage, self-trained
and pretrained rows; the shape, vectors and wide variants; the workflow's student and CNN on a part of the
corpus or on another teacher's corpus) and returns their scores by row name. They only combine the steps
of `corpus`, `shared` and `students`, so that a flag of `bench distill` maps to one runner here."""

from __future__ import annotations

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


def proggen_corpus(dataset: str) -> Path:
    """ProgGen's x+y+correct corpus of the dataset, which the `+proggen` rows add to the annotated texts."""
    return PROGGEN_DIR / dataset / "x+y+correct" / "corrected.jsonl"


def base_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corpus: Dict[str, Path],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The rows every run has (`CONFIGS` and the CNNs relabelled from their students), with their
    `--selftrain` and `--pretrain` rows: what `--extras-only` leaves as their records say."""
    rows: Dict[str, Any] = {}
    for name, (source, missing_share, add_proggen, student) in CONFIGS.items():
        folder = base / name
        files = [corpus[source]]
        if add_proggen:
            files.append(proggen_corpus(dataset))
        samples = [x for f in files for x in read_jsonl(f, "samples")]
        bench.step(
            folder,
            "to-docbin",
            [folder / "train.spacy"],
            partial(to_docbin, spec, samples, folder, seed=args["seed"], missing_share=missing_share),
        )
        # --train-steps caps the CNN; the transformer student keeps its config's CPU budget
        config, steps = (args["train_config"], args["train_steps"]) if student == "cnn" else (MINILM_CONFIG, None)
        rows[name] = _train_and_eval(bench, folder, config, steps, test, [])
    for name, teacher in RELABELLED.items():
        rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args)
    if args.get("selftrain"):
        for name, first in SELFTRAINED.items():
            selftrain_data(bench, dataset, base / name, base / first, test)
            rows[name] = _train_and_eval(bench, base / name, MINILM_CONFIG, None, test, [])
        for name, teacher in SELFTRAINED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args)
    if weights is not None:
        for name, source in PRETRAINED.items():
            folder = base / name
            if not step_record(folder, "evaluate").is_file():
                source_data(bench, base, source, folder, test)
            steps = args["train_steps"]
            rows[name] = _train_and_eval(bench, folder, args["train_config"], steps, test, [], init_tok2vec=weights)
        for name, teacher in PRETRAINED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
        if args.get("selftrain"):
            for name, teacher in SELFTRAINED_PRETRAINED.items():
                rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
    return rows


def shaped_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corpus: Dict[str, Path],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The students that also read each word's shape (`SHAPED`), and with pretrained `weights` the CNN on
    their labels (`SHAPED_RELABELLED`). Their config is configs/train_minilm.cfg with `SHAPE_OVERRIDES`,
    written beside the model so the row says what it trained."""
    rows: Dict[str, Any] = {}
    for name, source in SHAPED.items():
        folder = base / name
        samples = read_jsonl(corpus[source], "samples")
        docbin = partial(to_docbin, spec, samples, folder, seed=args["seed"])
        bench.step(folder, "to-docbin", [folder / "train.spacy"], docbin)
        config = derived_config(MINILM_CONFIG, SHAPE_OVERRIDES, folder / "model" / "config.cfg")
        rows[name] = _train_and_eval(bench, folder, config, None, test, [])
    if weights is not None:
        for name, teacher in SHAPED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
    return rows


def vectors_rows(bench: Bench, dataset: str, shared: Shared, base: Path, test: Path, args: Dict[str, Any]):
    """The CNNs that read the embedder's static vectors (`VECTORED`): the benchmark's CNN config with
    `VECTOR_OVERRIDES`, written beside the vectors (it names their local path); the `+pretrain` row starts
    from that config's tok2vec pretrained on the train split's text."""
    vectors = shared.vectors()
    overrides = {**VECTOR_OVERRIDES, "paths.vectors": str(vectors)}
    config = derived_config(args["train_config"], overrides, shared.folder / "vectors-config" / "train.cfg")
    weights = shared.pretrain(config, "pretrain-vectors")
    cnn_args = {**args, "train_config": config}
    start = {name: weights if "+pretrain" in name else None for name in VECTORED}
    return {
        name: relabelled_cnn(bench, dataset, base / name, base / teacher, test, cnn_args, start[name])
        for name, teacher in VECTORED.items()
    }


def wide_rows(bench: Bench, dataset: str, shared: Shared, base: Path, test: Path, args: Dict[str, Any]):
    """The wider shipped CNN (`WIDE`): the benchmark's CNN config with `WIDE_OVERRIDES`, its tok2vec
    pretrained on the train split's text at that width, trained on the student's labels of the train split."""
    config = derived_config(args["train_config"], WIDE_OVERRIDES, shared.folder / "wide-config" / "train.cfg")
    weights = shared.pretrain(config, "pretrain-wide")
    cnn_args = {**args, "train_config": config}
    return {
        name: relabelled_cnn(bench, dataset, base / name, base / teacher, test, cnn_args, weights)
        for name, teacher in WIDE.items()
    }


def curve_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corrected: Path,
    size: int,
    args: Dict[str, Any],
    test: Path,
    weights: Optional[Path] = None,
) -> Dict[str, Any]:
    """The distill workflow's two stages (its student, then the CNN on the student's labels of the train
    split) on the first `size` texts of the corrected corpus: a point of the learning curve. The annotation
    sample is random, so its first `size` texts are a random sample too. With pretrained `weights` the CNN
    starts from them, as the workflow's does; without, the row's name drops `+pretrain`."""
    samples = read_jsonl(corrected, "samples")[:size]
    return workflow_rows(bench, dataset, spec, base, samples, partial(curve_name, size=size), args, test, weights)


def workflow_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    samples: List[Dict[str, Any]],
    name: Callable[[str], str],
    args: Dict[str, Any],
    test: Path,
    weights: Optional[Path] = None,
    scaled: bool = False,
    steps: Optional[int] = None,
) -> Dict[str, Any]:
    """The distill workflow's student on `samples` and its CNN on the student's labels of the train split,
    in the folders `name` gives the workflow's row names. With pretrained `weights` the CNN starts from
    them, as the workflow's does; without, its name drops `+pretrain`. `scaled`: the student's steps grow
    with the texts; `steps`: it trains that many (`student_config`)."""
    student_row, cnn_row = WORKFLOW_ROWS
    cnn_row = cnn_row if weights is not None else cnn_row.removesuffix("+pretrain")
    student, cnn = base / name(student_row), base / name(cnn_row)
    docbin = partial(to_docbin, spec, samples, student, seed=args["seed"])
    bench.step(student, "to-docbin", [student / "train.spacy"], docbin)
    config = student_config(bench, student, len(samples), steps) if scaled or steps else MINILM_CONFIG
    rows = {student.name: _train_and_eval(bench, student, config, None, test, [])}
    rows[cnn.name] = relabelled_cnn(bench, dataset, cnn, student, test, args, weights)
    return rows


def teacher_rows(
    bench: Bench,
    spec: DomainSpec,
    shared: Shared,
    variant: str,
    annotated: Path,
    rows: List[Dict[str, Any]],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
    scaled: bool = False,
) -> Dict[str, Any]:
    """The workflow on another teacher's corpus (`annotated`, the texts of `rows`, in the folder `variant`):
    its cross-check, correction, student and shipped CNN, in rows named after the variant; `scaled`: also
    the rows whose student's steps grow with the texts (`student_config`)."""
    base = bench.root / shared.dataset
    checked = partial(crosschecked, bench, base / variant, annotated, rows, list(shared.labels),
                      args["train_config"], crosscheck_settings(args))  # fmt: skip
    samples = read_jsonl(corrected(bench, base / f"{variant}+correct", checked, spec, rows, args), "samples")
    name = partial(variant_name, variant)
    out = workflow_rows(bench, shared.dataset, spec, base, samples, name, args, test, weights)
    if scaled:

        def name_scaled(row: str) -> str:
            return scaled_name(name(row))

        out.update(workflow_rows(bench, shared.dataset, spec, base, samples, name_scaled, args, test, weights, True))
    return out
