"""The two-pass teacher (`--two-pass N`): the first N annotated texts cross-checked, their surely labelled
ones added to the library, which tags the other texts (`distill+demos`); and its reference, the same
library alone tagging them (`distill+samebuild`). Its own module because only this flag builds a second
library and corpus; the rows on them are `rows.teacher_rows`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from spacy_progner.distill.crosscheck import crosscheck
from spacy_progner.files import read_jsonl, write_jsonl
from spacy_progner.reverse_ner.user_demos import UserDemoSettings, add_user_demos

from ..proggen import Bench
from .corpus import crosscheck_settings, read_offsets, rows_of, same_flag, score_corpus, with_text
from .names import SAME_BUILD, TWO_PASS, step_record
from .rows import RowRun, teacher_rows
from .shared import Shared


def two_pass_rows(run: RowRun, first: int) -> Dict[str, Any]:
    """The workflow with a two-pass teacher (`--two-pass N`): the first N annotated texts are
    cross-checked, the ones it labelled surely join the library (`add_user_demos`), and the larger library
    tags the other texts; then the workflow's cross-check, correction, student and shipped CNN. The same for
    its reference, the other texts tagged by the same library alone (`SAME_BUILD`)."""
    corpora = {
        TWO_PASS: two_pass_corpus(run.bench, run.shared, first, run.args),
        SAME_BUILD: same_build_corpus(run.bench, run.shared, first),
    }
    rows: Dict[str, Any] = {}
    for variant, annotated in corpora.items():
        rows.update(teacher_rows(run, variant, annotated, run.shared.rows))
    return rows


def two_pass_corpus(bench: Bench, shared: Shared, first: int, args: Dict[str, Any]) -> Path:
    """The first `first` texts of the one-pass corpus, and the rest tagged by the library they enlarged.
    The record scores the second pass's texts and the one-pass corpus's labels of the same texts."""
    folder = bench.root / shared.dataset / TWO_PASS
    out, offsets = folder / "annotated.jsonl", folder / "second-pass.jsonl"  # committed: offsets only
    labels = list(shared.labels)
    record = step_record(folder, "annotate")
    same_flag(record, "first_pass", first, "--two-pass")
    one_pass = read_jsonl(shared.annotate(), "annotated corpus")
    if not out.exists() and offsets.exists():
        write_jsonl(out, one_pass[:first] + with_text(read_offsets(offsets), shared.rows))

    def run() -> Dict[str, Any]:
        checked = crosscheck(one_pass[:first], labels, args["train_config"], crosscheck_settings(args))
        before = shared.library()
        library, counts = add_user_demos(before, checked["samples"], labels, UserDemoSettings())
        added = set(library.features[len(before.features) :])
        joined = [x for x in checked["samples"] if x["sentence"] in added]
        second, record = shared.tag_rows(shared.rows[first:], "train", "annotate", offsets, library, first)
        write_jsonl(out, one_pass[:first] + second)
        return {
            **record,
            "first_pass": first,
            "user_demos": {**counts, "gold": score_corpus(joined, rows_of(joined, shared.rows), labels)},
            "corpus_one_pass_gold": score_corpus(one_pass[first:], shared.rows[first:], labels),
            "corpus_gold": score_corpus(one_pass[:first] + second, shared.rows, labels),
        }

    bench.step(folder, "annotate", [out], run)
    one_pass_reference(bench, shared, first)
    return out


def one_pass_reference(bench: Bench, shared: Shared, first: int) -> None:
    """The second pass's texts tagged by the library on disk alone: the one-pass labels to compare the
    second pass with. The corpus's own labels of those texts may come from another build of the library
    (libraries are not committed, and a build again from the same settings can differ); with the build that
    tagged the corpus on disk and its LLM cache, this step costs nothing."""
    folder = bench.root / shared.dataset / TWO_PASS
    offsets = folder / "one-pass.jsonl"  # committed: offsets only
    run = lambda: shared.tag_rows(shared.rows[first:], "train", "one-pass", offsets, None, first)[1]  # noqa: E731
    bench.step(folder, "one-pass", [], run)


def same_build_corpus(bench: Bench, shared: Shared, first: int) -> Path:
    """The first pass's texts as the one-pass corpus has them, and the rest as the library the two-pass corpus
    grew from labelled them alone (`one_pass_reference`): the corpus the second pass is to beat."""
    out = bench.root / shared.dataset / SAME_BUILD / "annotated.jsonl"
    if not out.exists():
        one_pass = read_jsonl(shared.annotate(), "annotated corpus")[:first]
        rest = read_offsets(bench.root / shared.dataset / TWO_PASS / "one-pass.jsonl")
        write_jsonl(out, one_pass + with_text(rest, shared.rows))
    return out
