"""The steps every row of a dataset shares (`Shared`, in the dataset's `shared` folder): the sample of train
texts, the teacher's library, its annotation of the sample and of the held-out texts, and the pretrained
tok2vec and static vectors made from the train split's text. One object per dataset, so each of these is
built once and every row reads the same teacher's labels."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import spacy
from spacy.tokens import DocBin
from wasabi import msg

from spacy_progner.corpus.bio import read_bio, text_of
from spacy_progner.corpus.docbin import ALIGNMENT_MODE, samples_to_docs
from spacy_progner.distill.annotate import AnnotateSettings, annotate
from spacy_progner.distill.crosscheck import CrossCheckSettings
from spacy_progner.distill.pretrain import WEIGHTS, PretrainSettings, pretrain_tok2vec
from spacy_progner.distill.vectors import embedder_vectors
from spacy_progner.files import write_jsonl
from spacy_progner.llm.ledger import booked
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.reverse_ner.build import BuildSettings
from spacy_progner.reverse_ner.library import ExampleLibrary

from ..datasets import ANNOTATE_N, ANNOTATE_SEED, split_path, split_texts, test_sample
from ..paths import REVERSE_NER_DIR
from ..reverse_ner import LIBRARY_CLUSTERS, build_library, dataset_task, pipeline_for
from .corpus import crosschecked, read_offsets, score_corpus, with_text, without_text
from .names import SHARED


class Shared:
    """The shared steps of one dataset: texts, library, annotate."""

    def __init__(self, bench, dataset: str, spec: DomainSpec, n: int, k: int, seed: int, cache_path):
        self.bench, self.dataset, self.spec = bench, dataset, spec
        self.k, self.seed, self.cache_path = k, seed, cache_path
        self.folder = bench.root / dataset / SHARED
        # the reverse_ner benchmark's labels and build settings (CoNLL-2003: its PER/LOC/ORG definitions)
        self.labels, self.build = dataset_task(dataset, BuildSettings(n_clusters=LIBRARY_CLUSTERS))
        self.rows = split_texts(dataset, n, seed)[0]
        if (n, seed) != (ANNOTATE_N, ANNOTATE_SEED):  # the library is built from the text outside the default sample
            msg.warn(
                f"{dataset}: a sample other than the default ({ANNOTATE_N}, seed {ANNOTATE_SEED}) may share "
                "sentences with the library's unlabelled text"
            )

    def library(self) -> ExampleLibrary:
        path = self.folder / "library"

        def build() -> Dict[str, Any]:
            # The reverse_ner benchmark's library of the same text (`split_texts`) and settings, built there
            # if it is not on disk yet (its meta keeps that build's seconds and usage).
            lib = build_library(self.dataset, self.labels, self.build, REVERSE_NER_DIR, self.cache_path)
            lib.to_disk(path)
            summary = {k: lib.meta.get(k) for k in ("counts", "usage", "seconds")}
            return {"examples": len(lib), "features": len(lib.features), **summary}

        self.bench.step(self.folder, "library", [path], build)
        return ExampleLibrary.from_disk(path)

    def annotate(self, folder: Optional[Path] = None, rows: Optional[List[Dict[str, Any]]] = None) -> Path:
        """The teacher's corpus of `rows` (default: the sample) in `folder` (default: the shared one)."""
        folder, rows = folder or self.folder, self.rows if rows is None else rows
        out = folder / "annotated.jsonl"
        offsets = folder / "annotations.jsonl"  # committed: the corpus without its (dataset) text
        if not out.exists() and offsets.exists():
            write_jsonl(out, with_text(read_offsets(offsets), rows))

        def run() -> Dict[str, Any]:
            samples, record = self.tag_rows(rows, "train", "annotate", offsets)
            write_jsonl(out, samples)
            return record

        self.bench.step(folder, "annotate", [out], run)
        return out

    def tag_rows(
        self,
        rows: List[Dict[str, Any]],
        prefix: str,
        step: str,
        offsets: Path,
        library: Optional[ExampleLibrary] = None,
        first: int = 0,
    ) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
        """The teacher (this dataset's pipe: its library, or `library`, k and domain) labels `rows`, read as
        text only (ids `<prefix>-<first + index>`); the labels are written without their text to `offsets`
        (committed), and the step's record holds the tagger's counts, its usage and its score against the
        rows' gold tags."""
        library = library if library is not None else self.library()
        nlp = pipeline_for(self.labels, library, self.cache_path, self.k, self.build.domain)
        texts = [(f"{prefix}-{first + i}", text_of(r)) for i, r in enumerate(rows)]
        result, usage = booked(step, lambda: annotate(nlp, texts, AnnotateSettings()))
        write_jsonl(offsets, without_text(result["samples"]))
        record = {
            **result["metrics"],
            "usage": usage.to_dict() if usage else None,
            "gold": score_corpus(result["samples"], rows, list(self.labels)),
        }
        return result["samples"], record

    def heldout(self) -> Path:
        """The teacher's labels of text no row trains on, for every row's label-free estimate: the tagging
        benchmarks' test sample, read as text only (its gold tags only score the teacher afterwards). The
        workflow holds out a tenth of the annotated texts instead; here the relabelled rows learn from the
        whole train split, so text outside it is the only text none of them saw."""
        out = self.folder / "teacher-heldout.spacy"
        offsets = self.folder / "heldout.jsonl"  # committed: the teacher's labels without their text
        rows = test_sample(self.dataset)
        if not out.exists() and offsets.exists():
            self._heldout_docbin(with_text(read_offsets(offsets), rows), out)

        def run() -> Dict[str, Any]:
            samples, record = self.tag_rows(rows, "heldout", "heldout", offsets)
            self._heldout_docbin(samples, out)
            return record

        self.bench.step(self.folder, "heldout", [out], run)
        return out

    def _heldout_docbin(self, samples: List[Dict[str, Any]], out: Path) -> None:
        """The held-out samples as the training DocBins hold their texts (`to_docbin`'s path)."""
        nlp, labels = spacy.blank(self.spec.language), list(self.spec.types)
        docs, _, _ = samples_to_docs(nlp, samples, labels, ALIGNMENT_MODE, self.spec.surface)
        DocBin(docs=docs, store_user_data=False).to_disk(out)

    def train_texts(self) -> Iterable[str]:
        """Every train-split sentence, tokens only (as `relabel_split` reads them): the user's unlabelled text."""
        return (text_of(row) for row in read_bio(split_path(self.dataset, "train")))

    def pretrain(self, train_config: Path, name: str = "pretrain") -> Path:
        """The CNN's tok2vec (of `train_config`) pretrained on `train_texts`, in the step and folder `name`.
        The weights and the text stay local; the record is committed."""
        out = self.folder / name
        run = partial(pretrain_tok2vec, self.train_texts(), train_config, out, PretrainSettings(seed=self.seed))
        self.bench.step(self.folder, name, [out / WEIGHTS], run)
        return out / WEIGHTS

    def vectors(self) -> Path:
        """Static vectors from the embedder's word pieces for every word of `train_texts` (`vectors`); they
        hold the dataset's vocabulary, so they stay local and the record is committed."""
        out = self.folder / "vectors"
        run = partial(embedder_vectors, self.train_texts(), out, self.spec.language)
        self.bench.step(self.folder, "vectors", [out], run)
        return out

    def crosscheck(self, train_config: Path, settings: CrossCheckSettings) -> Path:
        labels = list(self.labels)
        return crosschecked(self.bench, self.folder, self.annotate(), self.rows, labels, train_config, settings)
