"""Distillation commands: `annotate` (the tagger labels your texts), `crosscheck` (students trained on
the other folds mark the disagreements), `tagcheck` (the tagger's second look at a generated corpus),
`train-student` (the transformer student, its steps grown with your texts), `relabel` (a trained student
labels all your texts for the fast CNN) and `estimate` (how closely the models follow their teacher on
held-out texts, without gold)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..distill.agree import agree_docbin
from ..distill.annotate import AnnotateError, AnnotateSettings, tagger_pipe
from ..distill.crosscheck import CrossCheckSettings, crosscheck
from ..distill.estimate import EstimateSettings, estimate
from ..distill.pretrain import PretrainSettings, pretrain_tok2vec
from ..distill.relabel import add_kept, load_student, relabel, rows_to_relabel
from ..distill.student import MEASURED_TRAIN_TEXTS, train_student
from ..distill.tagcheck import tagcheck
from ..distill.vectors import embedder_vectors
from ..files import load_saved_pipeline, read_jsonl, read_text_lines, write_jsonl
from ..llm import UsageLedger
from ..ner import LabelSet
from ..reverse_ner.pipeline import reverse_ner_pipeline
from . import _scale as scale
from ._app import CACHE, DOMAIN, GPU_ID, MODEL, SAMPLES_IN, SEED, Step, app, friendly_errors, load_model, use_gpu


def load_tagger(pipeline: Optional[Path], labels: Optional[Path], texts: List[str], k: Optional[int], llm):
    """A saved pipeline, or a new one for a labels file / domain spec whose library is built from `texts`."""
    if pipeline is not None:
        nlp = load_saved_pipeline(pipeline, "--pipeline", AnnotateError)
        pipe = tagger_pipe(nlp, f"--pipeline {pipeline}")
        if labels is not None:
            wanted = LabelSet.from_any(labels)
            missing = [lab for lab in wanted if lab not in pipe.label_set]
            if missing:
                raise AnnotateError(
                    f"--labels {labels}: types {missing} are not in the pipeline's labels {list(pipe.label_set)}"
                )
    elif labels is not None:
        settings: Dict[str, Any] = {} if k is None else {"k": k}
        nlp, pipe = reverse_ner_pipeline(labels, **settings)
    else:
        raise AnnotateError(
            "annotate needs --pipeline (a saved reverse_ner pipeline) or --labels (labels or domain spec)"
        )
    pipe.model = pipe.tagger.model = llm
    if pipeline is None and pipe.tagger.s.k > 0:  # a new pipe: its library comes from the texts
        msg.info(f"Building the example library from {len(texts)} texts")
        pipe.initialize(texts=texts)
    return nlp


@app.command("annotate")
@friendly_errors
def annotate_cli(
    texts: Path = typer.Argument(..., help="Texts to label: .txt (one per line) or .jsonl with 'text'.", exists=True),
    output: Path = typer.Argument(..., help="The annotated corpus (JSONL samples with character offsets)."),
    pipeline: Optional[Path] = typer.Option(None, help="A saved reverse_ner pipeline (build-pipeline)."),
    labels: Optional[Path] = typer.Option(
        None, help="Labels file or domain spec: without --pipeline the library is built from TEXTS first."
    ),
    save_pipeline: Optional[Path] = typer.Option(None, help="Save the pipeline (with its new library) here."),
    k: Optional[int] = typer.Option(None, help="Demos per sentence for a new pipeline (default: the pipe's)."),
    limit: int = typer.Option(0, help="Annotate only the first N texts (0: all)."),
    first_pass: int = typer.Option(
        0, help="Of those, only the first N: a first pass, whose sure labels `add-demos` adds (0: all)."
    ),
    keep: Optional[Path] = typer.Option(
        None,
        help="An earlier pass's corpus of the same texts: kept as it is, its texts not tagged again.",
        exists=True,
        dir_okay=False,
    ),
    logprobs: bool = typer.Option(AnnotateSettings.logprobs, help="Ask for token log-probs (a confidence)."),
    metrics: Path = typer.Option(Path("metrics/annotate.json"), help="Metrics JSON (counts, usage)."),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    engine: str = scale.ENGINE,
    address: Optional[str] = scale.ADDRESS,
    workers: int = scale.WORKERS,
    concurrency: Optional[int] = scale.CONCURRENCY,
    block_size: int = scale.BLOCK_SIZE,
    batch_requests: Optional[Path] = scale.BATCH_REQUESTS,
    batch_results: Optional[Path] = scale.BATCH_RESULTS,
) -> None:
    """Label your own texts with reverse_ner: the corpus `correct`, `to-docbin` and `report` read. Each text
    is written as it is tagged; a rerun skips the texts already in OUTPUT."""
    step = Step("annotate")
    rows = [(f"line-{n}", text) for n, text in read_text_lines(texts, "texts")]
    for name, value in (("--limit", limit), ("--first-pass", first_pass)):
        if value < 0:
            raise AnnotateError(f"annotate {name}: a number of texts (0: all), got {value}")
        rows = rows[:value] if value > 0 else rows
    settings = AnnotateSettings(logprobs=logprobs, keep=str(keep) if keep else None)
    run = scale.AnnotateRun(
        rows, output, settings, str(texts), model, cache_path, concurrency,
        scale.ray_settings(engine, address, workers, block_size), batch_requests, batch_results,
    )  # fmt: skip
    step.llm = run.driver_model(have_pipeline=pipeline is not None)
    with (step.llm.ledger if step.llm else UsageLedger()).step("annotate"):
        nlp = load_tagger(pipeline, labels, [t for _, t in rows], k, step.llm)
        if save_pipeline is not None:
            save_pipeline.mkdir(parents=True, exist_ok=True)  # spaCy makes only the last folder
            nlp.to_disk(save_pipeline)
            msg.good(f"Saved the pipeline to {save_pipeline}")
        m = run.run(nlp, pipeline or save_pipeline)
    if batch_requests is None:
        msg.good(f"Wrote {output}: {m['entities']} entities in {m['texts']} texts")
    step.finish(metrics, m)


@app.command("crosscheck")
@friendly_errors
def crosscheck_cli(
    domain: Path = DOMAIN,
    input: Path = SAMPLES_IN,
    output: Path = typer.Argument(..., help="The corpus with `agree` marks, to write."),
    train_config: Path = typer.Option(
        Path("configs/train.cfg"), help="spaCy training config of the students.", exists=True, dir_okay=False
    ),
    gpu_id: int = GPU_ID,
    folds: int = typer.Option(CrossCheckSettings.folds, help="Cross-validation folds (one student each)."),
    train_steps: int = typer.Option(CrossCheckSettings.train_steps, help="Training steps per student."),
    metrics: Path = typer.Option(Path("metrics/crosscheck.json"), help="Metrics JSON."),
    seed: int = SEED,
) -> None:
    """Mark each annotation by whether a student trained on the other folds agrees (no LLM calls)."""
    step = Step("crosscheck", domain)
    use_gpu(gpu_id)
    settings = CrossCheckSettings(folds=folds, train_steps=train_steps, seed=seed)
    samples = read_jsonl(input, "annotated corpus")
    result = crosscheck(samples, list(step.spec.types), train_config, settings, lang=step.spec.language)
    write_jsonl(output, result["samples"])
    m = result["metrics"]
    msg.good(f"Wrote {output}: agreement {m['agreement']}, {m.get('proposed', 0)} spans proposed")
    step.finish(metrics, m)


@app.command("tagcheck")
@friendly_errors
def tagcheck_cli(
    input: Path = SAMPLES_IN,
    output: Path = typer.Argument(..., help="The corpus with `agree` marks, to write."),
    pipeline: Path = typer.Option(..., help="A saved reverse_ner pipeline (build-pipeline) for the corpus's domain."),
    metrics: Path = typer.Option(Path("metrics/tagcheck.json"), help="Metrics JSON (counts, usage)."),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
) -> None:
    """Mark each generated annotation by whether the reverse_ner tagger, annotating the sentence on its own,
    agrees; add the tagger's spans the answer missed. Then `correct --select-by agreement` (any backend)."""
    step = Step("tagcheck")
    samples = read_jsonl(input, "generated corpus")
    step.llm = load_model(model, cache_path)
    with step.llm.ledger.step("tagcheck"):
        result = tagcheck(load_tagger(pipeline, None, [], None, step.llm), samples)
    write_jsonl(output, result["samples"])
    m = result["metrics"]
    msg.good(f"Wrote {output}: agreement {m['agreement']}, {m.get('proposed', 0)} spans proposed")
    step.finish(metrics, m)


