"""ProgGen commands: attributes -> entities -> generate -> correct -> to-docbin -> (spacy train) -> evaluate -> report.

Every command prints a progress bar, resumes through the LLM cache (`--cache-path`), and writes a
metrics JSON with its counts and the usage ledger. `--model` picks the model: `local` (the embedded
default), `gguf:/path/model.gguf`, or a JSON/YAML file holding a registry block such as
{"@llm_models": "spacy_progner.OpenAICompatible.v1", "base_url": "...", "model": "..."}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

import srsly
import typer
from wasabi import msg

from ..corpus.bio import bio_docbin
from ..corpus.docbin import ALIGNMENT_MODE, DEV_SHARE, HELDOUT_SHARE, MISSING_SHARE, to_docbin
from ..corpus.evaluate import evaluate_model
from ..errors import StepError
from ..files import read_jsonl, read_yaml, write_jsonl, write_yaml
from ..proggen.attributes import TOPIC, AttributeSettings, build_attributes, load_attributes
from ..proggen.checkpoint import generate_in_legs, state_path
from ..proggen.correct import CorrectSettings, correct
from ..proggen.entities import EntitySettings, build_pools, load_pools
from ..proggen.generate import VARIANTS, GenerateSettings
from ..proggen.report import build_report, write_report
from ..review.decisions import read_reviewed
from ._app import CACHE, DOMAIN, GPU_ID, MODEL, SAMPLES_IN, SEED, Step, app, friendly_errors, read_spec, use_gpu


@app.command("attributes")
@friendly_errors
def attributes_cli(
    domain: Path = DOMAIN,
    output: Path = typer.Argument(..., help="Attributes YAML to write (review it by hand)."),
    metrics: Path = typer.Option(Path("metrics/attributes.json"), help="Metrics JSON."),
    n_dimensions: int = typer.Option(
        AttributeSettings.n_dimensions, help="Attribute dimensions to ask for besides topic."
    ),
    n_values: int = typer.Option(AttributeSettings.n_values, help="Values asked per call."),
    calls_per_dimension: int = typer.Option(
        AttributeSettings.calls_per_dimension, help="Calls per dimension (shuffled examples, own seeds)."
    ),
    max_values: int = typer.Option(AttributeSettings.max_values, help="Values kept per dimension."),
    probability: float = typer.Option(
        AttributeSettings.probability, help="Probability of using a non-topic dimension in a prompt."
    ),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
) -> None:
    """Diversify X: attribute dimensions of the domain's text and values for each."""
    step = Step("attributes", domain)
    spec = step.spec
    settings = AttributeSettings(n_dimensions, n_values, calls_per_dimension, max_values, probability, seed=seed)
    result = step.ask(model, cache_path, lambda llm: build_attributes(llm, spec, settings))
    write_yaml(
        output, result["attributes"], header=f"# Diversify X attributes for {spec.path}; edit by hand if you like."
    )
    msg.good(f"Wrote {output}: " + ", ".join(f"{k} ({v})" for k, v in result["metrics"]["values"].items()))
    step.finish(metrics, result["metrics"])


@app.command("entities")
@friendly_errors
def entities_cli(
    domain: Path = DOMAIN,
    attributes: Optional[Path] = typer.Option(None, help="Attributes YAML (its topic values condition latent pools)."),
    output: Path = typer.Argument(..., help="Entity pools JSON to write."),
    metrics: Path = typer.Option(Path("metrics/entities.json"), help="Metrics JSON."),
    kind: str = typer.Option(EntitySettings.kind, help="vanilla | latent | both."),
    n_per_call: int = typer.Option(EntitySettings.n_per_call, help="Vanilla: entities asked per call."),
    calls_per_type: int = typer.Option(EntitySettings.calls_per_type, help="Vanilla: calls per type."),
    n_per_topic: int = typer.Option(EntitySettings.n_per_topic, help="Latent: entities asked per (topic, type)."),
    max_topics: Optional[int] = typer.Option(EntitySettings.max_topics, help="Latent: only the first N topic values."),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
) -> None:
    """Diversify Y: entity pools per type, vanilla and/or conditioned on each topic value."""
    step = Step("entities", domain)
    spec = step.spec
    topics = None
    if attributes is not None:
        dims = load_attributes(read_yaml(attributes, "attributes"), str(attributes))
        topics = dims.get(TOPIC, {}).get("values")
    settings = EntitySettings(kind, n_per_call, calls_per_type, n_per_topic, max_topics, seed=seed)
    result = step.ask(model, cache_path, lambda llm: build_pools(llm, spec, settings, topics))
    output.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output, result["pools"])
    msg.good(f"Wrote {output}: vanilla " + ", ".join(f"{k} {v}" for k, v in result["metrics"]["vanilla"].items()))
    step.finish(metrics, result["metrics"])


