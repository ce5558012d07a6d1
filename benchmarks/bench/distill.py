"""The distillation benchmark: `reverse_ner` labels real train-split text (read as text only), spaCy
trains on it, and the model is scored on the whole real test split, beside ProgGen and real labels.

Steps per dataset (each writes `<out>/<dataset>/<folder>/steps/<step>.json` when it finishes; a rerun
skips finished steps and the LLM cache makes an interrupted step cheap to redo):
  shared: test-data -> library (from unlabelled text outside the sample) -> annotate (a fixed sample of
          train sentences, tokens joined by spaces; scored against their gold tags only afterwards)
  distill: to-docbin -> train -> evaluate                      (no correction)
  distill+correct: crosscheck (students on the other folds; each uncertainty signal scored against the gold
          tags) -> correct (select_by agreement) -> to-docbin -> train -> evaluate
  distill+correct+proggen: the corrected corpus plus ProgGen's x+y corpus -> to-docbin -> train -> evaluate
  distill+missing: the annotated corpus, its least confident fifth of entities left unannotated (spaCy's
          missing tokens: neither entity nor outside) -> to-docbin -> train -> evaluate
  the two-stage rows (`+minilm`, `+relabel`; `--selftrain`, `--pretrain`, `--shape`, `--vectors`, `--wide`), and with
          `--sizes` the same on the first N annotated texts (`<row>@N`: the learning curve)
  two passes (`--two-pass N`): the first N annotated texts cross-checked, their surely labelled ones added to
          the library, which tags the other texts (`distill+demos`); the same library alone tags them too
          (`distill+samebuild`, the reference); each corpus cross-checked, corrected, and the workflow's
          student and CNN trained on it
  more text (`--more N,M`): per N, N train texts outside the sample tagged by the same library and added to
          the annotated corpus (`distill+more`; past 1,000 `distill+more<N>`, going on from the smaller
          corpus's labels), which is cross-checked, corrected, and the workflow's student and CNN trained on
          it: the learning curve past the sample; with `--scaled-student` also the student whose
          steps grow with the texts (`+minilm+scaled`) and its CNN
  the student's steps (`--student-steps N`): the workflow's student trained N steps on the corrected
          corpus (`+minilm+steps<N>`, the schedule stretched alike) and its CNN
  shared: heldout (the teacher labels the tagging benchmarks' test sample, read as text only: text no row
          trains on) -> every row whose model is on disk: estimate (the label-free estimate, `estimate_step`)
  shared: speed (the reverse_ner pipe and the distilled model on the same test sentences)
Dataset text is never committed: the library and the corpora are git-ignored; step records (counts,
scores, usage) and the corpora without their text (`annotations.jsonl`, `corrections.jsonl`: ids and
character offsets) are, so a new machine rebuilds the corpus from the dataset without a model call.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
import srsly
from scipy.stats import spearmanr
from spacy.scorer import PRFScore
from spacy.tokens import Doc, DocBin
from wasabi import msg

from spacy_progner.corpus.bio import bio_spans, read_bio, row_to_doc, text_of
from spacy_progner.corpus.docbin import ALIGNMENT_MODE, samples_to_docs, to_docbin
from spacy_progner.distill.agree import agree_docbin
from spacy_progner.distill.annotate import AnnotateSettings, annotate
from spacy_progner.distill.crosscheck import CrossCheckSettings, crosscheck
from spacy_progner.distill.estimate import EstimateSettings, estimate
from spacy_progner.distill.pretrain import WEIGHTS, PretrainSettings, pretrain_tok2vec
from spacy_progner.distill.relabel import add_kept, docbin_docs, load_student, relabel, rows_to_relabel
from spacy_progner.distill.student import count_docs, scaled_steps, stretched_steps
from spacy_progner.distill.vectors import embedder_vectors
from spacy_progner.errors import SettingsError
from spacy_progner.files import read_jsonl, write_jsonl
from spacy_progner.llm import select
from spacy_progner.llm.ledger import booked
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.proggen.correct import CorrectSettings, correct
from spacy_progner.reverse_ner.build import BuildSettings
from spacy_progner.reverse_ner.library import ExampleLibrary
from spacy_progner.reverse_ner.user_demos import UserDemoSettings, add_user_demos

from .datasets import (
    ANNOTATE_N,
    ANNOTATE_SEED,
    MORE_CHUNK,
    SAMPLE_N,
    dataset_docbin,
    more_rows,
    split_path,
    split_texts,
    test_sample,
)
from .paths import DOMAINS_DIR, MINILM_CONFIG, PROGGEN_DIR, REVERSE_NER_DIR, TRAIN_CONFIG
from .proggen import Bench, _train_and_eval
from .reverse_ner import (
    LIBRARY_CLUSTERS,
    Tagging,
    build_library,
    dataset_task,
    pipeline_for,
    time_config,
)
from .tables import abcd_cell, per_type_cell, summed_usage


def gold_char_spans(row: Dict[str, Any], labels) -> List[Tuple[int, int, str]]:
    """The gold entities of a row as character spans of `text_of(row)`."""
    starts, pos = [], 0
    for tok in row["tokens"]:
        starts.append(pos)
        pos += len(tok) + 1
    return [(starts[s], starts[e - 1] + len(row["tokens"][e - 1]), lab) for s, e, lab in bio_spans(row["tags"], labels)]


def score_corpus(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]], labels) -> Dict[str, Any]:
    """The corpus's own annotation P/R/F against the gold tags (exact character spans and type)."""
    micro = PRFScore()
    per: Dict[str, PRFScore] = defaultdict(PRFScore)
    for sample, row in zip(samples, rows):
        gold = set(gold_char_spans(row, labels))
        pred = {(e["start"], e["end"], e["label"]) for e in sample["entities"]}
        micro.score_set(pred, gold)
        for label in {lab for *_, lab in gold | pred}:
            per[label].score_set({x for x in pred if x[2] == label}, {x for x in gold if x[2] == label})
    return {
        "p": round(micro.precision, 4),
        "r": round(micro.recall, 4),
        "f": round(micro.fscore, 4),
        "per_type_f": {k: round(v.fscore, 4) for k, v in sorted(per.items())},
    }


