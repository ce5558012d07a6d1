"""The steps that make a row's training data, config and model beyond its own corpus: a student's labels
of the whole train split (`relabel_split`) for the CNN that learns from them, the self-trained student's
agreed data, a pretrained row's copy of its source row's data, the student's scaled or fixed steps, and
the label-free estimate of any row's model. Kept apart from the row runners because each runner combines
them, and `bench review` relabels with the same step."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import spacy
from spacy.tokens import Doc

from spacy_progner.corpus.bio import read_bio, text_of
from spacy_progner.distill.agree import agree_docbin
from spacy_progner.distill.estimate import estimate
from spacy_progner.distill.relabel import add_kept, docbin_docs, load_student, relabel, rows_to_relabel
from spacy_progner.distill.student import count_docs, scaled_steps, stretched_steps

from ..datasets import split_path
from ..paths import MINILM_CONFIG
from ..proggen import Bench, _train_and_eval
from .names import RELABELLED, step_record


def derived_config(config: Path, overrides: Dict[str, Any], path: Path) -> Path:
    """`config` with `overrides` saved at `path` (git-ignored, beside the model or data it trains), for the
    rows that change a setting the training functions do not take."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spacy.util.load_config(config, overrides=overrides, interpolate=False).to_disk(path)
    return path


def student_config(bench: Bench, folder: Path, texts: int, steps: Optional[int] = None) -> Path:
    """configs/train_minilm.cfg with its steps scaled to the row's training texts as
    `train-student --scale-steps` scales them (`scaled_steps`: the fixed 400 steps see a 2,000-text corpus half as often
    as the 1,000-text one), or set to `steps`, the schedule stretched alike (`stretched_steps`). Saved
    beside the model; its record says the steps."""
    path = folder / "model" / "config.cfg"

    def run() -> Dict[str, Any]:
        train_texts = count_docs(folder / "train.spacy", "the row's training data")
        training = spacy.util.load_config(MINILM_CONFIG, interpolate=False)["training"]
        overrides = scaled_steps(training, train_texts) if steps is None else stretched_steps(training, steps)
        derived_config(MINILM_CONFIG, overrides, path)
        trained, patience = overrides["training.max_steps"], overrides["training.patience"]
        return {"texts": texts, "train_texts": train_texts, "max_steps": trained, "patience": patience}

    bench.step(folder, "student-config", [path], run)
    return path


def relabelled_cnn(
    bench: Bench,
    dataset: str,
    folder: Path,
    teacher_folder: Path,
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path] = None,
) -> Dict[str, Any]:
    """A CNN row on the teacher row's labels of the train split (`relabelled`), trained with the benchmark's
    CNN config and steps, from the pretrained tok2vec `weights` when given, and evaluated."""
    relabelled(bench, dataset, folder, teacher_folder, test)
    config, steps = args["train_config"], args["train_steps"]
    return _train_and_eval(bench, folder, config, steps, test, [], init_tok2vec=weights)


def relabelled(bench: Bench, dataset: str, folder: Path, teacher_folder: Path, test: Path) -> None:
    """The relabelled corpus of a row: the teacher row's (transformer) model labels the train split."""
    evaluated = step_record(folder, "evaluate").is_file()
    model, dev = teacher_folder / "model" / "model-best", teacher_folder / "dev.spacy"
    relabel_step(bench, dataset, folder, model, dev, evaluated)


def relabel_step(
    bench: Bench, dataset: str, folder: Path, model: Path, dev: Path, evaluated: bool, keep=None, exclude=()
) -> None:
    """`relabel_split` into `folder` as a step, and the student's dev set beside it. Like the trained
    models, a relabelled corpus is not committed: once its row is `evaluated`, a fresh checkout neither
    needs the (uncommitted) student model nor labels again."""
    outputs = [] if evaluated else [folder / "train.spacy"]
    bench.step(folder, "relabel", outputs, partial(relabel_split, dataset, model, folder, keep, exclude))
    if not evaluated:
        shutil.copyfile(dev, folder / "dev.spacy")