@app.command("relabel")
@friendly_errors
def relabel_cli(
    model_path: Path = typer.Argument(..., help="A trained student (e.g. from configs/train_minilm.cfg).", exists=True),
    texts: Path = typer.Argument(..., help="Your texts: one per line, or JSONL with a 'text' field.", exists=True),
    output: Path = typer.Argument(..., help="DocBin of the texts with the student's entities."),
    limit: int = typer.Option(0, help="Label only the first N texts (0: all)."),
    keep: Optional[Path] = typer.Option(
        None, exists=True, help="DocBin of texts that keep their labels (to-docbin's reviewed.spacy): not relabelled."
    ),
    exclude: List[Path] = typer.Option(
        [], exists=True, help="DocBin whose texts stay out (the dev set, heldout.spacy); repeat for more."
    ),
    metrics: Path = typer.Option(Path("metrics/relabel.json"), help="Metrics JSON (counts)."),
    gpu_id: int = GPU_ID,
    engine: str = scale.ENGINE,
    address: Optional[str] = scale.ADDRESS,
    workers: int = scale.WORKERS,
    block_size: int = scale.BLOCK_SIZE,
) -> None:
    """The student labels all your texts, for a fast CNN to train on (the second stage of `distill`)."""
    step = Step("relabel")
    use_gpu(gpu_id)
    ray = scale.ray_settings(engine, address, workers, block_size)
    rows = [(f"line-{n}", text) for n, text in read_text_lines(texts, "texts")]
    rows = rows[:limit] if limit > 0 else rows
    rows, kept, selected = rows_to_relabel(rows, keep, exclude)
    if ray is not None:
        from ..scale.jobs import relabel_ray

        counts = relabel_ray(model_path, rows, output, ray)
    else:
        nlp = load_student(model_path, "the student")
        docbin, counts = relabel(nlp, [text for _, text in rows], total=len(rows))
        output.parent.mkdir(parents=True, exist_ok=True)
        docbin.to_disk(output)
    counts = {**counts, "kept": add_kept(output, kept), **selected}
    counts["docs"] += len(kept)
    counts["entities"] += sum(len(doc.ents) for doc in kept)
    msg.good(f"Wrote {output}: {counts['entities']} entities in {counts['docs']} texts ({counts['kept']} kept theirs)")
    if (missing := len(kept) - selected["replaced"]) > 0:
        msg.warn(f"{missing} texts of {keep} are not in {texts} as written (a restyled surface?): they are in "
                 "twice, with their own labels and the student's")  # fmt: skip
    step.finish(metrics, counts)


