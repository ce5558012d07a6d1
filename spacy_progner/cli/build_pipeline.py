"""`build-pipeline`: a saved spaCy pipeline with `reverse_ner` from a texts file and a labels file;
`add-demos`: your own texts the tagger labelled and a cross-check agreed with join its library;
`check-build`: how consistently the tagger reproduces the library's own examples (no gold needed)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..distill.annotate import tagger_pipe
from ..files import load_saved_pipeline, read_jsonl
from ..llm.select import model_block
from ..reverse_ner.build import BuildSettings
from ..reverse_ner.component import read_texts
from ..reverse_ner.infer import TagSettings
from ..reverse_ner.pipeline import reverse_ner_pipeline
from ..reverse_ner.selfcheck import SelfCheckSettings, self_check
from ..reverse_ner.user_demos import UserDemoSettings, add_user_demos
from ._app import CACHE, MODEL, SEED, app, friendly_errors, load_model, write_metrics


@app.command("build-pipeline")
@friendly_errors
def build_pipeline_cli(
    texts: Path = typer.Argument(
        ..., help="Unlabelled task text: .txt (one text per line) or .jsonl with 'text'.", exists=True, dir_okay=False
    ),
    labels: Path = typer.Argument(
        ..., help="Labels with definitions: YAML/JSON mapping, or a domain spec.", exists=True, dir_okay=False
    ),
    output: Path = typer.Argument(..., help="Directory to save the spaCy pipeline to."),
    lang: str = typer.Option("en", help="Language of the blank pipeline."),
    k: int = typer.Option(TagSettings.k, help="Demos per sentence."),
    group_size: int = typer.Option(TagSettings.group_size, help="Similar texts per request, sharing their demos."),
    n_clusters: int = typer.Option(BuildSettings.n_clusters, help="Feature sentences taken from the task text."),
    entities_per_type: int = typer.Option(BuildSettings.entities_per_type, help="Entities asked for per type."),
    expansions: int = typer.Option(
        BuildSettings.expansions_per_feature, help="Example sentences per feature sentence."
    ),
    check_pools: bool = typer.Option(BuildSettings.check_pools, help="The model checks each pool entity's type."),
    check_examples: str = typer.Option(
        BuildSettings.check_examples, help="Unlabelled mentions in an example: complete | drop | off (no check)."
    ),
    min_examples_per_type: int = typer.Option(
        BuildSettings.min_examples_per_type, help="A type with fewer examples gets expansions of its own (0: none)."
    ),
    other_names: bool = typer.Option(
        TagSettings.other_names, help="Offer an OTHER type for names none of the labels covers, and drop them."
    ),
    kind_check: bool = typer.Option(
        TagSettings.kind_check, help="Type each text's names again against named kinds; drop those given one."
    ),
    seed: int = SEED,
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    metrics: Optional[Path] = typer.Option(None, help="Write build counts and usage here (JSON)."),
) -> None:
    """Build the example library with the LLM and save a pipeline that `spacy.load` brings back."""
    text_list = read_texts(texts)
    nlp, pipe = reverse_ner_pipeline(
        labels,
        model_block(model, cache_path),
        lang=lang,
        k=k,
        group_size=group_size,
        n_clusters=n_clusters,
        entities_per_type=entities_per_type,
        expansions_per_feature=expansions,
        check_pools=check_pools,
        check_examples=check_examples,
        min_examples_per_type=min_examples_per_type,
        other_names=other_names,
        kind_check=kind_check,
        seed=seed,
    )
    start = time.perf_counter()
    with pipe.model.ledger.step("build-pipeline"):
        pipe.initialize(texts=text_list)
    output.mkdir(parents=True, exist_ok=True)  # spaCy makes only the last folder
    nlp.to_disk(output)
    lib = pipe.library
    assert lib is not None  # initialize built it (k > 0) or raised
    msg.good(
        f"Saved {output}: {len(lib)} examples from {len(lib.features)} feature sentences "
        f"in {time.perf_counter() - start:.0f} s"
    )
    if metrics:
        write_metrics(
            metrics,
            {
                "examples": len(lib),
                "features": len(lib.features),
                "counts": lib.meta["counts"],
                "usage": lib.meta["usage"],
                "seconds": lib.meta["seconds"],
            },
        )


@app.command("add-demos")
@friendly_errors
def add_demos_cli(
    pipeline: Path = typer.Argument(..., help="A saved reverse_ner pipeline (build-pipeline).", exists=True),
    corpus: Path = typer.Argument(
        ..., help="Your texts as labelled and cross-checked (crosscheck's output).", exists=True
    ),
    output: Path = typer.Argument(..., help="Directory to save the pipeline with the larger library to."),
    budget: int = typer.Option(UserDemoSettings.budget, help="Texts added at most, the most confident first."),
    min_confidence: float = typer.Option(UserDemoSettings.min_confidence, help="Every label at least this sure."),
    max_empty_share: float = typer.Option(UserDemoSettings.max_empty_share, help="Share of added texts without names."),
    metrics: Optional[Path] = typer.Option(None, help="Write the counts here (JSON)."),
) -> None:
    """Demos from your own text: labelled texts whose every label a cross-check student agreed with join the
    example library beside the self-made ones (no LLM calls)."""
    settings = UserDemoSettings(budget=budget, min_confidence=min_confidence, max_empty_share=max_empty_share)
    nlp = load_saved_pipeline(pipeline, "add-demos pipeline")
    pipe = tagger_pipe(nlp, str(pipeline))
    assert pipe.library is not None  # tagger_pipe refuses a k > 0 pipe without one
    library, counts = add_user_demos(pipe.library, read_jsonl(corpus, "corpus"), pipe.label_names, settings)
    pipe.set_library(library)
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    msg.good(f"Saved {output}: {counts['added']} of your texts joined {len(library) - counts['added']} examples")
    if metrics:
        write_metrics(metrics, counts)


@app.command("check-build")
@friendly_errors
def check_build_cli(
    pipeline: Path = typer.Argument(..., help="A saved reverse_ner pipeline (build-pipeline).", exists=True),
    max_examples: int = typer.Option(SelfCheckSettings.max_examples, help="Examples checked, one call each (0: all)."),
    min_agreement: float = typer.Option(SelfCheckSettings.min_agreement, help="Warn about a type below this F1."),
    seed: int = SEED,
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    metrics: Optional[Path] = typer.Option(
        None, help="Write the agreement, the examples not reproduced and the warnings here (JSON)."
    ),
) -> None:
    """Check a build without gold: the tagger labels each library example with the nearest other examples as
    demos; how often it reproduces their labels says, per type, where the build is weak."""
    settings = SelfCheckSettings(min_agreement=min_agreement, max_examples=max_examples, seed=seed)
    nlp = load_saved_pipeline(pipeline, "check-build pipeline")
    pipe = tagger_pipe(nlp, str(pipeline))
    pipe.model = pipe.tagger.model = load_model(model, cache_path)
    result = self_check(pipe.tagger, settings)
    per_type = ", ".join(f"{label} {prf['f']:.2f}" for label, prf in result["per_type"].items())
    done = f"{result['reproduced']} of {result['examples']} examples reproduced"
    msg.info(f"{done}; agreement F1 {result['agreement']:.3f} ({per_type})")
    for warning in result["warnings"]:
        msg.warn(warning)
    if not result["warnings"]:
        msg.good("No type falls below the agreement threshold")
    if metrics:
        write_metrics(metrics, result)
