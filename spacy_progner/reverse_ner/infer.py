"""Tagging sentences: retrieve demos, ask for JSON, vote across samples."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span

from ..errors import SettingsError
from ..llm import ChatModel, ChatRequest
from ..ner import AnswerError, LabelSet
from ..ner.forms import ANSWER_FORMS, read_answer
from ..ner.labels import OTHER
from ..ner.logprobs import item_logprobs
from ..ner.shapes import keep_shaped
from . import prompts
from .embed import DEFAULT_EMBEDDER, embed
from .groups import group_vector, read_group, similar_groups
from .kinds import check_kinds
from .library import RETRIEVE_BY, ExampleLibrary

logger = logging.getLogger("spacy_progner.reverse_ner")


class Scored(NamedTuple):
    """A voted mention: the share of samples that hold it, and (when the tagger asked for token
    log-probs) the mean log-prob of its answer items over those samples: a confidence that needs
    no extra call, where the transport gives log-probs."""

    text: str
    label: str
    score: float
    logprob: Optional[float] = None


@dataclass
class TagSettings:
    k: int = 4
    n_samples: int = 1
    temperature: float = 0.7
    threshold: float = 0.5
    retrieve_by: str = "feature"
    max_empty: int = 1
    max_tokens: int = 256
    shape_filter: bool = True  # drop mentions unlike every library entity of their type (see ExampleLibrary.shapes)
    logprobs: bool = False  # ask for token log-probs: each mention gets `Scored.logprob` (annotate's confidence)
    # "mentions" ({"entities":[{"text","label"}]}), "pairs" ({"entities":[["text","label"]]}: ~4 fewer answer
    # tokens a mention) or "by_type" ({"PER":["..."]}: about half the answer tokens); see ner.forms
    answer_form: str = "mentions"
    # sentences per request sharing one set of k demos, retrieved for the group (see groups); 1: one each
    group_size: int = 1
    # offer an OTHER type for names none of the labels covers, and drop what the model puts there: a text
    # that names more kinds of things than the labels would otherwise have them pushed into the nearest type
    other_names: bool = False
    # type each tagged sentence's names once more in that sentence, against the asked types and named kinds
    # of other names (place, event, ...) none of them covers, and drop those given a kind (see kinds)
    kind_check: bool = False
    seed: int = 0
    embedder: str = DEFAULT_EMBEDDER

    def __post_init__(self) -> None:
        """Checked when the settings are made, so a `reverse_ner` pipe with a bad one fails when it is built
        (a negative k is an error, not zero demos)."""
        for name in ("k", "max_empty"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise SettingsError(f"reverse_ner {name} must be an integer >= 0, got {getattr(self, name)!r}")
        for name in ("n_samples", "group_size", "max_tokens"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SettingsError(f"reverse_ner {name} must be an integer >= 1, got {getattr(self, name)!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise SettingsError(f"reverse_ner threshold must be in (0, 1], got {self.threshold}")
        if self.temperature < 0:
            raise SettingsError(f"reverse_ner temperature must be >= 0, got {self.temperature}")
        if self.retrieve_by not in RETRIEVE_BY:
            raise SettingsError(f"reverse_ner retrieve_by must be one of {RETRIEVE_BY}, got {self.retrieve_by!r}")
        for name in ("other_names", "kind_check"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"reverse_ner {name} must be true or false, got {getattr(self, name)!r}")
        if self.answer_form not in ANSWER_FORMS:
            raise SettingsError(f"reverse_ner answer_form must be one of {ANSWER_FORMS}, got {self.answer_form!r}")


Demos = List[Tuple[str, List[Tuple[str, str]]]]  # (sentence, [(mention, label)]) per demo


class Tagger:
    def __init__(
        self,
        labels: LabelSet,
        model: Optional[ChatModel],  # None: prompts and answers go through someone else (the spacy-llm task)
        library: Optional[ExampleLibrary],
        settings: Optional[TagSettings] = None,
        domain: str = "",  # the text's kind ("spoken queries about movies"), the build's `domain` setting
    ):
        self.labels = labels
        self.s = settings or TagSettings()
        # the types the prompt offers and the answers may hold: the labels, and the outlet when it is on
        self.asked = labels.with_other() if self.s.other_names else labels
        self.domain = domain
        self.model = model
        self.library = library
        self.stats: Counter = Counter()
        self._shapes: Tuple[Optional[ExampleLibrary], dict] = (None, {})

    @property
    def shapes(self) -> dict:
        """The library's entity shapes (recomputed when the library changes); none without a library. At
        k=0 with a library the filter still applies (the benchmark's `k0+filter` row: what the filter gives
        without the demos)."""
        if self.library is None or not self.s.shape_filter:
            return {}
        if self._shapes[0] is not self.library:
            self._shapes = (self.library, self.library.shapes())
        return self._shapes[1]

    def demos_for(self, sentences: Sequence[str]) -> List[List[Tuple[str, List[Tuple[str, str]]]]]:
        if self.s.k <= 0:
            return [[] for _ in sentences]
        return self._retrieve(self._vectors(sentences))

    def _vectors(self, sentences: Sequence[str]) -> np.ndarray:
        if self.library is None or not len(self.library):
            raise SettingsError(
                "reverse_ner has no example library yet: run nlp.initialize() with unlabelled texts "
                "(get_examples or the `texts_path` setting), or set k = 0 for plain zero-shot"
            )
        return embed(list(sentences), self.library.meta.get("embedder", self.s.embedder))

    def _retrieve(self, vectors: np.ndarray) -> List[List[Tuple[str, List[Tuple[str, str]]]]]:
        assert self.library is not None
        picks = self.library.retrieve(vectors, self.s.k, by=self.s.retrieve_by, max_empty=self.s.max_empty)
        return [self.library.demos(p) for p in picks]

    def group_requests(self, sentences: Sequence[str]) -> Tuple[List[List[int]], List[ChatRequest]]:
        """Which sentences share a request (similar ones together, by their embeddings, when there are demos
        to share; else in order), and a request per group with the demos retrieved for it."""
        size = self.s.group_size
        if self.s.k <= 0:
            groups = [list(range(i, min(i + size, len(sentences)))) for i in range(0, len(sentences), size)]
            demos: List[List[Tuple[str, List[Tuple[str, str]]]]] = [[] for _ in groups]
        else:
            vectors = self._vectors(sentences)
            groups = similar_groups(vectors, size)
            demos = self._retrieve(np.stack([group_vector(vectors, g) for g in groups]))
        sampled = self.s.n_samples > 1
        return groups, [
            prompts.group_request(
                self.asked,
                [sentences[i] for i in group],
                group_demos,
                form=self.s.answer_form,
                n=self.s.n_samples,
                temperature=self.s.temperature if sampled else 0.0,
                seed=self.s.seed,
                max_tokens=self.s.max_tokens,
                domain=self.domain,
            )
            for group, group_demos in zip(groups, demos)
        ]

    def requests(self, sentences: Sequence[str], demos: Optional[Sequence[Demos]] = None):
        """One request per sentence, with the demos retrieved for it (or the `demos` given, one list each)."""
        sampled = self.s.n_samples > 1
        return [
            prompts.ner_request(
                self.asked,
                sentence,
                demos,
                n=self.s.n_samples,
                temperature=self.s.temperature if sampled else 0.0,
                seed=self.s.seed,
                max_tokens=self.s.max_tokens,
                logprobs=self.s.logprobs,
                form=self.s.answer_form,
                domain=self.domain,
            )
            for sentence, demos in zip(sentences, self.demos_for(sentences) if demos is None else demos)
        ]

    def prompt_texts(self, sentences: Sequence[str]) -> List[str]:
        """The same prompts as one plain string each, for spacy-llm models that take text."""
        demos = self.demos_for(sentences)
        form = self.s.answer_form
        return [prompts.ner_prompt_text(self.asked, s, d, form, self.domain) for s, d in zip(sentences, demos)]

    def tag(
        self, sentences: Sequence[str], progress: Optional[str] = None, demos: Optional[Sequence[Demos]] = None
    ) -> List[List[Scored]]:
        """Voted (text, label, score) per sentence; mentions below `threshold` are kept with their score.
        `demos`: one list per sentence instead of the retrieved ones (one sentence a request)."""
        if self.model is None:
            raise SettingsError("this Tagger has no model: it only builds prompts and reads answers")
        if demos is None and self.s.group_size > 1 and len(sentences) > 1:
            voted = self._tag_groups(sentences, progress)
        else:
            results = self.model.chat_many(self.requests(sentences, demos), progress=progress)
            voted = [self.vote(sentence, result.choices) for sentence, result in zip(sentences, results)]
        if self.s.kind_check:
            voted = check_kinds(self.model, self.labels, sentences, voted, self.stats)
        return voted

    def _tag_groups(self, sentences: Sequence[str], progress: Optional[str]) -> List[List[Scored]]:
        """Tag groups of similar sentences, one request each; every text's answers voted as one sentence's."""
        assert self.model is not None
        groups, requests = self.group_requests(sentences)
        results = self.model.chat_many(requests, progress=progress)
        readings: List[List[Reading]] = [[] for _ in sentences]
        for group, result in zip(groups, results):
            for c, choice in enumerate(result.choices):
                where = f"answer {c + 1} for the group of {sentences[group[0]][:40]!r}"
                try:
                    per_text = read_group(choice, len(group), list(self.asked), self.s.answer_form, where, self.stats)
                except AnswerError as err:
                    self.stats["bad_answer"] += 1
                    logger.warning("reverse_ner: %s", err)
                    continue
                for i, mentions in zip(group, per_text):
                    if mentions is not None:
                        readings[i].append((mentions, {}))
        return [self.count(r) for r in readings]

    def vote(self, sentence: str, choices, lenient: bool = False) -> List[Scored]:
        readings: List[Reading] = []
        for i, choice in enumerate(choices):
            where = f"answer {i + 1} for {sentence[:60]!r}"
            try:
                mentions = read_answer(choice, self.asked, where, self.s.answer_form, self.stats, lenient=lenient)
            except AnswerError as err:
                self.stats["bad_answer"] += 1
                logger.warning("reverse_ner: %s", err)
                continue
            readings.append((mentions, item_logprobs(choice, self.s.answer_form)))
        return self.count(readings)

    def count(self, readings: List[Reading]) -> List[Scored]:
        """Each mention's share of the usable answers (after the outlet and the shape filter) and mean
        log-prob."""
        votes: Counter = Counter()
        logprobs: Dict[Tuple[str, str], List[float]] = {}
        for mentions, scores in readings:
            asked = [m for m in mentions if m[1] != OTHER or not self.s.other_names]
            self.stats["other_names"] += len(mentions) - len(asked)
            kept = set(keep_shaped(asked, self.shapes, self.stats))
            votes.update(kept)
            for mention in kept:
                if mention in scores:
                    logprobs.setdefault(mention, []).append(scores[mention])
        if not readings:
            self.stats["sentences_without_valid_answer"] += 1
            return []
        return [
            Scored(text, label, count / len(readings), _mean(logprobs.get((text, label))))
            for (text, label), count in votes.items()
        ]


Reading = Tuple[List[Tuple[str, str]], Dict[Tuple[str, str], float]]  # one answer's mentions, their log-probs


def _mean(values: Optional[List[float]]) -> Optional[float]:
    return round(sum(values) / len(values), 4) if values else None


def split_doc(doc: Doc, max_tokens: int, sentencizer: Optional[Sentencizer] = None) -> List[Span]:
    """Sentences (the doc's own, else rule-based ones found on a copy, so the doc is not changed),
    with long ones cut into pieces of at most `max_tokens` tokens; blank pieces are skipped."""
    if not doc.text.strip():
        return []
    if doc.has_annotation("SENT_START"):
        sents = list(doc.sents)
    else:
        copy = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
        sents = [doc[s.start : s.end] for s in (sentencizer or Sentencizer())(copy).sents]
    out = []
    for sent in sents:
        for start in range(sent.start, sent.end, max_tokens):
            piece = doc[start : min(sent.end, start + max_tokens)]
            if piece.text.strip():
                out.append(piece)
    return out
