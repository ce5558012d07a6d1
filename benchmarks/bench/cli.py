"""`python -m bench llm | ner | proggen | distill | tables | scale`, run in `benchmarks/`: thin commands over the
benchmark modules, in the manner of spaCy's `benchmark` commands. Each prints a table and writes JSON
(+ Markdown); each is resumable and `--summarize-only` tabulates finished rows without the model."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from spacy_progner.cli._app import CACHE, MODEL, SEED, friendly_errors, gguf_path, load_model, write_metrics
from spacy_progner.distill.crosscheck import CrossCheckSettings
from spacy_progner.errors import SettingsError
from spacy_progner.llm.local import N_PARALLEL
from spacy_progner.reverse_ner.build import BuildSettings
from spacy_progner.reverse_ner.infer import TagSettings

from .datasets import ANNOTATE_N, ENV, SAMPLE_N, SAMPLE_SEED
from .paths import DISTILL_DIR, DOMAINS_DIR, METRICS_DIR, PROGGEN_DIR, SCALE_DIR, TRAIN_CONFIG, check_cwd
from .proggen import ALL_CONFIGS as PROGGEN_CONFIGS
from .reverse_ner import CONFIGS as NER_CONFIGS
from .reverse_ner import DEFAULT_CONFIGS as NER_DEFAULTS

benchmark_app = typer.Typer(
    name="bench",
    help="Benchmarks on real data: the LLM layer, reverse_ner, ProgGen corpora, distillation.",
    no_args_is_help=True,
    add_completion=False,
)


@benchmark_app.callback()
def datasets_option(
    datasets_dir: Optional[Path] = typer.Option(
        None, "--datasets-dir", help=f"The evaluation datasets folder (else ${ENV}, else ../shared/datasets)."
    ),
) -> None:
    check_cwd()
    if datasets_dir is not None:
        os.environ[ENV] = str(datasets_dir)


def _names(datasets: str) -> list:
    return [d.strip() for d in datasets.split(",") if d.strip()]


def _seeds(values: str, option: str) -> List[int]:
    """Comma-separated non-negative integers, or a clear error naming the option."""
    names = _names(values)
    if not all(x.isdigit() for x in names):
        raise SettingsError(f"{option}: expected comma-separated non-negative integers, got {values!r}")
    return [int(x) for x in names]


@benchmark_app.command("llm")
@friendly_errors
def llm_cli(
    output: Path = typer.Option(METRICS_DIR / "bench_llm.json", "--output", "-o"),
    model: str = MODEL,
    repeats: int = typer.Option(2, help="Rounds over the 6 generation prompts per path."),
    hits: int = typer.Option(200, help="Cache hits to time."),
) -> None:
    """The LLM layer against raw xllamacpp: overhead, cache-hit latency, shared-prefix effect."""
    from .llm import run

    result, rows = run(gguf_path(model, "bench llm"), repeats, hits)
    msg.table(rows, header=("measure", "value"), divider=True)
    write_metrics(output, result)


@benchmark_app.command("ner")
@friendly_errors
def ner_cli(
    datasets: str = typer.Option(
        "conll2003,wikigold", help="Comma-separated, of conll2003, wikigold, mit_movie, mit_restaurant."
    ),
    configs: str = typer.Option(
        ",".join(NER_DEFAULTS), help=f"Comma-separated configurations, of {', '.join(NER_CONFIGS)}."
    ),
    n: int = typer.Option(SAMPLE_N, help="Test sentences per dataset (fixed sample)."),
    seed: int = typer.Option(SAMPLE_SEED, help="Seed of the test sample."),
    k: int = typer.Option(TagSettings.k, help="Demos per sentence."),
    n_samples: int = typer.Option(5, help="Samples for the self-consistency configuration."),
    n_clusters: int = typer.Option(BuildSettings.n_clusters, help="Feature sentences for the library."),
    expansions: int = typer.Option(BuildSettings.expansions_per_feature, help="Expansions per feature sentence."),
    entities_per_type: int = typer.Option(BuildSettings.entities_per_type, help="Pool size asked for per type."),
    check_examples: str = typer.Option(BuildSettings.check_examples, help="Example check: drop | complete | off."),
    build_seed: int = typer.Option(
        BuildSettings.seed, help="Seed of the library build: another seed is another build of the same settings."
    ),
    output_dir: Path = typer.Option(METRICS_DIR / "bench_ner", help="Per-configuration results and libraries."),
    output: Path = typer.Option(METRICS_DIR / "bench_ner.json", help="Summary JSON (a .md table beside it)."),
    cache_path: Optional[str] = CACHE,
    force: bool = typer.Option(False, help="Recompute results that exist."),
    time_n: int = typer.Option(30, help="Sentences timed per configuration with the answer cache off (0: none)."),
    summarize_only: bool = typer.Option(False, help="Tabulate the finished rows; never call the model."),
    retime: bool = typer.Option(False, help="Time finished rows again (their quality pass is kept)."),
    domains_dir: Path = typer.Option(DOMAINS_DIR, help="Where <dataset>.yml domain specs live (MIT types)."),
    answer_form: str = typer.Option(TagSettings.answer_form, help="Tagging answer form: mentions | pairs | by_type."),
    group_size: int = typer.Option(TagSettings.group_size, help="Similar sentences per request (shared demos)."),
    library_dir: Optional[Path] = typer.Option(
        None, help="Where the self-made libraries are (default: --output-dir); rows of another setting reuse them."
    ),
    split: str = typer.Option(
        "test",
        help="test; tune: the distillation's train sample (no library reads it), to try a prompt on; fresh: the "
        "test sentences outside the reported sample, to confirm a kept lever.",
    ),
    n_parallel: Optional[int] = typer.Option(
        None, help=f"Sequences the embedded model batches together (default {N_PARALLEL}); a speed lever."
    ),
    types: str = typer.Option(
        "", help="Ask for and score only these types (comma-separated): an out-of-type row; '' for all."
    ),
    other_names: bool = typer.Option(
        TagSettings.other_names, help="Offer the OTHER outlet for names of no asked type (reverse_ner rows)."
    ),
    kind_check: bool = typer.Option(
        TagSettings.kind_check, help="Type each sentence's names again against named kinds (reverse_ner rows)."
    ),
    check_build: bool = typer.Option(
        False, help="Also the self-made library's label-free check (check-build: one call per example)."
    ),
    user_corpus: Optional[Path] = typer.Option(
        None, help="The cross-checked corpus library+user takes demos from (default: the distillation's review one)."
    ),
) -> None:
    """reverse_ner vs spacy-llm's spacy.NER.v3 vs gold retrieval on fixed samples of real test sets."""
    from .reverse_ner import markdown, run

    build = BuildSettings(
        n_clusters=n_clusters,
        expansions_per_feature=expansions,
        entities_per_type=entities_per_type,
        check_examples=check_examples,
        seed=build_seed,
    )
    report = run(
        _names(datasets),
        _names(configs),
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
        domains_dir,
        {"answer_form": answer_form, "group_size": group_size, "other_names": other_names, "kind_check": kind_check},
        library_dir,
        split,
        {} if n_parallel is None else {"n_parallel": n_parallel},
        _names(types) or None,
        check_build,
        user_corpus,
    )
    table = markdown(report)
    print(table)
    write_metrics(output, report)
    output.with_suffix(".md").write_text(table, encoding="utf8")
    msg.good(f"Wrote {output.with_suffix('.md')}")


