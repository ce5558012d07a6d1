"""The `reverse_ner` factory: a zero-shot `ner` pipe that tags with self-made demonstrations."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Union

from spacy.language import Language
from spacy.pipeline import Pipe, Sentencizer
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example
from spacy.util import minibatch

from ..errors import SettingsError
from ..files import read_text_lines
from ..llm import ChatModel
from ..ner import LabelSet, align_mentions
from ..ner.domain import spec_domain
from ..ner.labels import OTHER
from .build import BuildSettings, LibraryBuilder, sentences_of
from .embed import DEFAULT_EMBEDDER
from .infer import Scored, Tagger, TagSettings, split_doc
from .library import ExampleLibrary

MAX_SENTENCE_TOKENS = 128  # a longer sentence is tagged in pieces of this many tokens
BATCH_SIZE = 64  # docs whose sentences go to the model together
# The settings a config exposes, each default owned by its settings dataclass.
TAG_KEYS = (
    "k",
    "n_samples",
    "temperature",
    "threshold",
    "retrieve_by",
    "max_empty",
    "shape_filter",
    "logprobs",
    "answer_form",
    "group_size",
    "other_names",
    "kind_check",
)
BUILD_KEYS = (
    "n_clusters",
    "entities_per_type",
    "expansions_per_feature",
    "check_pools",
    "check_examples",
    "min_examples_per_type",
    "domain",
)

DEFAULT_CONFIG = {
    "labels": {},
    "model": {"@llm_models": "spacy_progner.LocalGGUF.v1"},
    **{key: getattr(TagSettings, key) for key in TAG_KEYS},
    **{key: getattr(BuildSettings, key) for key in BUILD_KEYS},
    "texts_path": None,
    "embedder": DEFAULT_EMBEDDER,
    "seed": BuildSettings.seed,
    "max_sentence_tokens": MAX_SENTENCE_TOKENS,
    "batch_size": BATCH_SIZE,
    "scorer": {"@scorers": "spacy.ner_scorer.v1"},
}


@Language.factory(
    "reverse_ner",
    assigns=["doc.ents", "doc.spans"],
    default_config=DEFAULT_CONFIG,
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_reverse_ner(
    nlp: Language,
    name: str,
    labels: Union[Dict[str, str], str],
    model: ChatModel,
    k: int,
    n_samples: int,
    temperature: float,
    threshold: float,
    retrieve_by: str,
    max_empty: int,
    shape_filter: bool,
    logprobs: bool,
    answer_form: str,
    group_size: int,
    other_names: bool,
    kind_check: bool,
    n_clusters: int,
    entities_per_type: int,
    expansions_per_feature: int,
    check_pools: bool,
    check_examples: str,
    min_examples_per_type: int,
    domain: str,
    texts_path: Optional[str],
    embedder: str,
    seed: int,
    max_sentence_tokens: int,
    batch_size: int,
    scorer: Optional[Callable],
) -> ReverseNER:
    """labels: type -> one-sentence definition (or a YAML/JSON file of them, or a domain spec, whose text
    domain becomes `domain` unless that is set). model: any registered
    llm_models block. k: demos per sentence (0 = plain zero-shot). n_samples/temperature/threshold:
    entity-level self-consistency. shape_filter: drop answers unlike every
    self-made entity of their type (a bare number as LOC, a lower-case word as PER). logprobs: ask for
    token log-probs and keep each span's mean in doc.spans[name].attrs["logprobs"]. answer_form: "mentions",
    "pairs" (one [text, type] pair per mention: fewer answer tokens) or "by_type" (one list per type:
    about half the answer tokens); see ner.forms. group_size: similar
    sentences per request, sharing one set of demos (see groups; their mentions get no log-probs).
    other_names: the prompt offers an OTHER type for names none of the labels covers, and its mentions are
    dropped (a text naming more kinds of things than the labels no longer has them forced into one).
    kind_check: each sentence's names typed once more in their sentence, against the labels and named kinds
    of other names (place, nationality, event, product, date) none of them covers; those given a kind are
    dropped (one more short call per sentence with names).
    The rest shapes the library built in `initialize` (min_examples_per_type: the build asks for more
    examples of a type that has fewer, within a call budget)."""
    if isinstance(labels, dict) and not labels:
        raise SettingsError(
            "reverse_ner needs labels with a definition each, e.g. "
            "config={'labels': {'PER': 'a person's name', 'ORG': 'a company or institution'}}"
        )
    build = BuildSettings(
        n_clusters=n_clusters,
        entities_per_type=entities_per_type,
        expansions_per_feature=expansions_per_feature,
        check_pools=check_pools,
        check_examples=check_examples,
        min_examples_per_type=min_examples_per_type,
        domain=domain or spec_domain(labels),
        seed=seed,
        embedder=embedder,
    )
    tag = TagSettings(
        k=k,
        n_samples=n_samples,
        temperature=temperature,
        threshold=threshold,
        retrieve_by=retrieve_by,
        max_empty=max_empty,
        shape_filter=shape_filter,
        logprobs=logprobs,
        answer_form=answer_form,
        group_size=group_size,
        other_names=other_names,
        kind_check=kind_check,
        seed=seed,
        embedder=embedder,
    )
    return ReverseNER(
        nlp.vocab,
        name,
        LabelSet.from_any(labels, where=f"{name}.labels"),
        model,
        build,
        tag,
        texts_path=texts_path,
        max_sentence_tokens=max_sentence_tokens,
        batch_size=batch_size,
        scorer=scorer,
    )


class ReverseNER(Pipe):
    def __init__(
        self,
        vocab,
        name: str,
        labels: LabelSet,
        model: ChatModel,
        build: BuildSettings,
        tag: TagSettings,
        texts_path: Optional[str] = None,
        max_sentence_tokens: int = MAX_SENTENCE_TOKENS,
        batch_size: int = BATCH_SIZE,
        scorer: Optional[Callable] = None,
    ):
        if max_sentence_tokens < 8:
            raise SettingsError(f"reverse_ner max_sentence_tokens must be >= 8, got {max_sentence_tokens}")
        if batch_size < 1:
            raise SettingsError(f"reverse_ner batch_size must be >= 1, got {batch_size}")
        self.vocab = vocab
        self.name = name
        self.label_set = labels
        self.model = model
        self.build_settings = build
        self.texts_path = texts_path
        self.max_sentence_tokens = max_sentence_tokens
        self.batch_size = batch_size
        self.scorer = scorer
        self.library: Optional[ExampleLibrary] = None
        self.tagger = Tagger(labels, model, None, tag, domain=build.domain)
        self._sentencizer = Sentencizer()

    @property
    def labels(self) -> tuple:
        return tuple(self.label_set)

    @property
    def label_names(self) -> List[str]:
        return list(self.label_set)

    # building --------------------------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable[Example]]] = None,
        *,
        nlp: Optional[Language] = None,
        texts: Optional[List[str]] = None,
    ) -> None:
        """Build the example library from unlabelled text: `texts`, else `texts_path`, else the
        texts of `get_examples()` (their annotations are not used)."""
        if texts is None and self.texts_path:
            texts = read_texts(self.texts_path)
        if texts is None and get_examples is not None:
            texts = [eg.reference.text for eg in get_examples()]
        if self.tagger.s.k <= 0 and not texts:
            return  # plain zero-shot needs no library
        if not texts:
            raise SettingsError(
                f"{self.name}.initialize needs unlabelled text from the task: pass texts=[...], set "
                "`texts_path`, or give get_examples"
            )
        builder = LibraryBuilder(self.tagger.asked, self.model, self.build_settings)
        self.set_library(builder.build(sentences_of(texts)))

    def set_library(self, library: ExampleLibrary) -> None:
        unknown = {lab for ex in library.examples for _, lab in ex["entities"]} - set(self.tagger.asked)
        if unknown:
            hint = "; it was built with other_names = true: set that too" if unknown == {OTHER} else ""
            raise SettingsError(
                f"{self.name}: the example library uses labels {sorted(unknown)} not in the pipe's labels{hint}"
            )
        self.library = library
        self.tagger.library = library

    # tagging ---------------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 0) -> Iterator[Doc]:
        for docs in minibatch(stream, size=batch_size or self.batch_size):
            chunks = [(d, chunk) for d, doc in enumerate(docs) for chunk in self.chunks(doc)]
            tagged = self.tagger.tag([chunk.text for _, chunk in chunks]) if chunks else []
            per_doc: List[List[tuple]] = [[] for _ in docs]
            for (d, chunk), mentions in zip(chunks, tagged):
                per_doc[d].append((chunk, mentions))
            for doc, parts in zip(docs, per_doc):
                self.set_annotations(doc, parts)
                yield doc

    def chunks(self, doc: Doc) -> List[Span]:
        return split_doc(doc, self.max_sentence_tokens, self._sentencizer)

    def set_annotations(self, doc: Doc, parts) -> None:
        threshold = self.tagger.s.threshold
        kept: List[Span] = []
        candidates: List[Span] = []
        scores: List[float] = []
        logprobs: List[Optional[float]] = []
        for chunk, mentions in parts:
            sub = chunk.as_doc()
            votes, lps, spans_of = self._span_votes(sub, mentions)
            for (start, end, label), score in votes.items():
                candidates.append(Span(doc, start + chunk.start, end + chunk.start, label=label))
                scores.append(score)
                logprobs.append(min(lps[(start, end, label)], default=None))
            voted = [m[:3] for m in mentions if any(votes[key] >= threshold for key in spans_of[m])]
            accepted, _ = align_mentions(sub, voted, self.label_names)
            kept.extend(Span(doc, s.start + chunk.start, s.end + chunk.start, label=s.label_) for s in accepted)
        doc.set_ents(kept, default="outside")
        group = SpanGroup(doc, name=self.name, spans=candidates)
        group.attrs["scores"] = scores
        if self.tagger.s.logprobs:
            group.attrs["logprobs"] = logprobs
        doc.spans[self.name] = group

    def _span_votes(self, sub: Doc, mentions: List[Scored]):
        """Each span the voted mentions align to (overlaps allowed) with its score. Answers that write
        one name differently ("STOCKHOLM" / "Stockholm") land on the same span, so their shares are
        added (capped at 1): the score is the span's vote, not one spelling's. A span's log-probs are
        those of the mentions that land on it (the least certain counts)."""
        votes: Dict[tuple, float] = {}
        lps: Dict[tuple, List[float]] = {}
        spans_of: Dict[Scored, List[tuple]] = {}
        for mention in mentions:
            spans, _ = align_mentions(sub, [(mention.text, mention.label)], self.label_names)
            spans_of[mention] = [(s.start, s.end, s.label_) for s in spans]
            for key in spans_of[mention]:
                votes[key] = min(1.0, votes.get(key, 0.0) + mention.score)
                lps.setdefault(key, [])
                if mention.logprob is not None:
                    lps[key].append(mention.logprob)
        return votes, lps, spans_of

    # serialization ---------------------------------------------------------------------------------
    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.library is not None:
            self.library.to_disk(path / "library")

    def from_disk(self, path, *, exclude=tuple()) -> ReverseNER:
        path = Path(path)
        if (path / "library").exists():
            self.set_library(ExampleLibrary.from_disk(path / "library"))
        return self


def read_texts(path: Union[str, Path]) -> List[str]:
    """Unlabelled texts: .txt (one per line) or .jsonl ({"text": ...} per line); blank lines skipped."""
    return [text for _, text in read_text_lines(path, "reverse_ner texts")]
