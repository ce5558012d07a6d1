"""`bench-ner`: reverse_ner vs spacy.NER.v3 vs gold retrieval on real data (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..reverse_ner.benchmark import CONFIGS, markdown, run
from ..reverse_ner.build import BuildSettings
from ..reverse_ner.infer import TagSettings
from ._app import app, friendly_errors, write_metrics


@app.command("bench-ner")
@friendly_errors
def bench_ner_cli(
    datasets: str = typer.Option("conll2003,wikigold", help="Comma-separated: conll2003, wikigold."),
    configs: str = typer.Option(",".join(CONFIGS), help="Comma-separated configurations."),
    n: int = typer.Option(150, help="Test sentences per dataset (fixed sample)."),
    seed: int = typer.Option(2024, help="Seed of the test sample."),
    k: int = typer.Option(TagSettings.k, help="Demos per sentence."),
    n_samples: int = typer.Option(5, help="Samples for the self-consistency configuration."),
    n_clusters: int = typer.Option(BuildSettings.n_clusters, help="Feature sentences for the library."),
    expansions: int = typer.Option(BuildSettings.expansions_per_feature, help="Expansions per feature sentence."),
    entities_per_type: int = typer.Option(BuildSettings.entities_per_type, help="Pool size asked for per type."),
    output_dir: Path = typer.Option(Path("metrics/bench_ner"), help="Per-configuration results and libraries."),
    output: Path = typer.Option(Path("metrics/bench_ner.json"), help="Summary JSON (a .md table beside it)."),
    cache_path: Optional[str] = typer.Option(None, help="LLM cache (default: user cache dir): keeps reruns free."),
    force: bool = typer.Option(False, help="Recompute results that exist."),
    time_n: int = typer.Option(30, help="Sentences timed per configuration with the answer cache off (0: none)."),
    summarize_only: bool = typer.Option(False, help="Tabulate the finished rows; never call the model."),
    retime: bool = typer.Option(False, help="Time finished rows again (their quality pass is kept)."),
) -> None:
    """Benchmark reverse_ner on fixed samples of real test sets; prints a table and writes JSON + Markdown."""
    build = BuildSettings(n_clusters=n_clusters, expansions_per_feature=expansions, entities_per_type=entities_per_type)
    report = run(
        datasets.split(","),
        configs.split(","),
        n,
        seed,
        output_dir,
        cache_path,
        k,
        n_samples,
        build,
        force,
        time_n,
        summarize_only,
        retime,
    )
    table = markdown(report)
    print(table)
    write_metrics(output, report)
    output.with_suffix(".md").write_text(table, encoding="utf8")
    msg.good(f"Wrote {output.with_suffix('.md')}")
