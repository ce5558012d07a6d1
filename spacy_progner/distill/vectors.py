"""Static word vectors for the fast CNN from the embedder the package already ships.

Why: the CNN of configs/train.cfg knows only the words it saw labelled; spaCy's md/lg pipelines give
theirs static vectors, which cannot be downloaded here. all-MiniLM-L6-v2's input embedding table is such a
table for its 30,522 word pieces (its nearest neighbours of "london" are britain, uk, glasgow; of
"monday" the other weekdays), so each word of your texts gets the mean of its word pieces' rows, one row per
lowercase form (the embedder is uncased) under every casing the texts use (spaCy 3.8 saves a default-mode
table keyed by ORTH only), and `spacy train --paths.vectors DIR` with `include_static_vectors = true` reads
them. No LLM, no hub: the weights come from the installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List

import numpy as np
import spacy
from spacy.vectors import Vectors

from ..errors import StepError
from ..reverse_ner.embed import DEFAULT_EMBEDDER, embedder_path

NAME = "spacy_progner.embedder_wordpieces"  # the vectors' name in the pipeline's meta
BATCH = 4096  # words handed to the word-piece tokenizer at once


def text_forms(texts: Iterable[str], lang: str) -> List[str]:
    """The distinct word forms of the texts, as spaCy's tokenizer for `lang` splits them."""
    nlp = spacy.blank(lang)
    return sorted({t.text for doc in nlp.pipe(texts) for t in doc if not t.is_space})


def word_piece_means(words: List[str], embedder: str = DEFAULT_EMBEDDER) -> np.ndarray:
    """One row per word: the mean of its word pieces' input embeddings (zeros where it has none)."""
    from transformers import AutoModel, AutoTokenizer

    path = embedder_path(embedder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    table = AutoModel.from_pretrained(path).get_input_embeddings().weight.detach().numpy()
    out = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    for start in range(0, len(words), BATCH):
        pieces = tokenizer(words[start : start + BATCH], add_special_tokens=False)["input_ids"]
        for i, ids in enumerate(pieces, start):
            if ids:
                out[i] = table[ids].mean(axis=0)
    return out


def embedder_vectors(texts: Iterable[str], output: Path, lang: str, embedder: str = DEFAULT_EMBEDDER) -> Dict[str, Any]:
    """A blank `lang` pipeline in `output` whose vectors hold every word of `texts` (what
    `--paths.vectors` takes); counts."""
    forms = text_forms(texts, lang)
    if not forms:
        raise StepError(f"vectors: the texts hold no word to make a vector for (writing {output})")
    words = sorted({f.lower() for f in forms})
    row = {w: i for i, w in enumerate(words)}
    nlp = spacy.blank(lang)
    vectors = Vectors(strings=nlp.vocab.strings, data=word_piece_means(words, embedder), name=NAME)
    for form in forms:
        vectors.add(nlp.vocab.strings.add(form), row=row[form.lower()])
    nlp.vocab.vectors = vectors
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return {"forms": len(forms), "words": len(words), "width": vectors.shape[1], "embedder": embedder,
            "vectors": str(output)}  # fmt: skip