@app.command("agree")
@friendly_errors
def agree_cli(
    model_path: Path = typer.Argument(..., help="A trained student (runs/distill/minilm/model-best).", exists=True),
    train: Path = typer.Argument(..., help="The LLM's labels as a DocBin (to-docbin's train.spacy).", exists=True),
    output: Path = typer.Argument(..., help="DocBin: agreed spans kept, doubtful tokens missing."),
    metrics: Path = typer.Option(Path("metrics/agree.json"), help="Metrics JSON (counts)."),
    gpu_id: int = GPU_ID,
) -> None:
    """Self-training: keep the spans the student and the LLM agree on, leave the rest of their spans
    unannotated; train the next student on it with the student's labels of your other texts (`relabel`)."""
    step = Step("agree")
    use_gpu(gpu_id)
    counts = agree_docbin(load_student(model_path, "the student"), train, output)
    msg.good(f"Wrote {output}: {counts['agreed']} agreed spans in {counts['docs']} texts")
    step.finish(metrics, counts)


@app.command("pretrain")
@friendly_errors
def pretrain_cli(
    texts: Path = typer.Argument(..., help="Your texts: one per line, or JSONL with a 'text' field.", exists=True),
    output_dir: Path = typer.Argument(..., help="Folder for the weights (model-last.bin) and the log."),
    config: Path = typer.Option(
        Path("configs/train.cfg"), help="Training config with a [pretraining] block.", exists=True, dir_okay=False
    ),
    max_epochs: Optional[int] = typer.Option(None, help="Epochs over the texts (default: the config's)."),
    seed: int = SEED,
    metrics: Path = typer.Option(Path("metrics/pretrain.json"), help="Metrics JSON."),
    gpu_id: int = GPU_ID,
) -> None:
    """A pretrained start for the fast CNN: its tok2vec learns your texts (no labels, no LLM); then
    `spacy train configs/train.cfg --paths.init_tok2vec OUTPUT_DIR/model-last.bin`."""
    step = Step("pretrain")
    settings = PretrainSettings(max_epochs=max_epochs, seed=seed)
    use_gpu(gpu_id)
    result = pretrain_tok2vec((t for _, t in read_text_lines(texts, "texts")), config, output_dir, settings, gpu_id)
    msg.good(f"Wrote {result['weights']}: {result['epochs']} epochs over {result['texts']} texts")
    step.finish(metrics, result)