def _read_pools(path: Optional[Path]) -> Optional[Dict[str, Any]]:
    if path is None:
        return None
    if not path.is_file():
        raise StepError(f"entity pools file {path} does not exist; run `entities` first")
    try:
        data = json.loads(path.read_text(encoding="utf8"))
    except ValueError as err:
        raise StepError(f"{path}: not JSON ({err})") from err
    return load_pools(data, str(path))


@app.command("generate")
@friendly_errors
def generate_cli(
    domain: Path = DOMAIN,
    variant: str = typer.Option(GenerateSettings.variant, help=" | ".join(VARIANTS)),
    n_sentences: int = typer.Option(
        GenerateSettings.n_sentences, help="Sentences to keep (after validation and deduplication)."
    ),
    per_call: Optional[int] = typer.Option(None, help="Sentences per call (default 6 for simple, else 3)."),
    max_calls: Optional[int] = typer.Option(None, help="Give up after this many calls (default 3x the need)."),
    attributes: Optional[Path] = typer.Option(None, help="Attributes YAML (diversify-x, diversify-x+y)."),
    entities: Optional[Path] = typer.Option(None, help="Entity pools JSON (diversify-y-*, diversify-x+y)."),
    output: Path = typer.Argument(..., help="Samples JSONL to write (its run state lies beside it until done)."),
    metrics: Path = typer.Option(Path("metrics/generate.json"), help="Metrics JSON."),
    temperature: float = typer.Option(GenerateSettings.temperature, help="Sampling temperature."),
    tokens_per_sentence: int = typer.Option(
        GenerateSettings.tokens_per_sentence,
        help="Answer budget (max_tokens) per sentence asked; raise it if answers are cut off at max_tokens.",
    ),
    shape_filter: bool = typer.Option(
        GenerateSettings.shape_filter,
        help="Drop annotations unlike all of their type's entities in the spec (a lower-case word as PER).",
    ),
    script_filter: bool = typer.Option(
        GenerateSettings.script_filter,
        help="Drop sentences with letters of a script none of the spec's demos use (a Chinese word in English).",
    ),
    per_sentence: bool = typer.Option(
        GenerateSettings.per_sentence,
        help="Assign the pool names to each sentence (--no-per-sentence: one list per call, as ProgGen).",
    ),
    skip_ambiguous: bool = typer.Option(
        GenerateSettings.skip_ambiguous, help="Leave out pool names listed under more than one type."
    ),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
) -> None:
    """Sentences with annotations (one JSON-schema call, log-probs kept), validated and deduplicated."""
    step = Step("generate", domain)
    spec = step.spec
    settings = GenerateSettings(
        variant,
        n_sentences,
        per_call,
        max_calls,
        temperature=temperature,
        tokens_per_sentence=tokens_per_sentence,
        shape_filter=shape_filter,
        script_filter=script_filter,
        per_sentence=per_sentence,
        skip_ambiguous=skip_ambiguous,
        seed=seed,
    )
    attrs = load_attributes(read_yaml(attributes, "attributes"), str(attributes)) if attributes else None
    pools = _read_pools(entities)
    state = state_path(output)
    if state.exists():
        msg.info(f"Resuming from {state} (the run's saved state; delete it to start over)")
    result = step.ask(model, cache_path, lambda llm: generate_in_legs(llm, spec, settings, attrs, pools, state))
    write_jsonl(output, result["samples"])
    m = result["metrics"]
    msg.good(f"Wrote {output}: {m['kept_sentences']} sentences, {m['kept_entities']} entities from {m['calls']} calls")
    if m["drops"]:
        msg.info("Dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(m["drops"].items())))
    step.finish(metrics, m)


@app.command("correct")
@friendly_errors
def correct_cli(
    domain: Path = DOMAIN,
    input: Path = SAMPLES_IN,
    output: Path = typer.Argument(..., help="Corrected samples JSONL to write."),
    metrics: Path = typer.Option(Path("metrics/correct.json"), help="Metrics JSON (with every decision)."),
    threshold: float = typer.Option(
        CorrectSettings.threshold, help="Re-check annotations whose mean token log-prob is below this."
    ),
    max_share: float = typer.Option(CorrectSettings.max_share, help="At most this share of each type's annotations."),
    spans_per_prompt: int = typer.Option(CorrectSettings.spans_per_prompt, help="Spans per prompt (all of one type)."),
    select_by: str = typer.Option(
        CorrectSettings.select_by,
        help="logprob (needs log-probs) | agreement (entities marked by `crosscheck`; any backend).",
    ),
    entities: Optional[Path] = typer.Option(
        None, help="The entity pools JSON the corpus was generated from: its required names' types are checked first."
    ),
    pool_rule: str = typer.Option(
        CorrectSettings.pool_rule, help="With --entities: recheck (A/B/C/D) | trust_pool (the pool type wins)."
    ),
    trust_spec: bool = typer.Option(
        CorrectSettings.trust_spec, help="Drop annotations the spec's guideline demos judge D under their type."
    ),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
) -> None:
    """Self-correction: A/B/C/D re-annotation of the least certain annotations, applied."""
    step = Step("correct", domain)
    spec = step.spec
    samples = read_jsonl(input, "samples")
    settings = CorrectSettings(
        threshold,
        max_share,
        spans_per_prompt,
        seed=seed,
        select_by=select_by,
        pool_rule=pool_rule,
        trust_spec=trust_spec,
    )
    pools = _read_pools(entities)
    result = step.ask(model, cache_path, lambda llm: correct(llm, spec, samples, settings, pools))
    write_jsonl(output, result["samples"])
    m = result["metrics"]
    msg.good(
        f"Wrote {output}: re-checked {m['selection']['selected']} of {m['selection']['annotations']} annotations; "
        + ", ".join(f"{k} {v}" for k, v in m["choices"].items())
    )
    step.finish(metrics, {**m, "decisions": result["decisions"]})


@app.command("to-docbin")
@friendly_errors
def to_docbin_cli(
    domain: Path = DOMAIN,
    input: Path = SAMPLES_IN,
    output_dir: Path = typer.Argument(..., help="Folder to write train.spacy and dev.spacy to."),
    metrics: Path = typer.Option(Path("metrics/to_docbin.json"), help="Metrics JSON."),
    dev_share: float = typer.Option(DEV_SHARE, help="Share of the samples held out as dev set."),
    alignment_mode: str = typer.Option(ALIGNMENT_MODE, help="strict | expand | contract (spaCy char_span)."),
    demo_weight: int = typer.Option(0, help="Add the domain spec's demos this many times to train."),
    extra: str = typer.Option(
        "", help="More samples to add (e.g. a ProgGen corpus beside an annotated one); '' for none."
    ),
    seed: int = SEED,
    missing_share: float = typer.Option(
        MISSING_SHARE,
        help="Share of an annotated corpus's entities, the least confident, trained as unknown (missing) tokens.",
    ),
    reviewed: str = typer.Option(
        "", help="Review log (`review`): its texts replace theirs, as gold; '' for none (a workflow's default)."
    ),
    reviewed_dev: int = typer.Option(0, help="Hold out this many reviewed texts as dev.spacy (a real dev set)."),
    heldout_share: float = typer.Option(
        HELDOUT_SHARE, help="Share of the unreviewed samples kept out of train and dev as heldout.spacy (`estimate`)."
    ),
) -> None:
    """Tokenize, align the annotations to tokens (drops counted), write train/dev DocBins."""
    step = Step("to-docbin", domain)
    spec = step.spec
    samples = read_jsonl(input, "samples")
    if extra.strip():
        samples += read_jsonl(Path(extra), "extra samples")
    gold = None
    if reviewed.strip():
        if not Path(reviewed).is_file():
            raise StepError(f"to-docbin --reviewed: {reviewed} is not a file (the log `review` writes)")
        gold = read_reviewed(Path(reviewed))
    m = to_docbin(
        spec, samples, output_dir, dev_share, alignment_mode, demo_weight, seed,
        missing_share=missing_share, reviewed=gold, reviewed_dev=reviewed_dev, heldout_share=heldout_share,
    )  # fmt: skip
    msg.good(f"Wrote {output_dir}/train.spacy ({m['train_docs']} docs) and dev.spacy ({m['dev_docs']} docs)")
    if m["heldout_docs"]:
        msg.good(f"Held out {m['heldout_docs']} docs as {output_dir}/heldout.spacy")
    if m["alignment"]["dropped"]:
        msg.info("Alignment drops: " + ", ".join(f"{k} {v}" for k, v in m["alignment"]["dropped"].items()))
    step.finish(metrics, m)


@app.command("dataset-docbin")
@friendly_errors
def dataset_docbin_cli(
    domain: Path = DOMAIN,
    data: Path = typer.Argument(..., help="Labelled data: JSONL with 'tokens' and BIO 'tags' per line.", exists=True),
    output: Path = typer.Argument(..., help="DocBin to write."),
    limit: Optional[int] = typer.Option(None, help="A fixed random sample of this many sentences."),
    seed: int = SEED,
) -> None:
    """Convert labelled tokens + BIO tags (read in place) to a DocBin with the domain's types only: a gold set."""
    spec = read_spec(domain)
    info = bio_docbin(data, list(spec.types), output, limit, seed)
    msg.good(f"Wrote {output}: {info['docs']} docs, {info['entities']} entities")


@app.command("evaluate")
@friendly_errors
def evaluate_cli(
    trained: Path = typer.Argument(..., help="Trained spaCy pipeline (e.g. training/model-best)."),
    data: str = typer.Argument(..., help="DocBin of a real test set (see dataset-docbin); '' when you have none."),
    output: Path = typer.Option(Path("metrics/evaluate.json"), "--output", "-o", help="Metrics JSON."),
    gpu_id: int = GPU_ID,
) -> None:
    """spaCy evaluation on a real test set: micro and per-type P/R/F, docs/s."""
    step = Step("evaluate")
    use_gpu(gpu_id)
    if not data.strip():
        msg.warn("evaluate: no gold test set given; skipped (give a DocBin, e.g. from dataset-docbin)")
        step.finish(output, {"model": str(trained), "skipped": "no gold test set"})
        return
    scores = evaluate_model(trained, Path(data))
    rows = [("micro", scores["ents_p"], scores["ents_r"], scores["ents_f"])]
    rows += [(k, v["p"], v["r"], v["f"]) for k, v in sorted(scores["per_type"].items())]
    msg.table([(n, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}") for n, p, r, f in rows], header=("type", "P", "R", "F"))
    step.finish(output, {"model": str(trained), "data": str(data), **scores})


@app.command("report")
@friendly_errors
def report_cli(
    domain: Path = DOMAIN,
    samples: Path = SAMPLES_IN,
    output: Path = typer.Argument(..., help="HTML page to write."),
    entities: Optional[Path] = typer.Option(None, help="Entity pools JSON."),
    metrics_dir: Path = typer.Option(Path("metrics"), help="Folder with the steps' metrics JSON."),
    n_show: int = typer.Option(25, help="Sentences rendered with displaCy."),
    seed: int = SEED,
) -> None:
    """An HTML page: displaCy samples, type/attribute distributions, diversity, A/B/C/D counts, usage per step."""
    spec = read_spec(domain)
    rows = read_jsonl(samples, "samples")
    metrics: Dict[str, Any] = {}
    for name in (
        "attributes",
        "entities",
        "generate",
        "annotate",
        "crosscheck",
        "tagcheck",
        "correct",
        "to_docbin",
        "evaluate",
    ):
        path = metrics_dir / f"{name}.json"
        if path.is_file():
            metrics[name] = srsly.read_json(path)
    variant = (metrics.get("generate") or {}).get("variant")
    html = build_report(spec, rows, metrics, _read_pools(entities), n_show, seed, variant)
    write_report(output, html)
    msg.good(f"Wrote {output}")