def without_text(samples: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A corpus of dataset text as ids and character offsets only, so it can be committed."""
    drop = ("text", "sentence")
    return [
        {"id": x["id"], "entities": [{k: v for k, v in e.items() if k not in drop} for e in x["entities"]]}
        for x in samples
    ]


def rows_of(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The dataset rows of samples whose ids are `train-<index>`."""
    return [rows[int(x["id"].rsplit("-", 1)[1])] for x in samples]


def with_text(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """`without_text` undone from the dataset rows (ids are `train-<index in rows>`)."""
    out = []
    for x, row in zip(samples, rows_of(samples, rows)):
        sentence = text_of(row)
        ents = [{"text": sentence[e["start"] : e["end"]], **e} for e in x["entities"]]
        out.append({"id": x["id"], "sentence": sentence, "entities": ents})
    return out


SHARED = "shared"  # a dataset's folder of the steps every row shares (`Shared`)


def shared_record(base: Path, step: str) -> Path:
    """The record of a shared step (`annotate`, `heldout`, ...) of the dataset folder `base`."""
    return base / SHARED / "steps" / f"{step}.json"


def read_offsets(path: Path) -> List[Dict[str, Any]]:
    return list(srsly.read_jsonl(path))


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


def crosschecked(
    bench: Bench,
    folder: Path,
    annotated: Path,
    rows: List[Dict[str, Any]],
    labels: List[str],
    train_config: Path,
    settings: CrossCheckSettings,
) -> Path:
    """The `crosscheck` step of a corpus in `folder`, with how well each uncertainty signal finds its errors."""
    out = folder / "crosschecked.jsonl"

    def run() -> Dict[str, Any]:
        samples = read_jsonl(annotated, "annotated corpus")
        result = crosscheck(samples, labels, train_config, settings)
        write_jsonl(out, result["samples"])
        return {**result["metrics"], "signals": signal_quality(result["samples"], rows, labels)}

    bench.step(folder, "crosscheck", [out], run)
    return out


def corrected(
    bench: Bench,
    folder: Path,
    checked: Callable[[], Path],
    spec: DomainSpec,
    rows: List[Dict[str, Any]],
    args: Dict[str, Any],
) -> Path:
    """The `correct` step (select_by agreement) of a cross-checked corpus (`checked` makes it only when the
    step runs), into `folder`; the corrections without their text are committed."""
    labels = list(spec.types)

    def run() -> Dict[str, Any]:
        settings = CorrectSettings(select_by="agreement", seed=args["seed"])
        result = correct(bench.model, spec, read_jsonl(checked(), "samples"), settings)
        write_jsonl(folder / "corrected.jsonl", result["samples"])
        write_jsonl(folder / "corrections.jsonl", without_text(result["samples"]))
        decisions = [{k: v for k, v in d.items() if k not in ("text", "fix")} for d in result["decisions"]]
        return {**result["metrics"], "decisions": decisions, "gold": score_corpus(result["samples"], rows, labels)}

    if not (folder / "corrected.jsonl").exists() and (folder / "corrections.jsonl").exists():
        write_jsonl(folder / "corrected.jsonl", with_text(read_offsets(folder / "corrections.jsonl"), rows))
    bench.step(folder, "correct", [folder / "corrected.jsonl"], run)
    return folder / "corrected.jsonl"


def signal_quality(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]], labels) -> Dict[str, Any]:
    """How well each uncertainty signal finds the tagger's wrong annotations (not a gold span and type):
    the share wrong among those it marks, beside the share wrong overall. Proposed (student-only) spans:
    the share that are gold."""
    marked: Dict[str, List[bool]] = {"all": [], "disagree": [], "agree": []}
    proposed: List[bool] = []
    scored = []
    for sample, row in zip(samples, rows):
        gold = set(gold_char_spans(row, labels))
        for e in sample["entities"]:
            hit = (e["start"], e["end"], e["label"]) in gold
            if e.get("proposed"):
                proposed.append(hit)
                continue
            marked["all"].append(not hit)
            marked["agree" if e.get("agree") else "disagree"].append(not hit)
            if e.get("logprob") is not None:
                scored.append((e["logprob"], not hit))
    scored.sort()
    marked["lowest_logprob_20pct"] = [wrong for _, wrong in scored[: len(scored) // 5]]
    out = {k: {"n": len(v), "wrong_share": round(sum(v) / len(v), 4) if v else None} for k, v in marked.items()}
    out["proposed"] = {"n": len(proposed), "gold_share": round(sum(proposed) / len(proposed), 4) if proposed else None}
    return out


def proggen_corpus(dataset: str) -> Path:
    """ProgGen's x+y+correct corpus of the dataset, which the `+proggen` rows add to the annotated texts."""
    return PROGGEN_DIR / dataset / "x+y+correct" / "corrected.jsonl"


MISSING_SHARE = 0.2  # the least confident fifth: signal_quality's lowest_logprob_20pct (CoNLL-2003 train sample)
# configuration -> (its corpus, share of least confident entities trained as missing, add ProgGen's x+y corpus,
# the student: "cnn" is the --train-config (configs/train.cfg), "minilm" configs/train_minilm.cfg)
CONFIGS: Dict[str, Tuple[str, float, bool, str]] = {
    "distill": ("distill", 0.0, False, "cnn"),
    "distill+correct": ("distill+correct", 0.0, False, "cnn"),
    "distill+correct+proggen": ("distill+correct", 0.0, True, "cnn"),
    "distill+missing": ("distill", MISSING_SHARE, False, "cnn"),
    "distill+correct+proggen+minilm": ("distill+correct", 0.0, True, "minilm"),
    # the distill workflow's default (no ProgGen corpus unless `--vars.proggen_corpus` names one)
    "distill+correct+minilm": ("distill+correct", 0.0, False, "minilm"),
}
# configuration -> the row whose (transformer) model labels every train-split sentence for a CNN
RELABELLED = {"distill+correct+proggen+minilm+relabel": "distill+correct+proggen+minilm"}
# configuration -> the student row it self-trains from: the spans that student and the LLM agree on (the rest
# of their spans missing, `agree`) plus the student's labels of the other train-split sentences train a
# second student; `SELFTRAINED_RELABELLED` and `SELFTRAINED_PRETRAINED` are the CNNs on their labels
SELFTRAINED = {
    "distill+correct+proggen+minilm+selftrain": "distill+correct+proggen+minilm",
    "distill+correct+minilm+selftrain": "distill+correct+minilm",  # from the workflow's own student
}
SELFTRAINED_RELABELLED = {
    "distill+correct+proggen+minilm+selftrain+relabel": "distill+correct+proggen+minilm+selftrain",
}
# configuration -> the second student whose labels the CNN learns from its pretrained start: the workflow's
# shipped CNN with self-training
SELFTRAINED_PRETRAINED = {"distill+correct+minilm+selftrain+relabel+pretrain": "distill+correct+minilm+selftrain"}
# configuration -> the row whose training data it takes, its CNN started from the tok2vec pretrained on the
# train split's text (`pretrain`: no labels, no LLM)
PRETRAINED = {
    "distill+correct+pretrain": "distill+correct",
    "distill+correct+proggen+minilm+relabel+pretrain": "distill+correct+proggen+minilm+relabel",
}
# configuration -> the student row whose labels of the train split it learns from, started from the pretrained
# tok2vec: the distill workflow's shipped CNN
PRETRAINED_RELABELLED = {"distill+correct+minilm+relabel+pretrain": "distill+correct+minilm"}
# the distill workflow's student and shipped CNN (the README's rows and the learning curve's), timed in one
# step (`speed-workflow`) so that the speeds of the two come from the same machine and sentences
WORKFLOW_ROWS = (*PRETRAINED_RELABELLED.values(), *PRETRAINED_RELABELLED)
# configuration -> its corpus, for the student that also reads each word's shape, prefix and suffix
# (`spacy_progner.CasedListener.v1` in place of the uncased embedder's listener alone; `--shape`), and the
# CNN on its labels from the pretrained start
SHAPED = {"distill+correct+minilm+shape": "distill+correct"}
SHAPED_RELABELLED = {f"{name}+relabel+pretrain": name for name in SHAPED}
SHAPE_OVERRIDES = {"components.ner.model.tok2vec.@architectures": "spacy_progner.CasedListener.v1"}
# configuration -> the student row whose labels of the train split its CNN learns from, the CNN reading static
# vectors made from the embedder's word pieces (`vectors`; `--vectors`), from nothing and from a tok2vec
# pretrained with the same vectors
VECTORED = {
    "distill+correct+minilm+relabel+vectors": "distill+correct+minilm",
    "distill+correct+minilm+relabel+pretrain+vectors": "distill+correct+minilm",
}
VECTOR_OVERRIDES = {"components.tok2vec.model.embed.include_static_vectors": True}
# configuration -> the student row whose labels of the train split it learns from, the shipped CNN made wider
# (`--wide`: twice the encoder's width, more hash rows and a wider parser layer; its own pretrained start):
# whether the CNN's size is what keeps it below the student it imitates, at a cost in speed
WIDE = {"distill+correct+minilm+relabel+pretrain+wide": "distill+correct+minilm"}
WIDE_OVERRIDES = {
    "components.tok2vec.model.encode.width": 192,
    "components.tok2vec.model.embed.rows": [10000, 2000, 5000, 5000],
    "components.ner.model.hidden_width": 128,
}


def run_dataset(bench: Bench, dataset: str, spec: DomainSpec, args: Dict[str, Any]) -> Dict[str, Any]:
    shared = Shared(bench, dataset, spec, args["n"], args["k"], args["seed"], args["cache_path"])
    base = bench.root / dataset
    labels = list(shared.labels)
    test = base / "test.spacy"
    bench.step(shared.folder, "test-data", [test], lambda: dataset_docbin(dataset, "test", labels, test))
    corpus = {"distill": shared.annotate()}
    # cross-checked only for the correction: its students' marks are what it re-checks first
    checked = partial(shared.crosscheck, args["train_config"], crosscheck_settings(args))
    corpus["distill+correct"] = corrected(bench, base / "distill+correct", checked, spec, shared.rows, args)
    weights = shared.pretrain(args["train_config"]) if args.get("pretrain") else None
    extras_only = args.get("extras_only")  # a fresh machine need not train every base row again
    rows = {} if extras_only else base_rows(bench, dataset, spec, base, corpus, test, args, weights)
    if args.get("shape"):
        rows.update(shaped_rows(bench, dataset, spec, base, corpus, test, args, weights))
    if args.get("vectors"):
        rows.update(vectors_rows(bench, dataset, shared, base, test, args))
    if args.get("wide"):
        rows.update(wide_rows(bench, dataset, shared, base, test, args))
    if args.get("two_pass"):
        rows.update(two_pass_rows(bench, spec, shared, args["two_pass"], test, args, weights))
    for more in args.get("more") or ():
        rows.update(more_text_rows(bench, spec, shared, more, test, args, weights))
    for steps in args.get("student_steps") or ():  # the whole corrected sample, the student trained `steps` steps
        samples = read_jsonl(corpus["distill+correct"], "samples")
        row_name = partial(steps_name, steps=steps)
        rows.update(workflow_rows(bench, dataset, spec, base, samples, row_name, args, test, weights, steps=steps))
    for size in args.get("sizes") or ():
        rows.update(curve_rows(bench, dataset, spec, base, corpus["distill+correct"], size, args, test, weights))
    heldout = shared.heldout()
    for name in rows:
        estimate_step(bench, base / name, heldout)
    model = base / "distill+correct" / "model" / "model-best"
    bench.step(shared.folder, "speed", [], lambda: speed(dataset, shared, model, args["k"]))
    students = {name: base / name / "model" / "model-best" for name in STUDENT_SPEED}
    bench.step(shared.folder, "speed-students", [], lambda: student_speed(dataset, students))
    workflow = {name: base / name / "model" / "model-best" for name in WORKFLOW_ROWS}
    if all(path.is_dir() for path in workflow.values()):  # timed together, on one machine
        bench.step(shared.folder, "speed-workflow", [], lambda: student_speed(dataset, workflow))
    return rows


def base_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corpus: Dict[str, Path],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The rows every run has (`CONFIGS` and the CNNs relabelled from their students), with their
    `--selftrain` and `--pretrain` rows: what `--extras-only` leaves as their records say."""
    rows: Dict[str, Any] = {}
    for name, (source, missing_share, add_proggen, student) in CONFIGS.items():
        folder = base / name
        files = [corpus[source]]
        if add_proggen:
            files.append(proggen_corpus(dataset))
        samples = [x for f in files for x in read_jsonl(f, "samples")]
        bench.step(
            folder,
            "to-docbin",
            [folder / "train.spacy"],
            partial(to_docbin, spec, samples, folder, seed=args["seed"], missing_share=missing_share),
        )
        # --train-steps caps the CNN; the transformer student keeps its config's CPU budget
        config, steps = (args["train_config"], args["train_steps"]) if student == "cnn" else (MINILM_CONFIG, None)
        rows[name] = _train_and_eval(bench, folder, config, steps, test, [])
    for name, teacher in RELABELLED.items():
        rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args)
    if args.get("selftrain"):
        for name, first in SELFTRAINED.items():
            selftrain_data(bench, dataset, base / name, base / first, test)
            rows[name] = _train_and_eval(bench, base / name, MINILM_CONFIG, None, test, [])
        for name, teacher in SELFTRAINED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args)
    if weights is not None:
        for name, source in PRETRAINED.items():
            folder = base / name
            if not (folder / "steps" / "evaluate.json").is_file():
                source_data(bench, base, source, folder, test)
            steps = args["train_steps"]
            rows[name] = _train_and_eval(bench, folder, args["train_config"], steps, test, [], init_tok2vec=weights)
        for name, teacher in PRETRAINED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
        if args.get("selftrain"):
            for name, teacher in SELFTRAINED_PRETRAINED.items():
                rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
    return rows


def shaped_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corpus: Dict[str, Path],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The students that also read each word's shape (`SHAPED`), and with pretrained `weights` the CNN on
    their labels (`SHAPED_RELABELLED`). Their config is configs/train_minilm.cfg with `SHAPE_OVERRIDES`,
    written beside the model so the row says what it trained."""
    rows: Dict[str, Any] = {}
    for name, source in SHAPED.items():
        folder = base / name
        samples = read_jsonl(corpus[source], "samples")
        docbin = partial(to_docbin, spec, samples, folder, seed=args["seed"])
        bench.step(folder, "to-docbin", [folder / "train.spacy"], docbin)
        config = derived_config(MINILM_CONFIG, SHAPE_OVERRIDES, folder / "model" / "config.cfg")
        rows[name] = _train_and_eval(bench, folder, config, None, test, [])
    if weights is not None:
        for name, teacher in SHAPED_RELABELLED.items():
            rows[name] = relabelled_cnn(bench, dataset, base / name, base / teacher, test, args, weights)
    return rows


def vectors_rows(bench: Bench, dataset: str, shared: Shared, base: Path, test: Path, args: Dict[str, Any]):
    """The CNNs that read the embedder's static vectors (`VECTORED`): the benchmark's CNN config with
    `VECTOR_OVERRIDES`, written beside the vectors (it names their local path); the `+pretrain` row starts
    from that config's tok2vec pretrained on the train split's text."""
    vectors = shared.vectors()
    overrides = {**VECTOR_OVERRIDES, "paths.vectors": str(vectors)}
    config = derived_config(args["train_config"], overrides, shared.folder / "vectors-config" / "train.cfg")
    weights = shared.pretrain(config, "pretrain-vectors")
    cnn_args = {**args, "train_config": config}
    start = {name: weights if "+pretrain" in name else None for name in VECTORED}
    return {
        name: relabelled_cnn(bench, dataset, base / name, base / teacher, test, cnn_args, start[name])
        for name, teacher in VECTORED.items()
    }


def wide_rows(bench: Bench, dataset: str, shared: Shared, base: Path, test: Path, args: Dict[str, Any]):
    """The wider shipped CNN (`WIDE`): the benchmark's CNN config with `WIDE_OVERRIDES`, its tok2vec
    pretrained on the train split's text at that width, trained on the student's labels of the train split."""
    config = derived_config(args["train_config"], WIDE_OVERRIDES, shared.folder / "wide-config" / "train.cfg")
    weights = shared.pretrain(config, "pretrain-wide")
    cnn_args = {**args, "train_config": config}
    return {
        name: relabelled_cnn(bench, dataset, base / name, base / teacher, test, cnn_args, weights)
        for name, teacher in WIDE.items()
    }


def derived_config(config: Path, overrides: Dict[str, Any], path: Path) -> Path:
    """`config` with `overrides` saved at `path` (git-ignored, beside the model or data it trains), for the
    rows that change a setting the training functions do not take."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spacy.util.load_config(config, overrides=overrides, interpolate=False).to_disk(path)
    return path


def curve_name(name: str, size: int) -> str:
    """A learning-curve row's name: the row `name` trained on the first `size` annotated texts."""
    return f"{name}@{size}"


def annotated_size(name: str) -> Optional[int]:
    """The annotated texts a learning-curve row used (None: all of them)."""
    return int(name.rsplit("@", 1)[1]) if "@" in name else None


def curve_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    corrected: Path,
    size: int,
    args: Dict[str, Any],
    test: Path,
    weights: Optional[Path] = None,
) -> Dict[str, Any]:
    """The distill workflow's two stages (its student, then the CNN on the student's labels of the train
    split) on the first `size` texts of the corrected corpus: a point of the learning curve. The annotation
    sample is random, so its first `size` texts are a random sample too. With pretrained `weights` the CNN
    starts from them, as the workflow's does; without, the row's name drops `+pretrain`."""
    samples = read_jsonl(corrected, "samples")[:size]
    return workflow_rows(bench, dataset, spec, base, samples, partial(curve_name, size=size), args, test, weights)


def workflow_rows(
    bench: Bench,
    dataset: str,
    spec: DomainSpec,
    base: Path,
    samples: List[Dict[str, Any]],
    name: Callable[[str], str],
    args: Dict[str, Any],
    test: Path,
    weights: Optional[Path] = None,
    scaled: bool = False,
    steps: Optional[int] = None,
) -> Dict[str, Any]:
    """The distill workflow's student on `samples` and its CNN on the student's labels of the train split,
    in the folders `name` gives the workflow's row names. With pretrained `weights` the CNN starts from
    them, as the workflow's does; without, its name drops `+pretrain`. `scaled`: the student's steps grow
    with the texts; `steps`: it trains that many (`student_config`)."""
    student_row, cnn_row = WORKFLOW_ROWS
    cnn_row = cnn_row if weights is not None else cnn_row.removesuffix("+pretrain")
    student, cnn = base / name(student_row), base / name(cnn_row)
    docbin = partial(to_docbin, spec, samples, student, seed=args["seed"])
    bench.step(student, "to-docbin", [student / "train.spacy"], docbin)
    config = student_config(bench, student, len(samples), steps) if scaled or steps else MINILM_CONFIG
    rows = {student.name: _train_and_eval(bench, student, config, None, test, [])}
    rows[cnn.name] = relabelled_cnn(bench, dataset, cnn, student, test, args, weights)
    return rows


SCALED = "+scaled"  # the rows whose student's steps grow with its texts (`--scaled-student`) put it after `minilm`


def scaled_name(row: str) -> str:
    """A workflow row's name with the scaled student (`distill+more+correct+minilm+scaled...`)."""
    return row.replace("+minilm", f"+minilm{SCALED}", 1)


STEPS = "+steps"  # the rows whose student trains a fixed number of steps (`--student-steps N`): `+minilm+steps<N>`


def steps_name(row: str, steps: int) -> str:
    """A workflow row's name with the student of `steps` steps (`distill+correct+minilm+steps800...`)."""
    return row.replace("+minilm", f"+minilm{STEPS}{steps}", 1)


def student_config(bench: Bench, folder: Path, texts: int, steps: Optional[int] = None) -> Path:
    """configs/train_minilm.cfg with its steps scaled to the row's training texts as the workflow's
    `train-student` scales them (`scaled_steps`: the fixed 400 steps see a 2,000-text corpus half as often
    as the 1,000-text one), or set to `steps`, the schedule stretched alike (`stretched_steps`). Saved
    beside the model; its record says the steps."""
    path = folder / "model" / "config.cfg"

    def run() -> Dict[str, Any]:
        train_texts = count_docs(folder / "train.spacy", "the row's training data")
        training = spacy.util.load_config(MINILM_CONFIG, interpolate=False)["training"]
        overrides = scaled_steps(training, train_texts) if steps is None else stretched_steps(training, steps)
        derived_config(MINILM_CONFIG, overrides, path)
        trained, patience = overrides["training.max_steps"], overrides["training.patience"]
        return {"texts": texts, "train_texts": train_texts, "max_steps": trained, "patience": patience}

    bench.step(folder, "student-config", [path], run)
    return path


def crosscheck_settings(args: Dict[str, Any]) -> CrossCheckSettings:
    """The benchmark's cross-check: its folds and seed (the workflow's training config)."""
    return CrossCheckSettings(folds=args["folds"], seed=args["seed"])


TWO_PASS = "distill+demos"  # the two-pass corpus's folder; its rows put `+demos` after `distill`
# its reference: the same first pass, the rest tagged by the same library without the demos (`one_pass_reference`);
# the committed one-pass corpus may come from another build of the library
SAME_BUILD = "distill+samebuild"
PASS_VARIANTS = (TWO_PASS, SAME_BUILD)


def two_pass_rows(
    bench: Bench,
    spec: DomainSpec,
    shared: Shared,
    first: int,
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The workflow with a two-pass teacher (`--two-pass N`): the first N annotated texts are
    cross-checked, the ones it labelled surely join the library (`add_user_demos`), and the larger library
    tags the other texts; then the workflow's cross-check, correction, student and shipped CNN. The same for
    its reference, the other texts tagged by the same library alone (`SAME_BUILD`)."""
    corpora = {
        TWO_PASS: two_pass_corpus(bench, shared, first, args),
        SAME_BUILD: same_build_corpus(bench, shared, first),
    }
    rows: Dict[str, Any] = {}
    for variant, annotated in corpora.items():
        rows.update(teacher_rows(bench, spec, shared, variant, annotated, shared.rows, test, args, weights))
    return rows


def teacher_rows(
    bench: Bench,
    spec: DomainSpec,
    shared: Shared,
    variant: str,
    annotated: Path,
    rows: List[Dict[str, Any]],
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
    scaled: bool = False,
) -> Dict[str, Any]:
    """The workflow on another teacher's corpus (`annotated`, the texts of `rows`, in the folder `variant`):
    its cross-check, correction, student and shipped CNN, in rows named after the variant; `scaled`: also
    the rows whose student's steps grow with the texts (`student_config`)."""
    base = bench.root / shared.dataset
    checked = partial(crosschecked, bench, base / variant, annotated, rows, list(shared.labels),
                      args["train_config"], crosscheck_settings(args))  # fmt: skip
    samples = read_jsonl(corrected(bench, base / f"{variant}+correct", checked, spec, rows, args), "samples")
    name = partial(variant_name, variant)
    out = workflow_rows(bench, shared.dataset, spec, base, samples, name, args, test, weights)
    if scaled:

        def name_scaled(row: str) -> str:
            return scaled_name(name(row))

        out.update(workflow_rows(bench, shared.dataset, spec, base, samples, name_scaled, args, test, weights, True))
    return out


def variant_name(variant: str, row: str) -> str:
    """A workflow row's name with another teacher's corpus: `distill` becomes `variant` (`distill+demos`)."""
    return row.replace("distill+", f"{variant}+", 1)


def variant_names(variant: str) -> List[str]:
    """The rows of a teacher's corpus: the workflow's student and CNN, the CNN with and without the
    pretrained start."""
    student, cnn = WORKFLOW_ROWS
    return [variant_name(variant, row) for row in (student, cnn, cnn.removesuffix("+pretrain"))]


def two_pass_names() -> List[str]:
    """The rows of both pass variants."""
    return [name for variant in PASS_VARIANTS for name in variant_names(variant)]


def same_build_corpus(bench: Bench, shared: Shared, first: int) -> Path:
    """The first pass's texts as the one-pass corpus has them, and the rest as the library the two-pass corpus
    grew from labelled them alone (`one_pass_reference`): the corpus the second pass is to beat."""
    out = bench.root / shared.dataset / SAME_BUILD / "annotated.jsonl"
    if not out.exists():
        one_pass = read_jsonl(shared.annotate(), "annotated corpus")[:first]
        rest = read_offsets(bench.root / shared.dataset / TWO_PASS / "one-pass.jsonl")
        write_jsonl(out, one_pass + with_text(rest, shared.rows))
    return out


def two_pass_summary(base: Path, record: Dict[str, Any], annotated: Dict[str, Any]) -> Dict[str, Any]:
    """What the second pass gained: its texts' label F1 against the one pass's on the same texts, the
    whole corpus's before and after correction, and the user texts that joined the library (`annotated`:
    the one-pass annotation's record)."""
    corrected = {v: base / f"{v}+correct" / "steps" / "correct.json" for v in PASS_VARIANTS}
    one_pass_record = base / TWO_PASS / "steps" / "one-pass.json"
    one_pass = srsly.read_json(one_pass_record) if one_pass_record.exists() else None
    return {
        "first_pass": record["first_pass"],
        "second_pass_cache_hits": (record.get("usage") or {}).get("cache_hits", 0),
        "user_demos": record["user_demos"],
        "second_pass_gold": record["gold"],
        "corpus_one_pass_gold": record["corpus_one_pass_gold"],
        "one_pass_gold": one_pass["gold"] if one_pass else None,
        "corpus_gold": record["corpus_gold"],
        "corrected_gold": srsly.read_json(corrected[TWO_PASS])["gold"] if corrected[TWO_PASS].exists() else None,
        "same_build_corrected_gold": (
            srsly.read_json(corrected[SAME_BUILD])["gold"] if corrected[SAME_BUILD].exists() else None
        ),
        "library_examples": {
            "two_pass": record.get("library_examples"),
            "one_pass": one_pass.get("library_examples") if one_pass else None,
            "corpus": annotated.get("library_examples"),
        },
    }


def prf(gold: Dict[str, float]) -> str:
    """A label F1 record as the summary lines quote it: F1 (P, R)."""
    return f"{gold['f']:.3f} (P {gold['p']:.3f}, R {gold['r']:.3f})"


def two_pass_line(t: Dict[str, Any]) -> str:
    """The two-pass teacher in one sentence: what joined the library and what the second pass's texts got."""
    first, demos, second = t["first_pass"], t["user_demos"], t["second_pass_gold"]
    one = t.get("one_pass_gold")
    libraries = t.get("library_examples") or {}
    text = (
        f"two passes (`--two-pass {first}`): of the first {first} annotated texts, cross-checked, {demos['added']} "
        f"joined the library (label F1 {demos['gold']['f']:.3f}); the other texts' labels by the larger library "
        f"{prf(second)}"
    )
    if one:
        text += f", by the library alone {prf(one)} ({libraries.get('one_pass')} examples)"
    build = libraries.get("corpus")
    if build is not None and build != libraries.get("one_pass"):  # libraries are not committed: built again
        text += f"; the one-pass corpus's labels of the same texts (another build, {build} examples)"
    else:
        text += "; the one-pass corpus's labels of the same texts"
    text += f" {prf(t['corpus_one_pass_gold'])}"
    if t.get("corrected_gold"):
        text += f"; the two-pass corpus {prf(t['corpus_gold'])}, after correction {prf(t['corrected_gold'])}"
    if t.get("same_build_corrected_gold"):
        text += f"; the same build's one-pass corpus after correction {prf(t['same_build_corrected_gold'])}"
    if hits := t.get("second_pass_cache_hits"):  # a step run again after a stop: its earlier calls came from the cache
        text += f"; {hits} of the second pass's requests were answered from the LLM cache, so its seconds undercount"
    return text


def two_pass_corpus(bench: Bench, shared: Shared, first: int, args: Dict[str, Any]) -> Path:
    """The first `first` texts of the one-pass corpus, and the rest tagged by the library they enlarged.
    The record scores the second pass's texts and the one-pass corpus's labels of the same texts."""
    folder = bench.root / shared.dataset / TWO_PASS
    out, offsets = folder / "annotated.jsonl", folder / "second-pass.jsonl"  # committed: offsets only
    labels = list(shared.labels)
    record = folder / "steps" / "annotate.json"
    same_flag(record, "first_pass", first, "--two-pass")
    one_pass = read_jsonl(shared.annotate(), "annotated corpus")
    if not out.exists() and offsets.exists():
        write_jsonl(out, one_pass[:first] + with_text(read_offsets(offsets), shared.rows))

    def run() -> Dict[str, Any]:
        checked = crosscheck(one_pass[:first], labels, args["train_config"], crosscheck_settings(args))
        before = shared.library()
        library, counts = add_user_demos(before, checked["samples"], labels, UserDemoSettings())
        added = set(library.features[len(before.features) :])
        joined = [x for x in checked["samples"] if x["sentence"] in added]
        second, record = shared.tag_rows(shared.rows[first:], "train", "annotate", offsets, library, first)
        write_jsonl(out, one_pass[:first] + second)
        return {
            **record,
            "first_pass": first,
            "user_demos": {**counts, "gold": score_corpus(joined, rows_of(joined, shared.rows), labels)},
            "corpus_one_pass_gold": score_corpus(one_pass[first:], shared.rows[first:], labels),
            "corpus_gold": score_corpus(one_pass[:first] + second, shared.rows, labels),
        }

    bench.step(folder, "annotate", [out], run)
    one_pass_reference(bench, shared, first)
    return out


def one_pass_reference(bench: Bench, shared: Shared, first: int) -> None:
    """The second pass's texts tagged by the library on disk alone: the one-pass labels to compare the
    second pass with. The corpus's own labels of those texts may come from another build of the library
    (libraries are not committed, and a build again from the same settings can differ); with the build that
    tagged the corpus on disk and its LLM cache, this step costs nothing."""
    folder = bench.root / shared.dataset / TWO_PASS
    offsets = folder / "one-pass.jsonl"  # committed: offsets only
    run = lambda: shared.tag_rows(shared.rows[first:], "train", "one-pass", offsets, None, first)[1]  # noqa: E731
    bench.step(folder, "one-pass", [], run)


MORE = "distill+more"  # the corpus with `--more N` texts past the sample; its rows put `+more` after `distill`


def more_variant(more: int) -> str:
    """The folder of the `--more N` corpus (its rows put it in place of `distill`): `distill+more` up to the
    first chunk of texts past the sample, `distill+more<N>` past it (`distill+more2000`)."""
    return MORE if more <= MORE_CHUNK else f"{MORE}{more}"


def more_variants(base: Path) -> List[str]:
    """The `--more` corpora of the dataset folder `base` with a finished annotation, smallest first."""
    found = (more_variant_of(p.name) for p in base.glob(f"{MORE}*"))  # its rows' folders name it too
    return smallest_first(v for v in found if v and (base / v / "steps" / "annotate.json").exists())


def more_variant_of(name: str) -> Optional[str]:
    """The `--more` corpus a row's (or folder's) name says it trained on (None: another corpus)."""
    variant = "+".join(name.split("+")[:2])
    return variant if variant == MORE or variant.removeprefix(MORE).isdigit() else None


def smallest_first(variants: Iterable[str]) -> List[str]:
    """`--more` corpora in the order of their texts (`distill+more`, `distill+more2000`, ...)."""
    return sorted(set(variants), key=lambda v: (len(v), v))


def more_text_rows(
    bench: Bench,
    spec: DomainSpec,
    shared: Shared,
    more: int,
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path],
) -> Dict[str, Any]:
    """The workflow on more annotated text (`--more N`): the sample's annotations and N more train texts
    tagged by the same library (`more_corpus`), cross-checked and corrected as one corpus, then the
    workflow's student and shipped CNN: a point of the learning curve past the annotation sample."""
    rows = shared.rows + more_rows(shared.dataset, more, args["n"], args["seed"])
    annotated = more_corpus(bench, shared, rows, more)
    scaled = bool(args.get("scaled_student"))
    return teacher_rows(bench, spec, shared, more_variant(more), annotated, rows, test, args, weights, scaled)


def more_corpus(bench: Bench, shared: Shared, rows: List[Dict[str, Any]], more: int) -> Path:
    """The annotation sample's corpus and `rows` past it (ids go on from the sample's) tagged by the library
    on disk. Past the first chunk it goes on from the next smaller corpus's labels (`more_rows` keeps its
    texts), tagging only the chunk it adds. Libraries are not committed: on another machine the library is
    built again and may differ from the one that tagged the sample, so the record scores the new texts'
    labels on their own."""
    folder = bench.root / shared.dataset / more_variant(more)
    out, offsets = folder / "annotated.jsonl", folder / "more.jsonl"  # committed: offsets only
    record = folder / "steps" / "annotate.json"
    same_flag(record, "more", more, "--more")
    past = (more - 1) // MORE_CHUNK * MORE_CHUNK  # the texts past the sample of the corpus this one goes on from
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


def more_summary(base: Path, variant: str, annotated: Dict[str, Any]) -> Dict[str, Any]:
    """The `--more` corpus `variant`'s label F1: the texts it tagged alone, the whole corpus before and after
    correction, and the library builds that labelled the sample and those texts."""
    record = srsly.read_json(base / variant / "steps" / "annotate.json")
    corrected = base / f"{variant}+correct" / "steps" / "correct.json"
    return {
        "more": record["more"],
        "past": record.get("past", 0),
        "sample": annotated["texts"],
        "more_gold": record["gold"],
        "corpus_gold": record["corpus_gold"],
        "corrected_gold": srsly.read_json(corrected)["gold"] if corrected.exists() else None,
        "library_examples": {"more": record.get("library_examples"), "sample": annotated.get("library_examples")},
    }


def more_line(t: Dict[str, Any]) -> str:
    """The more-text corpus in one sentence: how well the new texts and the whole corpus are labelled."""
    built, past = t["library_examples"], t.get("past", 0)
    tagged = t["more"] - past
    text = f"more text (`--more {t['more']}`): the {tagged:,} train texts past the sample"
    text += f" and its first {past:,} (`--more {past}`)" if past else ""
    text += f" labelled at {prf(t['more_gold'])}"
    if built["more"] != built["sample"]:  # libraries are not committed: built again
        text += f" by a build of {built['more']} examples (the sample's {t['sample']:,} by one of {built['sample']})"
    text += f"; the {t['more'] + t['sample']:,}-text corpus {prf(t['corpus_gold'])}"
    if t.get("corrected_gold"):
        text += f", after correction {prf(t['corrected_gold'])}"
    return text


def same_flag(record: Path, key: str, value: int, flag: str, command: str = "bench distill") -> None:
    """Refuse, by name, to go on with a folder whose finished step was made with another `flag` value."""
    if record.exists() and (before := srsly.read_json(record)[key]) != value:
        folder = record.parents[1]
        raise SettingsError(
            f"{command} {flag} {value}: {folder} was made with {flag} {before}; give {flag} {before}, or move "
            f"the folder (and {folder.name}+*) away"
        )


def joined_annotation(first: Dict[str, Any], second: Dict[str, Any], share: float = 1.0) -> Dict[str, Any]:
    """Two annotation records as one (`share`: the part of the first one's texts, calls and seconds used)."""
    a, b = first.get("usage") or {}, second.get("usage") or {}
    return {
        "texts": round(first["texts"] * share) + second["texts"],
        "usage": {k: a.get(k, 0) * share + b.get(k, 0) for k in {*a, *b}},
        "tag_seconds": first["tag_seconds"] * share + second["tag_seconds"],
    }


def more_annotated(base: Path, sample: Dict[str, Any], variant: str = MORE) -> Dict[str, Any]:
    """The `--more` corpus `variant`'s annotation as one record: the sample's and the texts past it, each
    chunk's tagging where the corpus went on from a smaller one's."""
    record = srsly.read_json(base / variant / "steps" / "annotate.json")
    first = more_annotated(base, sample, more_variant(record["past"])) if record.get("past") else sample
    return joined_annotation(first, record)


def estimate_step(bench: Bench, folder: Path, heldout: Path) -> None:
    """The label-free estimate (`estimate`) of a row: its model's agreement with the teacher's labels of the
    held-out texts (`Shared.heldout`), which no row trains on or picks a checkpoint by. Skipped where the
    model is gone: trained models are not committed, and a row trained before this step has no estimate
    until it is trained again."""
    model = folder / "model" / "model-best"
    if not model.is_dir():
        return

    def run() -> Dict[str, Any]:
        result = estimate(model, heldout)
        interval = result["interval"]["shipped"]
        return {"agreement": result["agreement"]["shipped"], "interval": interval, "scores": result["scores"]}

    bench.step(folder, "estimate", [], run)


def relabelled_cnn(
    bench: Bench,
    dataset: str,
    folder: Path,
    teacher_folder: Path,
    test: Path,
    args: Dict[str, Any],
    weights: Optional[Path] = None,
) -> Dict[str, Any]:
    """A CNN row on the teacher row's labels of the train split (`relabelled`), trained with the benchmark's
    CNN config and steps, from the pretrained tok2vec `weights` when given, and evaluated."""
    relabelled(bench, dataset, folder, teacher_folder, test)
    config, steps = args["train_config"], args["train_steps"]
    return _train_and_eval(bench, folder, config, steps, test, [], init_tok2vec=weights)


def relabelled(bench: Bench, dataset: str, folder: Path, teacher_folder: Path, test: Path) -> None:
    """The relabelled corpus of a row: the teacher row's (transformer) model labels the train split."""
    evaluated = (folder / "steps" / "evaluate.json").is_file()
    model, dev = teacher_folder / "model" / "model-best", teacher_folder / "dev.spacy"
    relabel_step(bench, dataset, folder, model, dev, evaluated)


def relabel_step(
    bench: Bench, dataset: str, folder: Path, model: Path, dev: Path, evaluated: bool, keep=None, exclude=()
) -> None:
    """`relabel_split` into `folder` as a step, and the student's dev set beside it. Like the trained
    models, a relabelled corpus is not committed: once its row is `evaluated`, a fresh checkout neither
    needs the (uncommitted) student model nor labels again."""
    outputs = [] if evaluated else [folder / "train.spacy"]
    bench.step(folder, "relabel", outputs, partial(relabel_split, dataset, model, folder, keep, exclude))
    if not evaluated:
        shutil.copyfile(dev, folder / "dev.spacy")


def student_model(bench: Bench, folder: Path, test: Path) -> Path:
    """A student row's model, trained again (and evaluated anew) where a fresh checkout lacks it: trained
    models are not committed."""
    model = folder / "model" / "model-best"
    if not model.is_dir():
        (folder / "steps" / "evaluate.json").unlink(missing_ok=True)  # its record is redone with the model
        _train_and_eval(bench, folder, MINILM_CONFIG, None, test, [])
    return model


def selftrain_data(bench: Bench, dataset: str, folder: Path, first: Path, test: Path) -> None:
    """The second student's data (`SELFTRAINED`); not committed, and not made again once evaluated."""
    if (folder / "steps" / "evaluate.json").is_file():
        return
    model = student_model(bench, first, test)
    agreed = folder / "agreed.spacy"
    others = [first / "train.spacy", first / "dev.spacy"]  # the annotated texts are in `agreed` or the dev set

    def merge() -> Dict[str, Any]:
        return agree_docbin(load_student(model, "first student"), first / "train.spacy", agreed)

    def data() -> Dict[str, Any]:
        counts = relabel_split(dataset, model, folder, exclude=others)
        n_agreed = add_kept(folder / "train.spacy", docbin_docs(agreed))
        return {**counts, "train_docs": counts["train_docs"] + n_agreed, "agreed_docs": n_agreed}

    bench.step(folder, "agree", [agreed], merge)
    bench.step(folder, "relabel", [folder / "train.spacy"], data)
    shutil.copyfile(first / "dev.spacy", folder / "dev.spacy")


def source_data(bench: Bench, base: Path, source: str, folder: Path, test: Path) -> None:
    """`folder` gets the training data of row `source` (its DocBins; a CONFIGS row's are made again by its
    to-docbin step). A relabelled row's corpus is not kept once evaluated: it is relabelled again, and
    its teacher trained again (and evaluated anew) if its model is gone too."""
    src = base / source
    if source in RELABELLED and not (src / "train.spacy").is_file():
        teacher = base / RELABELLED[source]
        model = student_model(bench, teacher, test)
        (src / "steps" / "relabel.json").unlink(missing_ok=True)
        relabel_step(bench, base.name, src, model, teacher / "dev.spacy", evaluated=False)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train.spacy", "dev.spacy"):
        shutil.copyfile(src / name, folder / name)


def relabel_split(
    dataset: str, model_path: Path, folder: Path, keep: Optional[Path] = None, exclude: Sequence[Path] = ()
) -> Dict[str, Any]:
    """The student labels every train-split sentence, read as tokens only (joined by spaces, as
    `annotate` reads them): the user's unlabelled text, beyond the thousand the LLM labelled. As
    `relabel --keep --exclude`: texts of `keep` (reviewed) keep their labels, texts of `exclude` stay out."""
    nlp = load_student(model_path, "teacher")
    rows = [(str(i), text_of(row)) for i, row in enumerate(read_bio(split_path(dataset, "train")))]
    rows, kept, selected = rows_to_relabel(rows, keep, exclude)
    docs = (Doc(nlp.vocab, words=text.split(" ")) for _, text in rows)
    docbin, counts = relabel(nlp, docs, total=len(rows))
    folder.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(folder / "train.spacy")
    n_kept = add_kept(folder / "train.spacy", kept)
    return {"train_docs": counts["docs"] + n_kept, "entities": counts["entities"], "teacher": str(model_path),
            **({"kept": n_kept, **selected} if keep or exclude else {})}  # fmt: skip


TIME_N = 30  # sentences timed: the first of the reverse_ner benchmark's sample (seed 2024), as there


def timed_rows(dataset: str) -> List[Dict[str, Any]]:
    """The test sentences every speed figure of this benchmark is timed on."""
    return test_sample(dataset)[:TIME_N]


# the `speed` step timed the CNN student of distill+correct; these are the two-stage students
STUDENT_SPEED = (
    "distill+correct+proggen+minilm",
    "distill+correct+proggen+minilm+relabel",
    "distill+correct+proggen+minilm+relabel+pretrain",
)


def student_speed(dataset: str, models: Dict[str, Path]) -> Dict[str, Any]:
    """docs/s of each student on the `speed` step's test sentences (best of 5 passes, as there); a model not
    on disk (trained models are not committed) is left out rather than trained again only to be timed."""
    texts = [text_of(row) for row in timed_rows(dataset)]
    out: Dict[str, Any] = {"docs": len(texts)}
    for name, path in models.items():
        if path.is_dir():
            out[name] = _docs_per_s(spacy.load(path), texts)
    return out


def _docs_per_s(nlp, texts: List[str]) -> float:
    list(nlp.pipe(texts[:4]))  # warm-up: the first call loads lazily
    return round(len(texts) / min(_seconds(lambda: list(nlp.pipe(texts))) for _ in range(5)), 1)


def speed(dataset: str, shared: Shared, model_path: Path, k: int) -> Dict[str, Any]:
    """docs/s of the reverse_ner pipe (answer cache off, freshly loaded model) and of the distilled spaCy
    model on the same test sentences (the model's time is the best of 5 passes: it is too fast to time once)."""
    vocab = spacy.blank("en").vocab
    refs = [row_to_doc(vocab, row, keep=list(shared.labels)) for row in timed_rows(dataset)]
    pipe = time_config("library", refs, shared.labels, shared.library(), Tagging(k, domain=shared.build.domain))
    return {
        "docs": len(refs),
        "pipe_docs_per_s": pipe["docs_per_s"],
        "pipe": pipe,
        "model_docs_per_s": _docs_per_s(spacy.load(model_path), [ref.text for ref in refs]),
    }


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(
    datasets: List[str],
    output_dir: Path,
    n: int,
    k: int,
    seed: int,
    cache_path: Optional[str],
    folds: int = CrossCheckSettings.folds,
    train_config: Path = TRAIN_CONFIG,
    train_steps: Optional[int] = None,
    domains_dir: Path = DOMAINS_DIR,
    summarize_only: bool = False,
    pretrain: bool = False,
    selftrain: bool = False,
    sizes: Sequence[int] = (),
    shape: bool = False,
    vectors: bool = False,
    two_pass: int = 0,
    more: Sequence[int] = (),
    wide: bool = False,
    extras_only: bool = False,
    scaled_student: bool = False,
    student_steps: Sequence[int] = (),
) -> Dict[str, Any]:
    if any(x <= 0 for x in student_steps):
        raise SettingsError(f"bench distill --student-steps: each must be 1 or more, got {student_steps}")
    if any(x <= 0 for x in more):
        raise SettingsError(f"bench distill --more: each corpus's texts past the sample must be 1 or more, got {more}")
    if scaled_student and not more:  # up to the sample's texts the scaled student is the workflow's own
        raise SettingsError("bench distill --scaled-student: give --more N too (its rows are the --more corpus's)")
    if any(not 0 < size < n for size in sizes):
        raise SettingsError(f"bench distill --sizes: each must be between 0 and --n ({n}), got {list(sizes)}")
    if two_pass and not 2 * folds <= two_pass < n:  # its first pass is cross-checked in `folds` folds
        raise SettingsError(f"bench distill --two-pass: 0 or between {2 * folds} and --n ({n}), got {two_pass}")
    bench = Bench(output_dir, lambda: select.load_model("local", cache_path), force=False)
    args: Dict[str, Any] = {"n": n, "k": k, "seed": seed, "cache_path": cache_path, "folds": folds}
    args.update(train_config=train_config, train_steps=train_steps, pretrain=pretrain, selftrain=selftrain, sizes=sizes)
    args.update(shape=shape, vectors=vectors, two_pass=two_pass, more=more, wide=wide, extras_only=extras_only)
    args.update(scaled_student=scaled_student, student_steps=student_steps)
    for dataset in datasets:
        if not summarize_only:
            run_dataset(bench, dataset, DomainSpec.load(domains_dir / f"{dataset}.yml"), args)
            msg.good(f"{dataset}: done")
    report = collect(output_dir, datasets, n, k, seed)
    srsly.write_json(output_dir / "benchmark.json", report)
    (output_dir / "benchmark.md").write_text(markdown(report), encoding="utf8")
    msg.good(f"Wrote {output_dir}/benchmark.json and benchmark.md")
    return report


def summarize(base: Path, name: str, annotated: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """One distilled row from its step records (None until it is evaluated). LLM usage counts the
    annotation (and the correction where the row has one) per 1,000 annotated sentences."""
    steps = {p.stem: srsly.read_json(p) for p in sorted((base / name / "steps").glob("*.json"))}
    if "evaluate" not in steps:
        return None
    scores, estimated = steps["evaluate"], steps.get("estimate", {})
    if name in PRETRAINED:  # the data of its source row (the pretraining's own record is the dataset's)
        steps = {**{p.stem: srsly.read_json(p) for p in (base / PRETRAINED[name] / "steps").glob("*.json")}, **steps}
    docbin = steps.get("to-docbin") or steps["relabel"]  # a relabelled row's sentences are the student's
    corpus = "distill+correct"
    variant = next((v for v in PASS_VARIANTS if name.startswith(f"{v}+")), None)
    if variant is not None:  # its teacher's calls: the first pass's share and the other texts'
        corpus, annotated = f"{variant}+correct", two_pass_annotated(base, annotated, variant)
    elif (more := more_variant_of(name)) is not None:  # the sample's calls and those of the texts past it
        corpus, annotated = f"{more}+correct", more_annotated(base, annotated, more)
    correct = srsly.read_json(base / corpus / "steps" / "correct.json") if "correct" in name else {}
    usage_steps = [annotated] + ([correct] if correct else [])
    usage: Dict[str, Any] = summed_usage(usage_steps)
    # Model time is wall time: calls run concurrently (n_parallel slots), so their summed durations overstate it.
    usage["seconds"] = annotated["tag_seconds"] + sum(r["seconds"] for r in usage_steps[1:])
    n = annotated["texts"]
    used = annotated_size(name) or n  # a learning-curve row's texts cost their share of the annotation
    return {
        "f1": scores["ents_f"],
        "p": scores["ents_p"],
        "r": scores["ents_r"],
        "per_type_f1": {k: v["f"] for k, v in scores["per_type"].items()},
        "kept_sentences": docbin["train_docs"] + docbin.get("dev_docs", 0),
        "correction_choices": correct.get("choices"),
        "annotated_texts": used,
        "llm_usage": {k: round(v * used / n, 1) for k, v in usage.items()},
        "llm_per_1000_kept": {k: round(v * 1000 / n, 1) for k, v in usage.items()},
        "seconds_per_step": {k: v["seconds"] for k, v in steps.items() if "seconds" in v},
        "model_docs_per_s": scores.get("docs_per_second"),
        "agreement_f1": estimated.get("agreement"),  # the label-free estimate (`estimate_step`); None until measured
        "agreement_interval": estimated.get("interval"),  # its bootstrap interval over the held-out texts
    }


def two_pass_annotated(base: Path, one_pass: Dict[str, Any], variant: str = TWO_PASS) -> Dict[str, Any]:
    """A pass variant's annotation as one record: the one-pass annotation's share of the first pass's texts,
    and the record of the other texts' tagging (the second pass, or the same build alone: its own calls and
    seconds)."""
    record = srsly.read_json(base / TWO_PASS / "steps" / "annotate.json")
    second = record if variant == TWO_PASS else srsly.read_json(base / TWO_PASS / "steps" / "one-pass.json")
    return joined_annotation(one_pass, second, share=record["first_pass"] / one_pass["texts"])


def collect(output_dir: Path, datasets: List[str], n: int, k: int, seed: int) -> Dict[str, Any]:
    """The table from the step records on disk: rows (a) ProgGen x+y+correct and (e) real-train from the
    ProgGen benchmark's committed summary, the distilled rows from their records."""
    proggen = srsly.read_json(PROGGEN_DIR / "benchmark.json") if (PROGGEN_DIR / "benchmark.json").exists() else {}
    theirs = {d["dataset"]: d["configs"] for d in proggen.get("datasets", [])}
    report: Dict[str, Any] = {"n_sentences": n, "k": k, "seed": seed, "datasets": []}
    for dataset in datasets:
        base = output_dir / dataset
        annotate_record = shared_record(base, "annotate")
        if not annotate_record.exists():
            continue
        annotated = srsly.read_json(annotate_record)
        configs: Dict[str, Any] = {}
        if "x+y+correct" in theirs.get(dataset, {}):
            configs["proggen x+y+correct"] = theirs[dataset]["x+y+correct"]
        curve = sorted((p.name for p in base.glob("*@*") if p.is_dir()), key=lambda x: (annotated_size(x), x))
        named = [*CONFIGS, *RELABELLED, *SELFTRAINED, *SELFTRAINED_RELABELLED, *PRETRAINED, *PRETRAINED_RELABELLED]
        named += [*SELFTRAINED_PRETRAINED]
        named += [*SHAPED, *SHAPED_RELABELLED, *VECTORED, *WIDE, *two_pass_names()]
        named += sorted(p.name for p in base.glob(f"distill+correct+minilm{STEPS}*") if p.is_dir())
        for more in more_variants(base):
            named += [*variant_names(more), *(scaled_name(row) for row in variant_names(more))]
        for name in [*named, *curve]:
            row = summarize(base, name, annotated)
            if row is not None:
                configs[name] = row
        if "real-train" in theirs.get(dataset, {}):
            configs["real-train"] = theirs[dataset]["real-train"]
        entry: Dict[str, Any] = {"dataset": dataset, "configs": configs, "corpus_f1": {"annotated": annotated["gold"]}}
        correct_record = base / "distill+correct" / "steps" / "correct.json"
        if correct_record.exists():
            entry["corpus_f1"]["corrected"] = srsly.read_json(correct_record)["gold"]
        two_pass_record = base / TWO_PASS / "steps" / "annotate.json"
        if two_pass_record.exists():
            entry["two_pass"] = two_pass_summary(base, srsly.read_json(two_pass_record), annotated)
        if more_variants(base):
            entry["more"] = [more_summary(base, variant, annotated) for variant in more_variants(base)]
        heldout_record = shared_record(base, "heldout")
        if heldout_record.exists():
            held = srsly.read_json(heldout_record)
            # a library built again (it is not committed) may differ from the one that annotated the corpus
            libraries = {"heldout": held.get("library_examples"), "annotate": annotated.get("library_examples")}
            entry["corpus_f1"]["heldout"] = {**held["gold"], "library_examples": libraries}
        check_record = shared_record(base, "crosscheck")
        if check_record.exists():
            entry["signals"] = srsly.read_json(check_record)["signals"]
        timings = (("speed", "speed"), ("student_speed", "speed-students"), ("workflow_speed", "speed-workflow"))
        for key, step in timings:
            if shared_record(base, step).exists():
                entry[key] = srsly.read_json(shared_record(base, step))
        report["datasets"].append(entry)
    return report


def _cell(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.3f}"


def _library_note(examples: Dict[str, Any]) -> str:
    """Which library labelled the held-out texts, where it is not the one that annotated the corpus."""
    held, annotated = examples.get("heldout"), examples.get("annotate")
    if held is None or held == annotated:
        return ""
    return (
        f"; its library was built again from the same settings ({held} examples; the one that annotated "
        f"the corpus had {annotated})"
    )


def calibration(configs: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """How well the label-free estimate predicts the real test F1 over the rows that have both: the gap
    (real minus estimate) and Spearman's rank correlation (does a higher estimate mean a better model?)."""
    pairs = [(r["agreement_f1"], r["f1"]) for r in configs.values() if r.get("agreement_f1") is not None]
    if len(pairs) < 2:
        return None
    gaps = [real - est for est, real in pairs]
    rho = spearmanr([est for est, _ in pairs], [real for _, real in pairs]).statistic
    spans = [(r["agreement_interval"], r["f1"]) for r in configs.values() if r.get("agreement_interval")]
    inside = sum(lo <= real <= hi for (lo, hi), real in spans)
    return {"rows": len(pairs), "mean_gap": sum(gaps) / len(gaps), "min_gap": min(gaps), "max_gap": max(gaps),
            "spearman": float(rho), "with_interval": len(spans), "inside_interval": inside}  # fmt: skip


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        "| dataset | training data | sentences | micro F1 | P | R | per-type F1 | A/B/C/D | LLM calls / 1k annotated | "
        "model seconds / 1k annotated | agreement with teacher (held-out) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ds in report["datasets"]:
        for name, r in ds["configs"].items():
            per_type, abcd = per_type_cell(r["per_type_f1"]), abcd_cell(r.get("correction_choices"))
            p1k = r.get("llm_per_1000_kept") if name.startswith("distill") else None
            calls = f"{p1k['calls']:.0f}" if p1k else "–"
            secs = f"{p1k['seconds']:.0f}" if p1k else "–"
            lines.append(
                f"| {ds['dataset']} | {name} | {r['kept_sentences']} | {r['f1']:.3f} | {r['p']:.3f} | {r['r']:.3f} | "
                f"{per_type} | {abcd} | {calls} | {secs} | {_cell(r.get('agreement_f1'))} |"
            )
    lines.append("")
    for ds in report["datasets"]:
        cal = calibration(ds["configs"])
        if cal:
            lines.append(
                f"- **{ds['dataset']}** label-free estimate against the real test F1, {cal['rows']} rows: test F1 "
                f"minus agreement {cal['mean_gap']:+.3f} on average ({cal['min_gap']:+.3f} to {cal['max_gap']:+.3f}); "
                f"rank correlation {cal['spearman']:.2f}"
                + (
                    f"; the test F1 inside the agreement's {EstimateSettings.level:.0%} bootstrap interval (the "
                    f"held-out texts resampled; the teacher's own errors not in it) for {cal['inside_interval']} of "
                    f"the {cal['with_interval']} rows that have one"
                    if cal["with_interval"]
                    else ""
                )
            )
        if ds["corpus_f1"].get("heldout"):
            h = ds["corpus_f1"]["heldout"]
            lines.append(
                f"- **{ds['dataset']}** the teacher on the held-out texts (the estimate's reference: the test "
                f"sample's {SAMPLE_N} sentences, scored against their gold tags): F1 {prf(h)}"
                + _library_note(h.get("library_examples") or {})
            )
        c = ds["corpus_f1"]
        after = c.get("corrected")
        lines.append(
            f"- **{ds['dataset']}** corpus annotation F1 against the hidden gold tags: "
            f"annotated {prf(c['annotated'])}" + (f", after correction {prf(after)}" if after else "")
        )
        if ds.get("two_pass"):
            lines.append(f"- **{ds['dataset']}** " + two_pass_line(ds["two_pass"]))
        for more in ds.get("more") or ():
            lines.append(f"- **{ds['dataset']}** " + more_line(more))
        if ds.get("speed"):
            sp = ds["speed"]
            lines.append(
                f"- **{ds['dataset']}** speed on the same {sp['docs']} test sentences: reverse_ner pipe "
                f"{sp['pipe_docs_per_s']:.3f} docs/s, distilled spaCy model {sp['model_docs_per_s']:.0f} docs/s "
                f"({sp['model_docs_per_s'] / sp['pipe_docs_per_s']:.0f}x)"
            )
        if ds.get("speed") and ds.get("student_speed"):
            pipe = ds["speed"]["pipe_docs_per_s"]
            timed = [(k, ds["student_speed"][k]) for k in STUDENT_SPEED if k in ds["student_speed"]]
            cells = [f"{k} {v:.0f} docs/s ({v / pipe:.0f}x)" for k, v in timed]
            lines.append(f"- **{ds['dataset']}** students on the same sentences: " + ", ".join(cells))
        if ds.get("workflow_speed"):  # timed in a step of their own, maybe on another machine than the pipe
            cells = [f"{k} {ds['workflow_speed'][k]:.0f} docs/s" for k in WORKFLOW_ROWS]
            lines.append(f"- **{ds['dataset']}** the workflow's two models, timed together on the same sentences: "
                         + ", ".join(cells))  # fmt: skip
    return "\n".join(lines) + "\n"