@benchmark_app.command("proggen")
@friendly_errors
def proggen_cli(
    datasets: str = typer.Option("conll2003,mit_restaurant", help="Comma-separated dataset presets."),
    n_sentences: int = typer.Option(400, help="Kept synthetic sentences per configuration."),
    output_dir: Path = typer.Option(PROGGEN_DIR, help="Per-step results (resumable)."),
    domains_dir: Path = typer.Option(DOMAINS_DIR, help="Where <dataset>.yml domain specs live."),
    train_config: Path = typer.Option(TRAIN_CONFIG, help="spaCy training config."),
    train_steps: Optional[int] = typer.Option(None, help="Override training.max_steps."),
    test_limit: Optional[int] = typer.Option(None, help="Evaluate on a fixed sample of this many test sentences."),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
    force: bool = typer.Option(False, help="Redo finished steps (a step several configurations share: once)."),
    summarize_only: bool = typer.Option(False, help="Only tabulate what the step records hold (no step is run)."),
    configs: str = typer.Option(",".join(PROGGEN_CONFIGS), help="Comma-separated configurations to run."),
    train_seeds: str = typer.Option(
        "", help="Comma-separated extra `spacy train` seeds per configuration (e.g. 1,2): the spread one seed makes."
    ),
) -> None:
    """ProgGen: simple vs diversify-x+y + correction vs the real train split, on the real test split."""
    from .proggen import check_configs, collect, markdown, run

    names, chosen = _names(datasets), check_configs(_names(configs))
    start = time.perf_counter()
    if summarize_only:
        report = collect(output_dir, names, n_sentences, seed)
        if not report["datasets"]:
            raise SettingsError(f"benchmark proggen: no evaluated configuration under {output_dir} yet")
    else:
        factory = lambda: load_model(model, cache_path)  # noqa: E731
        args = (domains_dir, train_config, n_sentences, train_steps, test_limit, seed, force)
        seeds = _seeds(train_seeds, "--train-seeds")
        report = run(names, output_dir, factory, *args, cache_path=cache_path, configs=chosen, train_seeds=seeds)
        report["seconds"] = round(time.perf_counter() - start, 2)
    table = markdown(report)
    print(table)
    write_metrics(output_dir / "benchmark.json", report)
    (output_dir / "benchmark.md").write_text(table, encoding="utf8")
    msg.good(f"Wrote {output_dir / 'benchmark.md'}")


