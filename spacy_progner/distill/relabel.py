"""The second stage of distillation: a trained student labels all of your texts.

Why: LLM time buys a thousand labelled sentences; unlabelled text is plentiful. The transformer
student (configs/train_minilm.cfg) learns far more from those thousand than spaCy's CNN does, but runs
at tens of docs/s on a CPU. Labelled by it, every text becomes training data for the CNN
(configs/train.cfg), which ships at spaCy's full speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

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
