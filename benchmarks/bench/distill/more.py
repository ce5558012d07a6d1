"""More annotated text (`--more N`): the annotation sample and N train texts past it tagged by the same
library (`distill+more`, past the first chunk `distill+more<N>`, going on from the smaller corpus's
labels), and the workflow's rows on that corpus: the learning curve past the sample. Its own module
because only this flag tags texts outside the sample; the rows on them are `rows.teacher_rows`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from spacy_progner.files import read_jsonl, write_jsonl

from ..datasets import more_rows
from ..proggen import Bench
from .corpus import read_offsets, same_flag, score_corpus, with_text
from .names import more_before, more_variant, step_record
from .rows import RowRun, teacher_rows
from .shared import Shared


def more_text_rows(run: RowRun, more: int) -> Dict[str, Any]:
    """The workflow on more annotated text (`--more N`): the sample's annotations and N more train texts
    tagged by the same library (`more_corpus`), cross-checked and corrected as one corpus, then the
    workflow's student and shipped CNN: a point of the learning curve past the annotation sample."""
    shared, args = run.shared, run.args
    rows = shared.rows + more_rows(shared.dataset, more, args["n"], args["seed"])
    annotated = more_corpus(run.bench, shared, rows, more)
    return teacher_rows(run, more_variant(more), annotated, rows, bool(args.get("scaled_student")))


def more_corpus(bench: Bench, shared: Shared, rows: List[Dict[str, Any]], more: int) -> Path:
    """The annotation sample's corpus and `rows` past it (ids go on from the sample's) tagged by the library
    on disk. Past the first chunk it goes on from the next smaller corpus's labels (`more_rows` keeps its
    texts), tagging only the chunk it adds. Libraries are not committed: on another machine the library is
    built again and may differ from the one that tagged the sample, so the record scores the new texts'
    labels on their own."""
    folder = bench.root / shared.dataset / more_variant(more)
    out, offsets = folder / "annotated.jsonl", folder / "more.jsonl"  # committed: offsets only
    record = step_record(folder, "annotate")
    same_flag(record, "more", more, "--more")
    past = more_before(more)  # the texts past the sample of the corpus this one goes on from
    before = more_corpus(bench, shared, rows[: len(shared.rows) + past], past) if past else shared.annotate()
    start = read_jsonl(before, "annotated corpus")
    if not out.exists() and record.exists():  # a finished step's offsets (a killed one's are written again)
        write_jsonl(out, start + with_text(read_offsets(offsets), rows))

    def run() -> Dict[str, Any]:
        library = shared.library()
        extra, tagged = shared.tag_rows(rows[len(start) :], "train", "annotate", offsets, library, len(start))
        write_jsonl(out, start + extra)
        features = set(library.features)
        return {
            **tagged,
            "more": more,
            "past": past,
            "feature_sentences_among_texts": sum(x["sentence"] in features for x in extra),
            "corpus_gold": score_corpus(start + extra, rows, list(shared.labels)),
        }

    bench.step(folder, "annotate", [out], run)
    return out