@benchmark_app.command("distill")
@friendly_errors
def distill_cli(
    datasets: str = typer.Option("conll2003,mit_restaurant", help="Comma-separated datasets."),
    n: int = typer.Option(ANNOTATE_N, "--n", help="Train-split sentences to annotate (read as text only)."),
    k: int = typer.Option(2, help="Demos per sentence when annotating (2: the CPU setting)."),
    folds: int = typer.Option(CrossCheckSettings.folds, help="Cross-check folds."),
    output_dir: Path = typer.Option(DISTILL_DIR, help="Step records and tables."),
    train_steps: Optional[int] = typer.Option(None, help="Override training.max_steps of configs/train.cfg."),
    summarize_only: bool = typer.Option(False, help="Tabulate the finished steps without running anything."),
    pretrain: bool = typer.Option(False, help="Also the rows whose CNN starts from a tok2vec pretrained on the text."),
    selftrain: bool = typer.Option(False, help="Also the self-trained second student and the CNN it labels for."),
    shape: bool = typer.Option(False, help="Also the student that reads word shapes, and its CNN (with --pretrain)."),
    vectors: bool = typer.Option(False, help="Also the CNNs that read static vectors from the embedder's word pieces."),
    wide: bool = typer.Option(False, help="Also the shipped CNN made wider (its own pretrained start)."),
    sizes: str = typer.Option(
        "", help="Learning curve: the two-stage rows on the first N annotated texts, per N (e.g. 250,500)."
    ),
    two_pass: int = typer.Option(
        0, help="Also the workflow with a two-pass teacher: the first N texts' sure labels join its library."
    ),
    more: str = typer.Option(
        "",
        help="Also the workflow on N more train texts past the sample, tagged by the same library, per N "
        "(the curve past the sample; e.g. 1000,2000: the second goes on from the first's labels).",
    ),
    scaled_student: bool = typer.Option(
        False, help="With --more: also the student with its steps grown with its texts (train-student), and its CNN."
    ),
    student_steps: str = typer.Option(
        "", help="Also the workflow's student trained N steps on the corrected sample, and its CNN, per N (e.g. 800)."
    ),
    extras_only: bool = typer.Option(
        False, help="Only the rows the flags above add; the base rows stay as their records say (no retraining)."
    ),
    cache_path: Optional[str] = CACHE,
    seed: int = SEED,
) -> None:
    """Distillation: reverse_ner labels train text, correction, spaCy trained on it, scored on the test split."""
    from .distill import run
    from .distill.render import markdown

    names = _names(datasets)
    report = run(
        names, output_dir, n, k, seed, cache_path, folds, train_steps=train_steps, summarize_only=summarize_only,
        pretrain=pretrain, selftrain=selftrain, sizes=_seeds(sizes, "--sizes"), shape=shape, vectors=vectors,
        two_pass=two_pass, more=_seeds(more, "--more"), wide=wide, extras_only=extras_only,
        scaled_student=scaled_student, student_steps=_seeds(student_steps, "--student-steps"),
    )  # fmt: skip
    print(markdown(report))


