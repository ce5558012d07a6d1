"""`spacy_progner.ReverseNER.v1`: ReverseNER as a spacy-llm task, so any spacy-llm model can run it.

spacy-llm models take plain text prompts, so the prompt is the `reverse_ner` prompt
as one string and the answer is parsed leniently (the first JSON object in it).
The example library is built beforehand (by the `reverse_ner` pipe or
`python -m spacy_progner reverse-ner build`) and read from `library_path`.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from typing import Dict, Iterable, List, Optional, Tuple, Union

from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy_llm.registry import registry

from ..llm import Choice
from ..ner import AnswerError, LabelSet, align_mentions, parse_entities, parse_json_answer
from ..ner.shapes import keep_shaped
from .embed import DEFAULT_EMBEDDER, embed
from .infer import split_doc
from .library import ExampleLibrary
from .prompts import ner_prompt_text

logger = logging.getLogger("spacy_progner.reverse_ner")


@registry.llm_tasks("spacy_progner.ReverseNER.v1")
def make_reverse_ner_task(
    labels: Union[Dict[str, str], str],
    library_path: Optional[str] = None,
    k: int = 4,
    retrieve_by: str = "feature",
    max_empty: int = 1,
    max_sentence_tokens: int = 128,
    shape_filter: bool = True,
) -> ReverseNERTask:
    """labels: type -> definition (or a file). library_path: a saved example library (k = 0 needs none)."""
    library = ExampleLibrary.from_disk(library_path) if library_path else None
    if k > 0 and library is None:
        raise ValueError("spacy_progner.ReverseNER.v1 with k > 0 needs `library_path` (a saved example library)")
    task = ReverseNERTask(LabelSet.from_any(labels), library, k, retrieve_by, max_empty, max_sentence_tokens)
    task.shapes = library.shapes() if library is not None and shape_filter and k > 0 else {}
    return task


class ReverseNERTask:
    def __init__(
        self,
        labels: LabelSet,
        library: Optional[ExampleLibrary],
        k: int,
        retrieve_by: str,
        max_empty: int,
        max_sentence_tokens: int,
    ):
        self.label_set = labels
        self.library = library
        self.k = k
        self.retrieve_by = retrieve_by
        self.max_empty = max_empty
        self.max_sentence_tokens = max_sentence_tokens
        self.stats: Counter = Counter()
        self.shapes: dict = {}  # see ExampleLibrary.shapes
        self._sentencizer = Sentencizer()

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.label_set)

    @property
    def prompt_template(self) -> str:
        return ner_prompt_text(self.label_set, "{text}")

    def generate_prompts(
        self, docs: Iterable[Doc], context_length: Optional[int] = None
    ) -> Iterable[Tuple[Iterable[str], Iterable[Doc]]]:
        for doc in docs:
            shards = [span.as_doc() for span in split_doc(doc, self.max_sentence_tokens, self._sentencizer)]
            if not shards:
                shards = [doc.copy()]
            texts = [shard.text for shard in shards]
            if self.k > 0 and self.library is not None:
                vectors = embed(texts, self.library.meta.get("embedder", DEFAULT_EMBEDDER))
                picks = self.library.retrieve(vectors, self.k, by=self.retrieve_by, max_empty=self.max_empty)
                demos = [self.library.demos(p) for p in picks]
            else:
                demos = [[] for _ in texts]
            yield [ner_prompt_text(self.label_set, t, d) for t, d in zip(texts, demos)], shards

    def parse_responses(self, shards: Iterable[Iterable[Doc]], responses: Iterable[Iterable[str]]) -> Iterable[Doc]:
        for doc_shards, doc_responses in zip(shards, responses):
            parts: List[Doc] = []
            for shard, response in zip(doc_shards, doc_responses):
                where = f"answer for {shard.text[:60]!r}"
                try:
                    data = parse_json_answer(Choice(response), where, lenient=True)
                    mentions = parse_entities(data, self.label_set, where, self.stats)
                    mentions = keep_shaped(mentions, self.shapes, self.stats)
                except AnswerError as err:
                    self.stats["bad_answer"] += 1
                    logger.warning("spacy_progner.ReverseNER.v1: %s", err)
                    mentions = []
                spans, _ = align_mentions(shard, mentions, list(self.label_set))
                shard.set_ents(spans, default="outside")
                parts.append(shard)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*Skipping .* while merging docs.")
                yield Doc.from_docs(parts, ensure_whitespace=True) if len(parts) > 1 else parts[0]
