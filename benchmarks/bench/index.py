"""Every committed results table regenerated from the committed records, and the benchmarks' index page
(README.md) generated from the same JSON: `python -m bench tables`. Nothing here calls a model.

- ProgGen and distillation: the summary JSON is collected again from the step records, then rendered.
- reverse_ner: the summary JSON holds every row as it was measured (its per-row files hold the same rows
  with their usage); the Markdown table is rendered from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import srsly

from . import out_of_type, proggen, reverse_ner, review, user_corpus
from .distill import names as distill_names
from .distill.render import calibration as distill_calibration
from .distill.render import markdown as distill_markdown
from .distill.report import collect as distill_collect
from .paths import DISTILL_DIR, PROGGEN_DIR
from .tables import number_cell

REVIEW = DISTILL_DIR / "review.json"

# The reverse_ner tables the index shows (summary JSON beside its table), each with what it measures.
NER_TABLES: Tuple[Tuple[str, str], ...] = (
    (
        "reverse_ner",
        "k=4 demos, one text per request: reverse_ner against spacy-llm's spacy.NER.v3, zero-shot (k0), "
        "self-consistency and gold demos",
    ),
    ("reverse_ner_k2", "k=2 demos, one text per request (the CPU setting)"),
    ("reverse_ner_k2_group2", "k=2 demos, two similar texts per request sharing their demos"),
    ("reverse_ner_asked", "out-of-type: CoNLL-2003 asked for PER and ORG only, its LOC and MISC names unasked"),
    (
        "reverse_ner_asked_wikigold",
        "out-of-type: WikiGold asked for PER and ORG only, its LOC and MISC names unasked",
    ),
    (
        "reverse_ner_asked_other_wikigold",
        "out-of-type with the OTHER outlet on WikiGold, PER and ORG asked",
    ),
    (
        "reverse_ner_asked_movie",
        "out-of-type: MIT-Movie asked for six of its twelve types (GENRE, ACTOR, YEAR, TITLE, RATING, PLOT), its "
        "directors, characters, songs, reviews, trailers and average ratings unasked",
    ),
    (
        "reverse_ner_asked_other_movie",
        "out-of-type with the OTHER outlet on MIT-Movie, the same six of its twelve types asked",
    ),
    (
        "reverse_ner_asked_other_kinds_movie",
        "the same with the kind check: MIT-Movie's tagged names typed again in their sentence against the six "
        "asked types and the named kinds none of them covers, those given a kind or none dropped",
    ),
    (
        "reverse_ner_asked_mit",
        "out-of-type: MIT-Restaurant asked for its four kinds of name (Restaurant_Name, Cuisine, Dish, "
        "Location), its descriptive Amenity, Hours, Price and Rating phrases unasked",
    ),
    (
        "reverse_ner_asked_other_mit",
        "out-of-type with the OTHER outlet on MIT-Restaurant, the same four types asked",
    ),
    (
        "reverse_ner_asked_other",
        "out-of-type with the OTHER outlet (`other_names`): CoNLL-2003 asked for PER and ORG only, names of no "
        "asked type offered a type of their own that the pipe drops",
    ),
    (
        "reverse_ner_asked_other_kinds",
        "the same with the kind check (`kind_check`): each sentence's names typed again against the asked types "
        "and named kinds of other names, those given a kind dropped",
    ),
    (
        "reverse_ner_other",
        "the OTHER outlet where the asked types cover most names: CoNLL-2003 asked for PER, LOC and ORG (its MISC "
        "names unasked, as in every full-type row), against the library row of `reverse_ner`",
    ),
    (
        "reverse_ner_other_mit",
        "the OTHER outlet on MIT-Restaurant, every type asked, against the library row of `reverse_ner`",
    ),
    (
        "reverse_ner_other_wikigold",
        "the OTHER outlet on WikiGold, PER, LOC and ORG asked (its MISC names unasked, as in every full-type row), "
        "against the library row of `reverse_ner`",
    ),
    (
        "reverse_ner_other_movie",
        "the OTHER outlet on MIT-Movie, every type asked, against the library row of `reverse_ner` (another "
        "build of the same settings: `reverse_ner_movie_rebuild`)",
    ),
    (
        "reverse_ner_movie_rebuild",
        "MIT-Movie with every type asked, the build (seed 0) the fresh-sample rows use, the reference of its "
        "out-of-type rows beside the older build in `reverse_ner`",
    ),
    (
        "reverse_ner_k2_user",
        "demos from the user's own text (`add-demos`): at k=2, the distillation's library alone and with 200 of "
        "the annotated train-split texts whose every label the cross-check student agreed with, with no name "
        "it proposed alone and every label's confidence >= 0.9",
    ),
    ("reverse_ner_k2_user_mit", "the same on MIT-Restaurant"),
    (
        "reverse_ner_k2_user_more_mit",
        "the same with the demos taken from the 2,000-text distillation corpus (`--more 1000`, cross-checked as "
        "one; `--user-corpus`): 200 texts joined, the budget",
    ),
    (
        "reverse_ner_k2_user_wikigold",
        "the same on WikiGold, the demos taken from 400 train-split texts tagged at k=2 and cross-checked "
        "(`bench user-corpus`; no correction)",
    ),
    ("reverse_ner_k2_user_movie", "the same on MIT-Movie"),
    (
        "reverse_ner_k2_merged",
        "three library builds of MIT-Restaurant (seeds 0, 1, 2; k=2) merged into one library (`merge_libraries`), "
        "against each build alone in the Library builds table",
    ),
)
PROGGEN_TABLES: Tuple[Tuple[Path, str], ...] = (
    (PROGGEN_DIR, "400 kept sentences per configuration"),
    (Path("proggen_1500"), "1,500 kept sentences per configuration, three training seeds"),
)


def _write(path: Path, report: Dict[str, Any], render: Callable[[Dict[str, Any]], str]) -> Path:
    srsly.write_json(path, report)
    md = path.with_suffix(".md")
    md.write_text(render(report), encoding="utf8")
    return md


def regenerate() -> List[Path]:
    """Every table, rewritten from its records; returns the files written (a clean `git diff` afterwards
    shows they are what the records say)."""
    written: List[Path] = []
    for name, _ in NER_TABLES:
        report = srsly.read_json(Path(f"{name}.json"))
        md = Path(f"{name}.md")
        md.write_text(reverse_ner.markdown(report), encoding="utf8")
        written.append(md)
    for folder, _ in PROGGEN_TABLES:
        old = srsly.read_json(folder / "benchmark.json")
        datasets = [d["dataset"] for d in old["datasets"]]
        report = proggen.collect(folder, datasets, old["n_sentences"], old["seed"])
        written += [folder / "benchmark.json", _write(folder / "benchmark.json", report, proggen.markdown)]
    old = srsly.read_json(DISTILL_DIR / "benchmark.json")
    datasets = [d["dataset"] for d in old["datasets"]]
    report = distill_collect(DISTILL_DIR, datasets, old["n_sentences"], old["k"], old["seed"])
    written += [DISTILL_DIR / "benchmark.json", _write(DISTILL_DIR / "benchmark.json", report, distill_markdown)]
    if out_of_type.OUTPUT.is_file():
        md = out_of_type.OUTPUT.with_suffix(".md")
        md.write_text(out_of_type_table(), encoding="utf8")
        written.append(md)
    if REVIEW.is_file():
        record = srsly.read_json(REVIEW)
        tables = {name: record.get(name, []) for name in ("rows", "two_stage")}
        REVIEW.with_suffix(".md").write_text(review.markdown(tables, record["settings"]), encoding="utf8")
        written.append(REVIEW.with_suffix(".md"))
    Path("README.md").write_text(readme(), encoding="utf8")
    project_readme = Path("..") / "README.md"
    project_readme.write_text(with_tables(project_readme.read_text(encoding="utf8")), encoding="utf8")
    return [*written, Path("README.md"), project_readme]


# --- headline tables (the index page and the project README show the same ones) ----------------------------
NER_ROWS = ("spacy.NER.v3", "k0", "library")
NER_NAMES = {
    "spacy.NER.v3": "spacy-llm `spacy.NER.v3`",
    "k0": "zero-shot JSON prompt (k=0)",
    "library": "`reverse_ner`",
}
DATASET_NAMES = {
    "conll2003": "CoNLL-2003",
    "wikigold": "WikiGold",
    "mit_movie": "MIT-Movie",
    "mit_restaurant": "MIT-Restaurant",
}
PROGGEN_ROWS = {
    "simple": "Simple prompt",
    "x+y+correct": "Diversify X+Y + self-correction",
    "x+y+trustpool": "X+Y + pool types trusted",
    "real-train": "real train split (ceiling)",
}
STUDENT_ROW, SHIPPED_ROW = distill_names.WORKFLOW_ROWS
DISTILL_ROWS = {
    STUDENT_ROW: "transformer student (MiniLM)",
    SHIPPED_ROW: "shipped CNN (learns from that student, pretrained start)",
    "real-train": "real train split (ceiling)",
}


def ner_headline(path: Path = Path("reverse_ner.json")) -> str:
    """Micro F1 per dataset: reverse_ner against the two zero-shot prompts, same model, same sentences."""
    report = srsly.read_json(path)
    rows = {(r["dataset"], r["config"]): r for r in report["results"]}
    datasets = list(dict.fromkeys(r["dataset"] for r in report["results"]))
    lines = ["| method | " + " | ".join(DATASET_NAMES[d] for d in datasets) + " |", "|---|" + "---|" * len(datasets)]
    for config in NER_ROWS:
        cells = [number_cell(rows[(d, config)]["f"]) if (d, config) in rows else "–" for d in datasets]
        lines.append(f"| {NER_NAMES[config]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def proggen_headline(folder: Path = Path("proggen_1500")) -> str:
    """Micro F1 on the whole test split of a spaCy CNN trained on each corpus (mean of the training seeds)."""
    report = srsly.read_json(folder / "benchmark.json")
    datasets = [d["dataset"] for d in report["datasets"]]
    configs = {d["dataset"]: d["configs"] for d in report["datasets"]}
    names = " | ".join(DATASET_NAMES[d] for d in datasets)
    lines = [f"| training data | {names} |", "|---|" + "---|" * len(datasets)]
    for name, label in PROGGEN_ROWS.items():
        cells = []
        for d in datasets:
            row = configs[d].get(name)
            cells.append("–" if row is None else number_cell(row.get("f1_mean_over_train_seeds") or row["f1"]))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def distill_headline(folder: Path = DISTILL_DIR) -> str:
    """Micro F1 on the whole test split and speed of each distilled model."""
    report = srsly.read_json(folder / "benchmark.json")
    datasets = [d["dataset"] for d in report["datasets"]]
    by = {d["dataset"]: d for d in report["datasets"]}
    head = " | ".join(f"{DATASET_NAMES[d]} F1 | docs/s" for d in datasets)
    lines = [f"| model | {head} |", "|---|" + "---|---|" * len(datasets)]
    for name, label in DISTILL_ROWS.items():
        cells = []
        for d in datasets:
            row = by[d]["configs"].get(name)
            speed = (by[d].get("workflow_speed") or {}).get(name)  # both models timed together
            cells += [number_cell(row and row["f1"]), "–" if not speed else f"{speed:.0f}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    teacher = ", ".join(
        f"{DATASET_NAMES[d]} {by[d]['corpus_f1']['annotated']['f']:.3f}" for d in datasets if "corpus_f1" in by[d]
    )
    note = f"The teacher's own labels of the annotated texts (label F1 against the hidden gold): {teacher}."
    return "\n".join(lines) + f"\n\n{note}\n"


# the k=2 library rows of one dataset's builds: (table, the build's seed)
BUILDS: Tuple[Tuple[str, str, int], ...] = (
    ("conll2003", "reverse_ner_k2_user", 0),
    ("conll2003", "reverse_ner_k2_seed1", 1),
    ("conll2003", "reverse_ner_k2_seed2", 2),
    ("mit_restaurant", "reverse_ner_k2_user_mit", 0),
    ("mit_restaurant", "reverse_ner_k2_seed1", 1),
    ("mit_restaurant", "reverse_ner_k2_seed2", 2),
)


def build_spread() -> str:
    """Per build: its examples, the library row's F1 and its check-build agreement (tables not yet run skipped)."""
    lines = ["| dataset | seed | examples | F1 | check-build agreement |", "|---|---|---|---|---|"]
    for dataset, name, seed in BUILDS:
        if (found := out_of_type.library_row(name, dataset)) is None:
            continue
        row, report = found
        library = report["libraries"].get(dataset) or {}
        check = (library.get("check_build") or {}).get("agreement")
        cells = [str(seed), str(library.get("examples", "–")), number_cell(row["f"]), number_cell(check)]
        lines.append(f"| {DATASET_NAMES[dataset]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# The user-demo lever on the reported sample and again on a fresh one (`--split fresh`): (dataset, table).
USER_DEMO_TABLES = (
    ("conll2003", "reverse_ner_k2_user"),
    ("conll2003", "reverse_ner_k2_user_fresh"),
    ("wikigold", "reverse_ner_k2_user_wikigold"),
    ("wikigold", "reverse_ner_k2_user_fresh_wikigold"),
    ("mit_movie", "reverse_ner_k2_user_movie"),
    ("mit_movie", "reverse_ner_k2_user_fresh_movie"),
    ("mit_restaurant", "reverse_ner_k2_user_mit"),
    ("mit_restaurant", "reverse_ner_k2_user_fresh_mit"),
)


def demos_source(report: Dict[str, Any], dataset: str) -> str:
    """Where a `library+user` row's demos came from, read from its corpus's own step record: a corpus
    `bench user-corpus` made, or (the default) the distillation's corrected corpus."""
    corpus = Path(report.get("user_corpus") or str(reverse_ner.USER_CORPUS).format(dataset=dataset))
    own = distill_names.step_record(corpus.parent, "annotate")
    if own.is_file():
        made_by = " (`bench user-corpus`)" if corpus.parent.name == user_corpus.FOLDER else ""
        return f"{srsly.read_json(own)['texts']:,} texts{made_by}"
    sample = distill_names.shared_record(DISTILL_DIR / dataset, "annotate")
    return f"{srsly.read_json(sample)['texts']:,} texts, corrected" if sample.is_file() else "–"


def user_demo_table() -> str:
    """The library alone and with the user's trusted texts, per sample and build (tables not yet run skipped)."""
    lines = [
        "| dataset | test sentences | build seed | demos from | library | library+user | change |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset, name in USER_DEMO_TABLES:
        if not Path(f"{name}.json").exists():
            continue
        report = srsly.read_json(Path(f"{name}.json"))
        f = {r["config"]: r["f"] for r in report["results"] if r["dataset"] == dataset}
        if not {"library", "library+user"} <= set(f):
            continue
        change = f"{f['library+user'] - f['library']:+.3f}"
        sample = reverse_ner.sample_name(report, dataset)
        cells = [sample, str(report["build"]["seed"]), demos_source(report, dataset), number_cell(f["library"])]
        lines.append(
            f"| {DATASET_NAMES[dataset]} | " + " | ".join(cells) + f" | {number_cell(f['library+user'])} | {change} |"
        )
    return "\n".join(lines) + "\n"


def out_of_type_table(path: Path = out_of_type.OUTPUT) -> str:
    """The out-of-type rows beside the every-type row (`python -m bench out-of-type` writes the record)."""
    return out_of_type.markdown(srsly.read_json(path)) if path.is_file() else "(no out-of-type row recorded yet)\n"


# The OTHER outlet (and the kind check) against the plain out-of-type row, on the reported sample and on a
# fresh one: (dataset, plain table, outlet table, outlet + kind check table or None where it was not run).
OUTLET_TABLES: Tuple[Tuple[str, str, str, Optional[str]], ...] = (
    ("conll2003", "reverse_ner_asked", "reverse_ner_asked_other", "reverse_ner_asked_other_kinds"),
    ("wikigold", "reverse_ner_asked_wikigold", "reverse_ner_asked_other_wikigold", None),
    ("wikigold", "reverse_ner_asked_wikigold_fresh", "reverse_ner_asked_other_wikigold_fresh", None),
    ("mit_movie", "reverse_ner_asked_movie", "reverse_ner_asked_other_movie", "reverse_ner_asked_other_kinds_movie"),
    (
        "mit_movie",
        "reverse_ner_asked_movie_fresh",
        "reverse_ner_asked_other_movie_fresh",
        "reverse_ner_asked_other_kinds_movie_fresh",
    ),
    ("mit_restaurant", "reverse_ner_asked_mit", "reverse_ner_asked_other_mit", None),
)


def outlet_table() -> str:
    """P / R / F1 on the asked types without and with the outlet (and the kind check), per sample; a sample
    whose plain row is not run yet is skipped, a lever not run yet is a dash."""
    lines = [
        "| dataset | test sentences | asked types only: P / R / F1 | + OTHER outlet | + outlet + kind check |",
        "|---|---|---|---|---|",
    ]
    for dataset, *tables in OUTLET_TABLES:
        found = [out_of_type.library_row(t, dataset) if t else None for t in tables]
        if found[0] is None:
            continue
        cells = [reverse_ner.sample_name(found[0][1], dataset)]
        cells += [" / ".join(number_cell(x[0][k]) for k in "prf") if x else "–" for x in found]
        lines.append(f"| {DATASET_NAMES[dataset]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# The OTHER outlet where every type is asked (CoNLL-2003 and WikiGold leave MISC unasked in every row), on
# the reported sample and on a fresh one: (dataset, the library row's table, the outlet's table).
FULL_OUTLET_TABLES = (
    ("conll2003", "reverse_ner", "reverse_ner_other"),
    ("wikigold", "reverse_ner", "reverse_ner_other_wikigold"),
    ("wikigold", "reverse_ner_wikigold_fresh", "reverse_ner_other_wikigold_fresh"),
    ("mit_movie", "reverse_ner", "reverse_ner_other_movie"),
    ("mit_restaurant", "reverse_ner", "reverse_ner_other_mit"),
)


def full_outlet_table() -> str:
    """P / R / F1 of the library row without and with the outlet, every type asked, per sample (rows not run
    skipped)."""
    lines = [
        "| dataset | test sentences | library: P / R / F1 | + OTHER outlet: P / R / F1 | F1 change |",
        "|---|---|---|---|---|",
    ]
    for dataset, *tables in FULL_OUTLET_TABLES:
        plain, outlet = (out_of_type.library_row(t, dataset) for t in tables)
        if plain is None or outlet is None:
            continue
        prf = [" / ".join(number_cell(x[0][k]) for k in "prf") for x in (plain, outlet)]
        cells = [reverse_ner.sample_name(plain[1], dataset), *prf]
        change = f"{outlet[0]['f'] - plain[0]['f']:+.3f}"
        lines.append(f"| {DATASET_NAMES[dataset]} | " + " | ".join(cells) + f" | {change} |")
    return "\n".join(lines) + "\n"


def merged_line(path: Path = Path("reverse_ner_k2_merged.json")) -> str:
    """The merged builds' row in one sentence (nothing until it has been run)."""
    if not path.is_file():
        return ""
    report = srsly.read_json(path)
    first = report["build"]["seed"]
    seeds = f"{first} to {first + reverse_ner.MERGED_BUILDS - 1}"
    rows = [r for r in report["results"] if r["config"] == "library+merged"]
    return "".join(
        f"The builds of seeds {seeds} merged into one library of {r['library_examples']} examples "
        f"(`library+merged`, [{path.stem}.md]({path.stem}.md)): {DATASET_NAMES[r['dataset']]} F1 {r['f']:.3f}.\n"
        for r in rows
    )


def _sample_points(rows: Iterable[str], n_sample: int) -> List[Tuple[int, List[str]]]:
    """The learning curve's points within the annotation sample: (annotated texts, the workflow's student
    and CNN row names) for each first-N size among `rows` (`--sizes`), then the whole sample."""
    sizes = sorted({size for name in rows if (size := distill_names.annotated_size(name)) is not None})
    points = [(size, [distill_names.curve_name(n, size) for n in distill_names.WORKFLOW_ROWS]) for size in sizes]
    return [*points, (n_sample, list(distill_names.WORKFLOW_ROWS))]


def _more_variants(rows: Iterable[str]) -> List[str]:
    """The `--more` corpora that `rows` trained on, smallest first: the learning curve past the sample."""
    return distill_names.smallest_first(v for name in rows if (v := distill_names.more_variant_of(name)))


def distill_curve(folder: Path = DISTILL_DIR) -> str:
    """F1 of the distill workflow's student and shipped CNN against the number of annotated texts."""
    report = srsly.read_json(folder / "benchmark.json")
    by = {d["dataset"]: d["configs"] for d in report["datasets"]}
    every_row = [name for configs in by.values() for name in configs]
    head = " | ".join(f"{DATASET_NAMES[d]} {what}" for d in by for what in ("student", "shipped CNN"))
    lines = [f"| annotated texts | {head} |", "|---|" + "---|" * 2 * len(by)]
    for texts, names in _sample_points(every_row, report["n_sentences"]):
        cells = [number_cell((configs.get(name) or {}).get("f1")) for configs in by.values() for name in names]
        lines.append(f"| {texts:,} | " + " | ".join(cells) + " |")
    for variant in _more_variants(every_row):
        more = [distill_names.variant_name(variant, n) for n in distill_names.WORKFLOW_ROWS]
        lines += _past_sample_lines(by, more, "texts past the sample")
        scaled = [distill_names.scaled_name(name) for name in more]
        lines += _past_sample_lines(by, scaled, "the same, the student's steps scaled with the texts")
    return "\n".join(lines) + "\n"


def workflow_curve(configs: Dict[str, Any], n_sample: int) -> List[Tuple[int, float, float]]:
    """One dataset's learning curve as the distill workflow runs it: (annotated texts, student F1, shipped
    CNN F1) for the sample's first N texts, the sample, and past it the larger corpora, the student trained
    for its config's steps as `train-student` trains it by default; a point lacking either row is left out."""
    points = _sample_points(configs, n_sample)
    for variant in _more_variants(configs):
        names = [distill_names.variant_name(variant, n) for n in distill_names.WORKFLOW_ROWS]
        if names[0] in configs:
            points.append((configs[names[0]]["annotated_texts"], names))
    return [
        (texts, configs[student]["f1"], configs[cnn]["f1"])
        for texts, (student, cnn) in points
        if student in configs and cnn in configs
    ]


def distill_curve_text(folder: Path = DISTILL_DIR) -> str:
    """The learning curve in one paragraph for the project README: what a user's number of texts buys, and
    how well the teacher labelled each further chunk of texts."""
    report = srsly.read_json(folder / "benchmark.json")
    n_sample, parts = report["n_sentences"], []
    for d in report["datasets"]:
        texts, students, cnns = zip(*workflow_curve(d["configs"], n_sample))
        chunks = [d["corpus_f1"]["annotated"]["f"], *(more["more_gold"]["f"] for more in d.get("more") or ())]
        parts.append(
            f"on {DATASET_NAMES[d['dataset']]} from {_listed(f'{t:,}' for t in texts)} labelled texts the shipped "
            f"model scored {_listed(f'{f:.3f}' for f in cnns)} (the student {_listed(f'{f:.3f}' for f in students)}"
            f"; the teacher labelled each {n_sample:,} texts in turn at {_listed(f'{c:.3f}' for c in chunks)})"
        )
    return (
        "How many texts to label, on the distillation benchmark (micro F1 on the whole test split): "
        + "; ".join(parts)
        + ". The student trains for its config's steps at every size, as the workflow's `train-student` does.\n"
    )


def distill_estimate_text(folder: Path = DISTILL_DIR) -> str:
    """How closely the label-free estimate followed the real test F1, in one sentence for the project README."""
    report = srsly.read_json(folder / "benchmark.json")
    parts = []
    for d in report["datasets"]:
        cal = distill_calibration(d["configs"])
        if cal:
            within = 100 * max(abs(cal["min_gap"]), abs(cal["max_gap"]))
            parts.append(
                f"within {within:.1f} points of each of {cal['rows']} models' real test F1 on "
                f"{DATASET_NAMES[d['dataset']]} (rank correlation {cal['spearman']:.2f})"
            )
    return f"On the distillation benchmark that agreement was {_listed(parts)}.\n"


def _listed(items: Iterable[str]) -> str:
    """`a, b and c`."""
    *head, last = items
    return f"{', '.join(head)} and {last}" if head else last


def _past_sample_lines(by: Dict[str, Dict[str, Any]], names: List[str], what: str) -> List[str]:
    """The learning curve's lines of the rows `names` (student, CNN) past the sample, one per corpus size; a
    dataset's cells only where its rows hold that many texts."""
    past = sorted({configs[names[0]]["annotated_texts"] for configs in by.values() if names[0] in configs})
    lines = []
    for texts in past:
        cells = [
            number_cell((configs.get(name) or {}).get("f1"))
            if (configs.get(names[0]) or {}).get("annotated_texts") == texts
            else "–"
            for configs in by.values()
            for name in names
        ]  # fmt: skip
        lines.append(f"| {texts:,} ({what}) | " + " | ".join(cells) + " |")
    return lines


README = """# spacy-progner benchmarks

A spaCy project of its own: every row below is measured by `project.yml` in this folder, whose steps call
the package's own commands (or `python -m bench ...` for what only a benchmark does: sampling a dataset,
scoring against the hidden gold, timing, tables). It reads the evaluation data in place from
`../../shared/datasets` (tokens + BIO tags; set `SPACY_PROGNER_DATASETS` elsewhere) and commits only
records: ids, offsets, scores, usage. All figures are on the embedded model (Qwen2.5-Coder-1.5B-Instruct
Q4_K_M, CPU, 2 cores). This page is generated: `python -m bench tables` (or `spacy project run tables`)
rewrites it and every table it links to from the committed records.

## reverse_ner: zero-shot tagging

Micro F1 on a fixed sample of 150 test sentences per dataset (seed 2024), same model and sentences for
every row. Settings: {ner_settings}.

{ner}
Full tables: {ner_links}.
Command: `spacy project run ner` (`python -m bench ner` with the settings above, all four datasets).

## Out-of-type: names of no asked type

Some of a dataset's types asked for, the others left unasked, scored on the asked types against the
library row that asked for every type (same settings and sentences; its P and R on the asked types are
recovered from its per-type figures and the gold counts):

{out_of_type}
Command: `spacy project run ner-outlet` (its last step, `python -m bench out-of-type`, makes this table
from the rows without an LLM call).

The outlet and the kind check against the plain out-of-type row on the reported sample and, where run,
again on a fresh one (`--split fresh`: the test sentences outside the reported sample, 150 or WikiGold's
other 124; the libraries of the reported rows; a dash where the kind check was not run):

{outlet}
Commands: `spacy project run ner-outlet` (the reported samples) and `spacy project run ner-fresh` (the fresh ones).

Where the asked types cover most of the text's names (every type asked; CoNLL-2003 and WikiGold leave
their MISC names unasked in every row), the outlet against the library row (k=4; each with a library build
of its own), on the reported sample and, for WikiGold, on a fresh one:

{full_outlet}
Command: `spacy project run ner-outlet` (the reported sample) and `ner-fresh`.

## Distillation: reverse_ner labels texts, spaCy learns from them

1,000 train-split sentences of each dataset annotated (text only; k=2, one text per request, a 64-cluster
library built from the dev split), cross-checked, corrected; models scored on the whole test split.

{distill}
Full table: [distill/benchmark.md](distill/benchmark.md). Command: `spacy project run distill`.
One row again from the committed annotations with the package's own commands: `spacy project run distill-row`.

Learning curve: the same two models from the first N annotated texts (a random sample, since the
annotation sample is), micro F1 on the whole test split (`python -m bench distill --pretrain --sizes 250,500`;
the points past the sample `--pretrain --more 1000,2000` (2,000 and 3,000 texts; the larger corpus goes on
from the smaller one's labels and tags only the texts it adds), where `--extras-only` leaves the other rows to
their records; with `--scaled-student` also the student with its steps grown with its texts as `train-student
--scale-steps` grows them, 800 on 1,800 training texts against the config's fixed 400, which the workflow
keeps):

{curve}
## Review: what a person's corrections buy

A simulated reviewer (no LLM call) sets N texts of the corrected distillation corpus to their gold tags,
in the review page's order (`ranked`, least certain first) or at random; the CNN is trained again on the
reviewed corpus and scored on the whole test split, and at 200 ranked texts the full two-stage model too
(the MiniLM student, its labels of the train split with the reviewed texts kept, the CNN):
[distill/review.md](distill/review.md). Command: `python -m bench review`.

## Library builds

The same library settings built with other seeds (k=2, 150 test sentences; another seed is another
build), each with its label-free check (`check-build`: how often the tagger reproduces each example's
labels with the nearest other examples as demos):

{builds}
{merged}
Command: `spacy project run ner-seeds` (and `ner-user` for seed 0).

## Demos from the user's text

The library alone and with the annotated texts `add-demos` trusts (k=2): on the reported sample, then
on a fresh one (`--split fresh`: 150 test sentences outside the reported sample, which no choice was
made on):

{user_demos}
Command: `spacy project run ner-user` (the reported sample) and `ner-fresh`.

How clean the distillation corpus's texts are that `add-demos` would put in the library (every label
agreed by the cross-check student, none proposed by it alone), against their hidden gold tags:
[distill/user_demos.md](distill/user_demos.md). Command: `python -m bench user-demos` (no LLM).

## ProgGen: synthetic corpora

A spaCy CNN trained on each generated corpus, scored on the whole test split; mean of three training seeds.

{proggen}
Full tables: [proggen_1500/benchmark.md](proggen_1500/benchmark.md) (1,500 sentences),
[proggen/benchmark.md](proggen/benchmark.md) (400). Command: `spacy project run proggen`.

## Scale-out

`annotate` against a fake OpenAI server (0.5 s an answer, 16 at once) in one process and on local Ray
with 1 to 8 workers, and `relabel` in one process and on 2 Ray workers: [scale/scale.md](scale/scale.md)
(`python -m bench scale`, needs `spacy-progner[ray]`).

## The LLM layer

Overhead of the package's model layer against raw xllamacpp, cache-hit latency, shared-prefix effect:
[llm/bench_llm.json](llm/bench_llm.json) (`python -m bench llm`).

## Older runs

Superseded or exploratory runs (prompt variants, rebuilt libraries, other k and group sizes) are kept
under [archive/](archive/) as they were recorded.
"""


def _settings(report: Dict[str, Any]) -> str:
    build = report["build"]
    return (
        f"k={report['k']}, {report['options'].get('group_size', 1)} text(s) per request, "
        f"{build['n_clusters']} feature sentences, {build['entities_per_type']} pool entities per type, "
        f"example check `{build['check_examples']}`"
    )


def readme() -> str:
    links = ", ".join(f"[{name}.md]({name}.md) ({what})" for name, what in NER_TABLES)
    return README.format(
        ner_settings=_settings(srsly.read_json(Path("reverse_ner.json"))),
        ner=ner_headline(),
        ner_links=links,
        distill=distill_headline(),
        curve=distill_curve(),
        builds=build_spread(),
        merged=merged_line(),
        user_demos=user_demo_table(),
        outlet=outlet_table(),
        full_outlet=full_outlet_table(),
        out_of_type=out_of_type_table(),
        proggen=proggen_headline(),
    )


# --- time per step of the distill workflow, from the distillation benchmark's step records --------------------
TIMED_STEPS = (
    ("library (64 feature sentences)", "shared", "library"),
    ("annotate (k=2, one text a request)", "shared", "annotate"),
    ("cross-check (5 folds, no LLM)", "shared", "crosscheck"),
    ("self-correction", "distill+correct", "correct"),
    ("transformer student (MiniLM)", STUDENT_ROW, "train"),
    ("the student relabels the train split", SHIPPED_ROW, "relabel"),
    ("the CNN's tok2vec pretrained on the texts (no LLM)", "shared", "pretrain"),
    ("shipped CNN trained on its labels", SHIPPED_ROW, "train"),
)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def distill_timing(folder: Path = DISTILL_DIR) -> str:
    """Wall time of each distill step for 1,000 annotated texts on 2 cores (embedded model, CPU)."""
    report = srsly.read_json(folder / "benchmark.json")
    datasets = [d["dataset"] for d in report["datasets"]]
    lines = ["| step | " + " | ".join(DATASET_NAMES[d] for d in datasets) + " |", "|---|" + "---|" * len(datasets)]
    for label, row, step in TIMED_STEPS:
        cells = []
        for d in datasets:
            record = srsly.read_json(distill_names.step_record(folder / d / row, step))
            cells.append(_minutes(record.get("tag_seconds", record["seconds"])))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# The project README shows these tables between `<!-- table:NAME -->` and `<!-- /table:NAME -->`.
README_TABLES: Dict[str, Callable[[], str]] = {
    "ner": ner_headline,
    "distill": distill_headline,
    "proggen": proggen_headline,
    "curve": distill_curve_text,
    "estimate": distill_estimate_text,
    "timing": distill_timing,
    "quickstart": lambda: quickstart_table(),
}


def with_tables(text: str) -> str:
    """`text` (the project README) with every table block rendered afresh from the records."""
    for name, render in README_TABLES.items():
        start, end = f"<!-- table:{name} -->\n", f"<!-- /table:{name} -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + start + render() + rest[rest.index(end) :]
    return text


# --- the quickstart: one committed run of the README's main command ------------------------------------------
QUICKSTART = Path("quickstart") / "run.json"


def quickstart_record(run: Path, wall_seconds: float) -> Dict[str, Any]:
    """What to keep of a quickstart run (its metrics files; no text): step times, the LLM usage, the
    gold F1 that scripts/next_steps.py measured, and the wall time of the whole workflow."""
    metrics = run / "metrics"
    steps = {p.stem: srsly.read_json(p) for p in sorted(metrics.glob("*.json"))}
    gold = steps.get("evaluate_gold", {})
    return {
        "wall_seconds": round(wall_seconds, 1),
        "texts": steps["annotate"]["texts"],
        "seconds": {name: rec["seconds"] for name, rec in steps.items() if "seconds" in rec},
        "llm_calls": sum(_calls(rec.get("usage") or {}) for rec in steps.values()),
        "gold": {k: gold.get(k) for k in ("gold", "limit", "ents_f", "ents_p", "ents_r", "per_type")},
    }


def _calls(usage: Dict[str, Any]) -> int:
    """Model calls in a usage record: a ledger's total, or (a library's build record) the sum of its steps."""
    if "total" in usage:
        return usage["total"]["calls"]
    return sum(step.get("calls", 0) for step in usage.values() if isinstance(step, dict))


def quickstart_table(path: Path = QUICKSTART) -> str:
    if not path.is_file():
        return "(no quickstart run recorded yet)\n"
    rec = srsly.read_json(path)
    gold = rec["gold"]
    per_type = ", ".join(f"{k} {v['f']:.2f}" for k, v in sorted((gold.get("per_type") or {}).items()))
    return (
        "| texts | LLM calls | workflow wall time | F1 on 500 CoNLL-2003 test sentences | per type |\n"
        "|---|---|---|---|---|\n"
        f"| {rec['texts']} | {rec['llm_calls']} | {rec['wall_seconds'] / 60:.1f} min | {number_cell(gold['ents_f'])} "
        f"| {per_type} |\n"
    )