@benchmark_app.command("tables")
@friendly_errors
def tables_cli() -> None:
    """Every committed table and this folder's README.md, regenerated from the committed records (no model)."""
    from .index import regenerate

    for path in regenerate():
        msg.good(f"Wrote {path}")


@benchmark_app.command("corpus")
@friendly_errors
def corpus_cli(
    dataset: str = typer.Argument(..., help="conll2003 | mit_restaurant"),
    row: str = typer.Argument(..., help="A distillation row with a committed corpus, e.g. distill+correct."),
    output: Path = typer.Argument(..., help="The corpus in the sample format, its text read from the dataset."),
) -> None:
    """A committed distillation corpus (ids and offsets only) with its text joined from the dataset's train
    sample, as the package's own commands read it."""
    from spacy_progner.files import write_jsonl

    from .datasets import split_texts
    from .distill.corpus import read_offsets, with_text

    committed = DISTILL_DIR / dataset / row / "corrections.jsonl"
    if not committed.is_file():
        raise SettingsError(f"bench corpus: {committed} does not exist (rows with a committed corpus: distill+correct)")
    samples = with_text(read_offsets(committed), split_texts(dataset)[0])
    write_jsonl(output, samples)
    msg.good(f"Wrote {output}: {len(samples)} texts")


@benchmark_app.command("compare")
@friendly_errors
def compare_cli(
    measured: Path = typer.Argument(..., help="evaluate's metrics JSON of the run again.", exists=True),
    committed: Path = typer.Argument(..., help="The committed row's evaluate record.", exists=True),
) -> None:
    """A row run again beside its committed figures: same F1, or the difference."""
    import srsly

    new, old = srsly.read_json(measured), srsly.read_json(committed)
    rows = [(key, old[key], new[key]) for key in ("ents_f", "ents_p", "ents_r", "docs")]
    msg.table(rows, header=("measure", "committed", "run again"), divider=True)
    same = all(a == b for _, a, b in rows)
    (msg.good if same else msg.warn)("same figures" if same else "the figures differ")


@benchmark_app.command("review")
@friendly_errors
def review_cli(
    datasets: str = typer.Option("conll2003,mit_restaurant", help="Comma-separated datasets (their distill+correct)."),
    ns: str = typer.Option("0,50,100,200,400", help="Texts reviewed per row (0: the corpus without review)."),
    orders: str = typer.Option("ranked,random", help="Review orders: ranked (the review's ranking), random."),
    seeds: str = typer.Option("0,1,2", help="Training seeds (and the random order's seed), one row each."),
    output_dir: Path = typer.Option(DISTILL_DIR, help="Where distill/<dataset> is; review.json and .md go here."),
    train_steps: Optional[int] = typer.Option(None, help="Override training.max_steps of configs/train.cfg."),
    folds: int = typer.Option(CrossCheckSettings.folds, help="Cross-check folds (the marks the ranking reads)."),
    two_stage: str = typer.Option(
        "ranked:200:0", help="Full two-stage rows (student, relabel, CNN) as order:n:seed, comma-separated; '' none."
    ),
) -> None:
    """A simulated reviewer: N texts set to their gold tags, ranked vs random; corpus F1 and a CNN's test F1."""
    from .review import ORDERS, run

    full = [tuple(x.split(":")) for x in _names(two_stage)]
    if not all(len(x) == 3 and x[0] in ORDERS and x[1].isdigit() and x[2].isdigit() for x in full):
        raise SettingsError(f"--two-stage: expected order:n:seed (order ranked or random), got {two_stage!r}")
    run(
        _names(datasets), output_dir, ns=_seeds(ns, "--ns"), orders=_names(orders), seeds=_seeds(seeds, "--seeds"),
        train_steps=train_steps, folds=folds, two_stage=[(o, int(n), int(k)) for o, n, k in full],
    )  # fmt: skip


