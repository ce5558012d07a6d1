"""`spacy_progner.ReverseNER.v1`: ReverseNER as a spacy-llm task, so any spacy-llm model can run it.

A thin wrapper over the `reverse_ner` pipe's `Tagger`: the same demos, shape filter, answer parsing and
loop guard; only the transport differs. spacy-llm models take plain text prompts, so the prompt is the
pipe's chat prompt as one string and the answer is parsed leniently (the first JSON object in it).
The example library is built beforehand (by the `reverse_ner` pipe or `build-pipeline`) and read from
`library_path`.
"""

from __future__ import annotations

import warnings
from typing import Dict, Iterable, List, Optional, Tuple, Union

from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy_llm.registry import registry

from ..errors import SettingsError
from ..llm import Choice
from ..ner import LabelSet, align_mentions
from ..ner.domain import spec_domain
from .build import BuildSettings
from .component import MAX_SENTENCE_TOKENS
from .infer import Tagger, TagSettings, split_doc
from .library import ExampleLibrary
from .prompts import ner_prompt_text


@registry.llm_tasks("spacy_progner.ReverseNER.v1")
def make_reverse_ner_task(
    labels: Union[Dict[str, str], str],
    library_path: Optional[str] = None,
    k: int = TagSettings.k,
    retrieve_by: str = TagSettings.retrieve_by,
    max_empty: int = TagSettings.max_empty,
    max_sentence_tokens: int = MAX_SENTENCE_TOKENS,
    shape_filter: bool = TagSettings.shape_filter,
    answer_form: str = TagSettings.answer_form,
    other_names: bool = TagSettings.other_names,
    domain: str = BuildSettings.domain,
) -> ReverseNERTask:
    """labels: type -> definition (or a file, or a domain spec, whose text domain becomes `domain` unless
    that is set). library_path: a saved example library (k = 0 needs none). domain: the kind of text, as
    the pipe's `domain` setting (it goes into the prompt of a set with descriptive types)."""
    library = ExampleLibrary.from_disk(library_path) if library_path else None
    if k > 0 and library is None:
        raise SettingsError("spacy_progner.ReverseNER.v1 with k > 0 needs `library_path` (a saved example library)")
    settings = TagSettings(
        k=k, retrieve_by=retrieve_by, max_empty=max_empty, shape_filter=shape_filter, answer_form=answer_form,
        other_names=other_names,
    )  # fmt: skip
    tagger = Tagger(LabelSet.from_any(labels), None, library, settings, domain=domain or spec_domain(labels))
    return ReverseNERTask(tagger, max_sentence_tokens)


class ReverseNERTask:
    def __init__(self, tagger: Tagger, max_sentence_tokens: int):
        self.tagger = tagger
        self.max_sentence_tokens = max_sentence_tokens
        self._sentencizer = Sentencizer()

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.tagger.labels)

    @property
    def prompt_template(self) -> str:
        return ner_prompt_text(self.tagger.asked, "{text}", form=self.tagger.s.answer_form)

    def generate_prompts(
        self, docs: Iterable[Doc], context_length: Optional[int] = None
    ) -> Iterable[Tuple[Iterable[str], Iterable[Doc]]]:
        for doc in docs:
            shards = [span.as_doc() for span in split_doc(doc, self.max_sentence_tokens, self._sentencizer)]
            if not shards:
                shards = [doc.copy()]
            yield self.tagger.prompt_texts([shard.text for shard in shards]), shards

    def parse_responses(self, shards: Iterable[Iterable[Doc]], responses: Iterable[Iterable[str]]) -> Iterable[Doc]:
        for doc_shards, doc_responses in zip(shards, responses):
            parts: List[Doc] = []
            for shard, response in zip(doc_shards, doc_responses):
                mentions = self.tagger.vote(shard.text, [Choice(response)], lenient=True)
                spans, _ = align_mentions(shard, [(m.text, m.label) for m in mentions], self.labels)
                shard.set_ents(spans, default="outside")
                parts.append(shard)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*Skipping .* while merging docs.")
                yield Doc.from_docs(parts, ensure_whitespace=True) if len(parts) > 1 else parts[0]