@app.command("train-student", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@friendly_errors
def train_student_cli(
    ctx: typer.Context,
    config_path: Path = typer.Argument(
        ..., help="The student's training config (configs/train_minilm.cfg).", exists=True, dir_okay=False
    ),
    output_path: Path = typer.Argument(..., help="Where spaCy saves model-best and model-last."),
    metrics: Path = typer.Option(Path("metrics/train_student.json"), help="Metrics JSON: training texts and steps."),
    gpu_id: int = GPU_ID,
    scale_steps: bool = typer.Option(
        False,
        "--scale-steps",
        help=f"Grow the steps with your texts: the config's steps per {MEASURED_TRAIN_TEXTS} training texts.",
    ),
) -> None:
    """`spacy train` for the transformer student: the config's steps, or with `--scale-steps` as many per
    900 training texts, never fewer (`--training.max_steps N` fixes them). Any other setting as `spacy
    train` takes it: `--paths.train`, `--paths.dev`, `--section.key value`."""
    from spacy.cli._util import parse_config_overrides

    step = Step("train-student")
    result = train_student(config_path, output_path, parse_config_overrides(ctx.args), gpu_id, scale_steps)
    texts = result["train_texts"]
    how = f"the config's per {MEASURED_TRAIN_TEXTS} texts, for {texts}" if result["scaled"] else "as set"
    msg.good(f"Trained {output_path}: {result['max_steps']} steps ({how})")
    step.finish(metrics, result)


@app.command("estimate")
@friendly_errors
def estimate_cli(
    shipped: Path = typer.Argument(..., help="The model you ship (e.g. runs/distill/model/model-best).", exists=True),
    heldout: Path = typer.Argument(
        ..., help="The teacher's labels of held-out texts (to-docbin --heldout-share).", exists=True
    ),
    student: Optional[Path] = typer.Option(None, exists=True, help="The transformer student, compared too."),
    train: Optional[Path] = typer.Option(None, exists=True, help="Training DocBin: entities per type are checked."),
    output: Path = typer.Option(Path("metrics/estimate.json"), "--output", "-o", help="Metrics JSON."),
    max_gap: float = typer.Option(
        EstimateSettings.max_gap, help="Warn when the shipped model trails the student by more."
    ),
    min_agreement: float = typer.Option(EstimateSettings.min_agreement, help="Warn below this agreement F1."),
    min_entities: int = typer.Option(
        EstimateSettings.min_entities, help="Warn about types with fewer training entities."
    ),
    min_heldout: int = typer.Option(
        EstimateSettings.min_heldout, help="Warn that the figures are rough with fewer held-out texts."
    ),
    gpu_id: int = GPU_ID,
) -> None:
    """How closely the shipped model (and the student) follow their teacher on texts none of them saw: an
    estimate when you have no gold set, with a warning where the shipped model falls short."""
    step = Step("estimate")
    use_gpu(gpu_id)
    settings = EstimateSettings(
        max_gap=max_gap, min_agreement=min_agreement, min_entities=min_entities, min_heldout=min_heldout
    )
    result = estimate(shipped, heldout, student, train, settings)
    for name, f in result["agreement"].items():
        lo, hi = result["interval"][name]
        docs = result["scores"][name]["docs"]
        msg.info(f"{name}: agreement with the teacher on {docs} held-out texts, F1 {f:.3f} ({lo:.3f}-{hi:.3f})")
    for warning in result["warnings"]:
        msg.warn(warning)
    if not result["warnings"]:
        msg.good("The shipped model follows its teacher closely; no warning")
    step.finish(output, result)


@app.command("vectors")
@friendly_errors
def vectors_cli(
    texts: Path = typer.Argument(..., help="Your texts: one per line, or JSONL with a 'text' field.", exists=True),
    output: Path = typer.Argument(..., help="Folder for the vectors: a blank spaCy pipeline (--paths.vectors)."),
    lang: str = typer.Option("en", help="Language whose tokenizer splits the texts (the training config's)."),
    metrics: Path = typer.Option(Path("metrics/vectors.json"), help="Metrics JSON."),
) -> None:
    """Static word vectors for the fast CNN from the embedder's word pieces, for every word of your texts
    (no LLM); then `spacy train configs/train.cfg --paths.vectors OUTPUT
    --components.tok2vec.model.embed.include_static_vectors true`."""
    step = Step("vectors")
    result = embedder_vectors((t for _, t in read_text_lines(texts, "texts")), output, lang)
    msg.good(f"Wrote {output}: vectors for {result['words']} words ({result['forms']} forms)")
    step.finish(metrics, result)
