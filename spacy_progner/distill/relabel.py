"""The second stage of distillation: a trained student labels all of your texts.

Why: LLM time buys a thousand labelled sentences; unlabelled text is plentiful. The transformer
student (configs/train_minilm.cfg) learns far more from those thousand than spaCy's CNN does, but runs
at tens of docs/s on a CPU. Labelled by it, every text becomes training data for the CNN
(configs/train.cfg), which ships at spaCy's full speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import spacy
from spacy.tokens import Doc, DocBin
from tqdm import tqdm

from ..errors import SettingsError
from ..files import load_saved_pipeline


def load_student(path: Path, where: str):
    """A trained spaCy pipeline with an `ner` component, or a clear error naming `where`."""
    nlp = load_saved_pipeline(path, where, hint="; train the student first")
    if "ner" not in nlp.pipe_names:
        raise SettingsError(f"{where} {path}: the pipeline has no ner component (it has {nlp.pipe_names})")
    return nlp


def relabel(
    nlp, texts: Iterable[Union[str, Doc]], total: Optional[int] = None, batch_size: int = 64
) -> tuple[DocBin, Dict[str, Any]]:
    """Each text (a string, or a Doc already tokenized) as the student tags it, in a DocBin with its
    entities only (what `spacy train` reads). Streams: memory holds the DocBin, not the docs."""
    out = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False)
    n_ents = 0
    for doc in tqdm(nlp.pipe(texts, batch_size=batch_size), total=total, desc="relabel", unit="text"):
        out.add(doc)
        n_ents += len(doc.ents)
    return out, {"docs": len(out), "entities": n_ents}


def docbin_docs(path: Path) -> List[Doc]:
    """The docs of a DocBin (entities and text are all this module reads of them)."""
    return list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))


def texts_in(paths: Sequence[Path]) -> Set[str]:
    """The texts of the docs in DocBins, stripped: what `leave_out` matches a text against."""
    return {doc.text.strip() for path in paths for doc in docbin_docs(path)}


def leave_out(rows: List[Tuple[str, str]], texts: Set[str]) -> Tuple[List[Tuple[str, str]], int]:
    """(id, text) rows without those whose text is in `texts`, and how many went.

    Why: the second stage's CNN picks its best model on the dev set and `estimate` reads the held-out
    set; a text of either that the CNN also trains on (in the student's labels) would flatter both. And a
    reviewed text keeps the person's labels instead of the student's."""
    kept = [(i, t) for i, t in rows if t.strip() not in texts]
    return kept, len(rows) - len(kept)


def rows_to_relabel(
    rows: List[Tuple[str, str]], keep: Optional[Path], exclude: Sequence[Path]
) -> Tuple[List[Tuple[str, str]], List[Doc], Dict[str, int]]:
    """(the rows the student labels, the kept docs to add as they are, counts `replaced` and `left_out`):
    `relabel --keep --exclude` (see `leave_out`)."""
    kept = docbin_docs(keep) if keep else []
    rows, replaced = leave_out(rows, {d.text.strip() for d in kept})
    rows, left_out = leave_out(rows, texts_in(exclude))
    return rows, kept, {"replaced": replaced, "left_out": left_out}


def add_kept(output: Path, kept: List[Doc]) -> int:
    """Docs with labels of their own (reviewed texts; the spans two taggers agree on) appended to the
    relabelled DocBin at `output`; their number."""
    if not kept:
        return 0
    out = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False).from_disk(output)
    for doc in kept:
        out.add(doc)
    out.to_disk(output)
    return len(kept)