@benchmark_app.command("user-corpus")
@friendly_errors
def user_corpus_cli(
    datasets: str = typer.Option("wikigold,mit_movie", help="Comma-separated datasets."),
    texts: int = typer.Option(400, help="Texts of the annotation sample to tag (its first N)."),
    k: int = typer.Option(2, help="Demos per sentence when annotating (2: the CPU setting)."),
    folds: int = typer.Option(CrossCheckSettings.folds, help="Cross-check folds."),
    cache_path: Optional[str] = CACHE,
) -> None:
    """A set's own texts tagged and cross-checked, for its library+user rows where no distillation was run."""
    from .user_corpus import run

    run(_names(datasets), texts, k, folds, cache_path)


@benchmark_app.command("user-demos")
@friendly_errors
def user_demos_cli(
    datasets: str = typer.Option(
        "conll2003,wikigold,mit_movie,mit_restaurant", help="Comma-separated datasets (their cross-checked corpus)."
    ),
) -> None:
    """How clean the texts add-demos would trust are, against the hidden gold tags (no LLM)."""
    from .user_demos import markdown, run

    print(markdown(run(_names(datasets))))


@benchmark_app.command("out-of-type")
@friendly_errors
def out_of_type_cli() -> None:
    """Out-of-type rows beside the row that asked for every type: P/R/F1 on the asked types (no LLM)."""
    from .out_of_type import markdown, run

    print(markdown(run()))


@benchmark_app.command("quickstart-record")
@friendly_errors
def quickstart_record_cli(
    run: Path = typer.Argument(..., help="The quickstart's run folder (runs/quickstart).", exists=True),
    wall_seconds: float = typer.Argument(..., help="Wall time of `spacy project run quickstart`, measured outside."),
) -> None:
    """Keep a quickstart run's figures (step times, LLM calls, gold F1; no text) as quickstart/run.json."""
    import srsly

    from .index import QUICKSTART, quickstart_record

    QUICKSTART.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(QUICKSTART, quickstart_record(run, wall_seconds))
    msg.good(f"Wrote {QUICKSTART}")


@benchmark_app.command("scale")
@friendly_errors
def scale_cli(
    output_dir: Path = typer.Option(SCALE_DIR, help="Where scale.json and scale.md go."),
    latency: float = typer.Option(0.5, help="Seconds the fake server takes per answer."),
    cap: int = typer.Option(16, help="Requests the fake server answers at once (more queue)."),
    waves: int = typer.Option(16, help="Waves of requests per configuration (texts = waves x requests in flight)."),
    workers: str = typer.Option("1,2,4,8", help="Ray worker counts."),
    concurrency: str = typer.Option("2,4", help="Requests in flight per worker."),
    relabel_docs: int = typer.Option(4000, help="Texts the student relabels, single process and on Ray."),
) -> None:
    """annotate against a fake OpenAI server (fixed latency, capped) in one process and on local Ray with
    1-8 workers; relabel single-process vs 2 Ray workers. Needs spacy-progner[ray]."""
    from .scale import markdown, run

    work = Path(".cache/scale")
    sizes = _seeds(workers, "--workers"), _seeds(concurrency, "--concurrency")
    report = run(work, latency, cap, waves, *sizes, relabel_docs)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "scale.md").write_text(markdown(report), encoding="utf8")
    write_metrics(output_dir / "scale.json", report)
    msg.good(f"Wrote {output_dir / 'scale.md'}")
