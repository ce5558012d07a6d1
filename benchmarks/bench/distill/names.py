"""The distillation benchmark's names: the row folders (`CONFIGS` and the two-stage, pass, `--more`, curve,
scaled and fixed-steps rows), how one row's name derives from another's, and where a step's record lies.
They hold no logic beyond strings and paths, so every other module of the benchmark and `bench.index`,
which tabulates the rows, can read them without pulling in the runners."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from ..datasets import MORE_CHUNK

SHARED = "shared"  # a dataset's folder of the steps every row shares (`Shared`)


def step_record(folder: Path, step: str) -> Path:
    """The record of the step `step` of the row (or corpus) folder `folder`, where `Bench.step` writes it:
    the one spelling of that path, which the summaries and the checks of finished steps read."""
    return folder / "steps" / f"{step}.json"


def shared_record(base: Path, step: str) -> Path:
    """The record of a shared step (`annotate`, `heldout`, ...) of the dataset folder `base`."""
    return step_record(base / SHARED, step)


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
# the `speed` step timed the CNN student of distill+correct; these are the two-stage students
STUDENT_SPEED = (
    "distill+correct+proggen+minilm",
    "distill+correct+proggen+minilm+relabel",
    "distill+correct+proggen+minilm+relabel+pretrain",
)
# configuration -> its corpus, for the student that also reads each word's shape, prefix and suffix
# (`spacy_progner.CasedListener.v1` in place of the uncased embedder's listener alone; `--shape`), and the
# CNN on its labels from the pretrained start
SHAPED = {"distill+correct+minilm+shape": "distill+correct"}
SHAPED_RELABELLED = {f"{name}+relabel+pretrain": name for name in SHAPED}
# configuration -> the student row whose labels of the train split its CNN learns from, the CNN reading static
# vectors made from the embedder's word pieces (`vectors`; `--vectors`), from nothing and from a tok2vec
# pretrained with the same vectors
VECTORED = {
    "distill+correct+minilm+relabel+vectors": "distill+correct+minilm",
    "distill+correct+minilm+relabel+pretrain+vectors": "distill+correct+minilm",
}
# configuration -> the student row whose labels of the train split it learns from, the shipped CNN made wider
# (`--wide`: twice the encoder's width, more hash rows and a wider parser layer; its own pretrained start):
# whether the CNN's size is what keeps it below the student it imitates, at a cost in speed
WIDE = {"distill+correct+minilm+relabel+pretrain+wide": "distill+correct+minilm"}


def curve_name(name: str, size: int) -> str:
    """A learning-curve row's name: the row `name` trained on the first `size` annotated texts."""
    return f"{name}@{size}"


def annotated_size(name: str) -> Optional[int]:
    """The annotated texts a learning-curve row used (None: all of them)."""
    return int(name.rsplit("@", 1)[1]) if "@" in name else None


SCALED = "+scaled"  # the rows whose student's steps grow with its texts (`--scaled-student`) put it after `minilm`
STEPS = "+steps"  # the rows whose student trains a fixed number of steps (`--student-steps N`): `+minilm+steps<N>`


def student_named(row: str, tag: str) -> str:
    """A workflow row's name with its student's schedule tagged after `+minilm`, where both the student's
    row and its CNN's name the student."""
    return row.replace("+minilm", f"+minilm{tag}", 1)


def scaled_name(row: str) -> str:
    """A workflow row's name with the scaled student (`distill+more+correct+minilm+scaled...`)."""
    return student_named(row, SCALED)


def steps_name(row: str, steps: int) -> str:
    """A workflow row's name with the student of `steps` steps (`distill+correct+minilm+steps800...`)."""
    return student_named(row, f"{STEPS}{steps}")


TWO_PASS = "distill+demos"  # the two-pass corpus's folder; its rows put `+demos` after `distill`
# its reference: the same first pass, the rest tagged by the same library without the demos (`one_pass_reference`);
# the committed one-pass corpus may come from another build of the library
SAME_BUILD = "distill+samebuild"
PASS_VARIANTS = (TWO_PASS, SAME_BUILD)


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


MORE = "distill+more"  # the corpus with `--more N` texts past the sample; its rows put `+more` after `distill`


def more_variant(more: int) -> str:
    """The folder of the `--more N` corpus (its rows put it in place of `distill`): `distill+more` up to the
    first chunk of texts past the sample, `distill+more<N>` past it (`distill+more2000`)."""
    return MORE if more <= MORE_CHUNK else f"{MORE}{more}"


def more_before(more: int) -> int:
    """The texts past the sample of the smaller `--more` corpus that the `--more N` corpus goes on from: the
    last whole chunk below N (0: it goes on from the sample's own corpus). Beside `more_variant`, so that
    the chunk (`MORE_CHUNK`) is read in this module only."""
    return (more - 1) // MORE_CHUNK * MORE_CHUNK


def more_variants(base: Path) -> List[str]:
    """The `--more` corpora of the dataset folder `base` with a finished annotation, smallest first."""
    found = (more_variant_of(p.name) for p in base.glob(f"{MORE}*"))  # its rows' folders name it too
    return smallest_first(v for v in found if v and step_record(base / v, "annotate").exists())


def more_variant_of(name: str) -> Optional[str]:
    """The `--more` corpus a row's (or folder's) name says it trained on (None: another corpus)."""
    variant = "+".join(name.split("+")[:2])
    return variant if variant == MORE or variant.removeprefix(MORE).isdigit() else None


def smallest_first(variants: Iterable[str]) -> List[str]:
    """`--more` corpora in the order of their texts (`distill+more`, `distill+more2000`, ...)."""
    return sorted(set(variants), key=lambda v: (len(v), v))
