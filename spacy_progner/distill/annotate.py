"""`annotate`: a `reverse_ner` pipeline labels a texts file and writes the sample format that
`correct`, `to-docbin` and `report` read, with character offsets and a confidence per entity.

Every answer goes through the LLM cache, so a killed run resumes by replaying what it has and asking
only for the rest; the corpus is written once at the end, so no text is lost or written twice.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm
from wasabi import msg

from ..errors import ProgNERError
from ..reverse_ner.component import ReverseNER

LONG_TEXT_WORDS = 2000  # a text this long is tagged sentence by sentence: warn, it costs many calls


class AnnotateError(ProgNERError, ValueError):
    """The pipeline or the texts cannot be annotated; the message names the place."""


@dataclass
class AnnotateSettings:
    # ask for token log-probs: each entity's `logprob`, a confidence without extra calls where the
    # transport gives them (llama.cpp, vLLM, OpenAI); others leave it null
    logprobs: bool = True
    batch_size: int = 32  # texts per tagging batch (the model sees a batch's sentences at once)


def tagger_pipe(nlp: Language, where: str) -> ReverseNER:
    """The pipeline's `reverse_ner` component, with its library (k = 0 needs none)."""
    pipes = [pipe for _, pipe in nlp.pipeline if isinstance(pipe, ReverseNER)]
    if not pipes:
        raise AnnotateError(f"{where}: the pipeline has no reverse_ner component (pipes: {nlp.pipe_names})")
    pipe = pipes[0]
    if pipe.tagger.s.k > 0 and (pipe.library is None or not len(pipe.library)):
        raise AnnotateError(
            f"{where}: the reverse_ner component has no example library (no {pipe.name}/library folder); "
            "build the pipeline with `build-pipeline`, or give a domain spec and texts to build one"
        )
    return pipe


def check_texts(nlp: Language, texts: Sequence[Tuple[str, str]], where: str) -> Counter:
    """Fail on a text spaCy cannot hold; count (and warn about) very long ones."""
    counts: Counter = Counter()
    for text_id, text in texts:
        if len(text) > nlp.max_length:
            raise AnnotateError(
                f"{where}, {text_id}: {len(text):,} characters, more than the pipeline's max_length "
                f"({nlp.max_length:,}); split the text into several lines"
            )
        words = len(text.split())
        if words > LONG_TEXT_WORDS:
            counts["long_texts"] += 1
            msg.warn(f"{where}, {text_id}: {words:,} words; tagged sentence by sentence (many model calls)")
    return counts


def annotate(
    nlp: Language, texts: Sequence[Tuple[str, str]], settings: Optional[AnnotateSettings] = None, where: str = "texts"
) -> Dict[str, Any]:
    """Samples {"id", "sentence", "entities": [{"text", "label", "start", "end", "score", "logprob",
    "confidence"}]} for (id, text) pairs, and metrics (counts, the tagger's answer statistics)."""
    s = settings or AnnotateSettings()
    pipe = tagger_pipe(nlp, "annotate")
    counts = check_texts(nlp, texts, where)
    before = pipe.tagger.s
    pipe.tagger.s = replace(before, logprobs=s.logprobs)  # for this run only
    start = time.perf_counter()
    samples = []
    try:
        docs = nlp.pipe([text for _, text in texts], batch_size=s.batch_size)
        for (text_id, _), doc in zip(texts, tqdm(docs, total=len(texts), desc="annotate", unit="text")):
            samples.append({"id": text_id, "sentence": doc.text, "entities": entities_of(doc, pipe.name)})
    finally:
        pipe.tagger.s = before
    per_type = Counter(e["label"] for sample in samples for e in sample["entities"])
    metrics = {
        "texts": len(samples),
        "texts_without_entities": sum(not sample["entities"] for sample in samples),
        "entities": sum(per_type.values()),
        "entities_per_type": dict(sorted(per_type.items())),
        "entities_with_logprob": sum(e["logprob"] is not None for x in samples for e in x["entities"]),
        **counts,
        "tagger": dict(pipe.tagger.stats),
        "k": pipe.tagger.s.k,
        "library_examples": len(pipe.library) if pipe.library is not None else 0,
        "tag_seconds": round(time.perf_counter() - start, 2),
    }
    if pipe.tagger.stats.get("cut_off_items_kept"):
        msg.warn(
            f"annotate: {pipe.tagger.stats['cut_off_items_kept']} answers were cut off at max_tokens "
            "(they kept their complete items)"
        )
    return {"samples": samples, "metrics": metrics}


def entities_of(doc: Doc, group: str) -> List[Dict[str, Any]]:
    """The doc's entities with character offsets and their tagger scores (share of samples, mean token
    log-prob). `confidence` is exp(logprob) where there is one, else the share of samples."""
    spans = doc.spans[group] if group in doc.spans else None
    scores = {}
    if spans is not None:
        lps = spans.attrs.get("logprobs") or [None] * len(spans)
        for span, score, lp in zip(spans, spans.attrs.get("scores", []), lps):
            scores[(span.start, span.end, span.label_)] = (score, lp)
    out = []
    for ent in doc.ents:
        score, lp = scores.get((ent.start, ent.end, ent.label_), (1.0, None))
        out.append(
            {
                "text": ent.text,
                "label": ent.label_,
                "start": ent.start_char,
                "end": ent.end_char,
                "score": round(score, 4),
                "logprob": lp,
                "confidence": round(math.exp(lp), 4) if lp is not None else round(score, 4),
            }
        )
    return out