def student_model(bench: Bench, folder: Path, test: Path) -> Path:
    """A student row's model, trained again (and evaluated anew) where a fresh checkout lacks it: trained
    models are not committed."""
    model = folder / "model" / "model-best"
    if not model.is_dir():
        step_record(folder, "evaluate").unlink(missing_ok=True)  # its record is redone with the model
        _train_and_eval(bench, folder, MINILM_CONFIG, None, test, [])
    return model


def selftrain_data(bench: Bench, dataset: str, folder: Path, first: Path, test: Path) -> None:
    """The second student's data (`SELFTRAINED`); not committed, and not made again once evaluated."""
    if step_record(folder, "evaluate").is_file():
        return
    model = student_model(bench, first, test)
    agreed = folder / "agreed.spacy"
    others = [first / "train.spacy", first / "dev.spacy"]  # the annotated texts are in `agreed` or the dev set

    def merge() -> Dict[str, Any]:
        return agree_docbin(load_student(model, "first student"), first / "train.spacy", agreed)

    def data() -> Dict[str, Any]:
        counts = relabel_split(dataset, model, folder, exclude=others)
        n_agreed = add_kept(folder / "train.spacy", docbin_docs(agreed))
        return {**counts, "train_docs": counts["train_docs"] + n_agreed, "agreed_docs": n_agreed}

    bench.step(folder, "agree", [agreed], merge)
    bench.step(folder, "relabel", [folder / "train.spacy"], data)
    shutil.copyfile(first / "dev.spacy", folder / "dev.spacy")


def source_data(bench: Bench, base: Path, source: str, folder: Path, test: Path) -> None:
    """`folder` gets the training data of row `source` (its DocBins; a CONFIGS row's are made again by its
    to-docbin step). A relabelled row's corpus is not kept once evaluated: it is relabelled again, and
    its teacher trained again (and evaluated anew) if its model is gone too."""
    src = base / source
    if source in RELABELLED and not (src / "train.spacy").is_file():
        teacher = base / RELABELLED[source]
        model = student_model(bench, teacher, test)
        step_record(src, "relabel").unlink(missing_ok=True)
        relabel_step(bench, base.name, src, model, teacher / "dev.spacy", evaluated=False)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train.spacy", "dev.spacy"):
        shutil.copyfile(src / name, folder / name)


def relabel_split(
    dataset: str, model_path: Path, folder: Path, keep: Optional[Path] = None, exclude: Sequence[Path] = ()
) -> Dict[str, Any]:
    """The student labels every train-split sentence, read as tokens only (joined by spaces, as
    `annotate` reads them): the user's unlabelled text, beyond the thousand the LLM labelled. As
    `relabel --keep --exclude`: texts of `keep` (reviewed) keep their labels, texts of `exclude` stay out."""
    nlp = load_student(model_path, "teacher")
    rows = [(str(i), text_of(row)) for i, row in enumerate(read_bio(split_path(dataset, "train")))]
    rows, kept, selected = rows_to_relabel(rows, keep, exclude)
    docs = (Doc(nlp.vocab, words=text.split(" ")) for _, text in rows)
    docbin, counts = relabel(nlp, docs, total=len(rows))
    folder.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(folder / "train.spacy")
    n_kept = add_kept(folder / "train.spacy", kept)
    return {"train_docs": counts["docs"] + n_kept, "entities": counts["entities"], "teacher": str(model_path),
            **({"kept": n_kept, **selected} if keep or exclude else {})}  # fmt: skip


def estimate_step(bench: Bench, folder: Path, heldout: Path) -> None:
    """The label-free estimate (`estimate`) of a row: its model's agreement with the teacher's labels of the
    held-out texts (`Shared.heldout`), which no row trains on or picks a checkpoint by. Skipped where the
    model is gone: trained models are not committed, and a row trained before this step has no estimate
    until it is trained again."""
    model = folder / "model" / "model-best"
    if not model.is_dir():
        return

    def run() -> Dict[str, Any]:
        result = estimate(model, heldout)
        interval = result["interval"]["shipped"]
        return {"agreement": result["agreement"]["shipped"], "interval": interval, "scores": result["scores"]}

    bench.step(folder, "estimate", [], run)
