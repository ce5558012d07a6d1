"""Benchmark: reverse_ner against spacy-llm's spacy.NER.v3 and a gold-retrieval ceiling, on the same
sentences and the same model. Each (dataset, configuration) result is written as soon as it is done and
skipped on rerun; answers are cached per call, so an interrupted run continues where it stopped."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import spacy
import srsly
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example
from tqdm import tqdm
from wasabi import msg

from spacy_progner.corpus.bio import read_bio, row_to_doc, sample_rows
from spacy_progner.errors import SettingsError
from spacy_progner.llm import select
from spacy_progner.llm.ledger import booked, paid_calls
from spacy_progner.llm.local import reload_local_model
from spacy_progner.llm.protocol import canonical_json, sha256_hex
from spacy_progner.ner import LabelSet
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.reverse_ner.build import BuildSettings, LibraryBuilder
from spacy_progner.reverse_ner.library import ExampleLibrary
from spacy_progner.reverse_ner.pipeline import reverse_ner_pipeline
from spacy_progner.reverse_ner.selfcheck import SelfCheckSettings, self_check
from spacy_progner.reverse_ner.user_demos import UserDemoSettings, add_user_demos

from .datasets import eval_sample, known_configs, library_texts, mentions, split_path
from .merged import merge_libraries
from .paths import DISTILL_DIR, DOMAINS_DIR
from .tables import number_cell

# Written by the project for PER/LOC/ORG (MISC is dropped, as both papers do).
NEWS_LABELS = {
    "PER": "the name of a person (first name, surname or full name), real or fictional",
    "ORG": "the name of an organisation: company, sports team or club, political party, government body, "
    "institution, agency, newspaper or union",
    "LOC": "the name of a place: country, city, region, state, continent, river, mountain, street or building",
}
NEWS = ("conll2003", "wikigold")
DATASETS = (*NEWS, "mit_movie", "mit_restaurant")
DEFAULT_CONFIGS = ("spacy.NER.v3", "k0", "library", "library+sc", "gold")
# On request, the rows that separate what the library gives from what its shape filter gives: the k=0
# prompt with the filter learnt from the self-made library, and the library's demos without the filter.
# "library+user": the library plus the distillation corpus's trusted texts (train split, `add-demos`);
# "library+merged": the library merged with the builds of the next MERGED_BUILDS - 1 seeds (same settings)
CONFIGS = (*DEFAULT_CONFIGS, "k0+filter", "library-nofilter", "library+user", "library+merged")
SELF_LIBRARY = ("library", "library+sc", "k0+filter", "library-nofilter", "library+user", "library+merged")
MERGED_BUILDS = 3
ENLARGED = ("library+user", "library+merged")  # rows whose library is the self-made one and more
# The annotated train-split texts with cross-check marks the "library+user" row takes its demos from (the
# review benchmark writes them from the committed distillation corpus; they hold dataset text, not committed)
USER_CORPUS = DISTILL_DIR / "{dataset}" / "review" / "crosschecked.jsonl"
# Where the committed rows and their libraries live, and the libraries' feature sentences (`--n-clusters
# 64`): the distillation and ProgGen benchmarks tag with the same library of the same unlabelled text.
LIBRARY_CLUSTERS = 64


def model_block(cache_path) -> Dict[str, Any]:
    """The embedded model (`--model local`); `cache_path=False` turns the answer cache off (for timing)."""
    if cache_path is False:
        return {**select.model_block("local"), "cache": False}
    return select.model_block("local", cache_path)


def library_path(dataset: str, settings: BuildSettings, out: Path) -> Path:
    """One folder per build settings (their hash in the name)."""
    key = hashlib.sha256(json.dumps(settings.__dict__, sort_keys=True).encode()).hexdigest()[:10]
    return out / dataset / f"library-{key}"


def dataset_task(dataset: str, build: BuildSettings, domains_dir: Path = DOMAINS_DIR) -> Tuple[LabelSet, BuildSettings]:
    """The labels a dataset is tagged with and its build settings: the news sets with the project's
    PER/LOC/ORG definitions; the others with their domain spec's types (the dataset's own type names,
    which are words) and definitions, and the spec's domain line for the build."""
    if dataset not in DATASETS:
        raise SettingsError(f"unknown dataset {dataset!r}; choose from {list(DATASETS)}")
    if dataset in NEWS:
        return LabelSet(NEWS_LABELS, where=dataset), build
    spec = DomainSpec.load(domains_dir / f"{dataset}.yml")
    return spec.labels, replace(build, domain=build.domain or spec.domain)


def pipeline_for(
    labels: LabelSet, library: ExampleLibrary, cache_path: Optional[str], k: int, domain: str = "", **options: Any
):
    """A blank pipeline with a reverse_ner pipe on the embedded model tagging with `library` (`options`:
    more reverse_ner settings, such as group_size)."""
    model = select.model_block("local", cache_path)
    return reverse_ner_pipeline(labels, model, library=library, k=k, domain=domain, **options)[0]


def build_library(dataset: str, labels: LabelSet, settings: BuildSettings, out: Path, cache_path) -> ExampleLibrary:
    """The library from *unlabelled* text (`library_texts`), built once per settings."""
    path = library_path(dataset, settings, out)
    if path.exists():
        return ExampleLibrary.from_disk(path)
    texts = library_texts(dataset)
    model = select.load_model("local", cache_path)
    library = LibraryBuilder(labels, model, settings).build(texts)
    library.to_disk(path)
    return library


def gold_library(dataset: str, labels: LabelSet, n: int = 4000, seed: int = 0) -> ExampleLibrary:
    """The ceiling: demos retrieved from the gold-labelled train split instead of a self-made library."""
    rows = read_bio(split_path(dataset, "train"))
    picked = [rows[i] for i in sample_rows(rows, n, seed)]
    examples: List[Dict[str, Any]] = [
        {"sentence": " ".join(r["tokens"]), "entities": [list(m) for m in mentions(r, labels)], "feature": i}
        for i, r in enumerate(picked)
    ]
    lib = ExampleLibrary(examples=examples, features=[ex["sentence"] for ex in examples])
    lib.embed_all()
    lib.meta = {"source": f"{dataset}/train (gold), {len(examples)} sentences"}
    return lib


class Libraries:
    """The self-made and the gold library of one dataset, each made (or loaded) on first use."""

    def __init__(
        self,
        dataset: str,
        labels: LabelSet,
        build: BuildSettings,
        out: Path,
        cache_path,
        user_corpus: Optional[Path] = None,  # the `library+user` row's corpus; None: USER_CORPUS
    ):
        self.dataset, self.labels, self.build, self.out, self.cache_path = dataset, labels, build, out, cache_path
        self.user_corpus = user_corpus or Path(str(USER_CORPUS).format(dataset=dataset))
        self.made: Dict[str, ExampleLibrary] = {}

    def saved_library(self) -> Optional[Path]:
        path = library_path(self.dataset, self.build, self.out)
        return path if path.exists() else None

    def get(self, config: str) -> Optional[ExampleLibrary]:
        if config not in (*SELF_LIBRARY, "gold"):
            return None
        kind = {"gold": "gold", "library+user": "user", "library+merged": "merged"}.get(config, "self")
        if kind not in self.made:
            if kind == "gold":
                self.made[kind] = gold_library(self.dataset, self.labels)
            elif kind == "user":
                self.made[kind] = self.with_user_demos(self.get("library"))  # type: ignore[arg-type]
            elif kind == "merged":
                self.made[kind] = self.merged()
            else:
                self.made[kind] = build_library(self.dataset, self.labels, self.build, self.out, self.cache_path)
        return self.made[kind]

    def merged(self) -> ExampleLibrary:
        """The builds of seeds seed .. seed + MERGED_BUILDS - 1 (each built if not on disk), merged."""
        seeds = range(self.build.seed, self.build.seed + MERGED_BUILDS)
        own = self.get("library")
        assert own is not None  # a self-made library is always made
        builds = [own] + [
            build_library(self.dataset, self.labels, replace(self.build, seed=s), self.out, self.cache_path)
            for s in seeds[1:]
        ]
        out = merge_libraries(builds)
        sizes = " + ".join(str(len(b)) for b in builds)
        msg.info(f"{self.dataset}: builds of seeds {list(seeds)} ({sizes} examples) merged into {len(out)}")
        return out

    def with_user_demos(self, library: ExampleLibrary) -> ExampleLibrary:
        corpus = self.user_corpus
        if not corpus.is_file():
            raise SettingsError(
                f"library+user: {corpus} is missing; `python -m bench review` writes the default one, or give "
                "--user-corpus a cross-checked corpus (a distillation folder's crosschecked.jsonl)"
            )
        samples = list(srsly.read_jsonl(corpus))
        out, counts = add_user_demos(library, samples, list(self.labels), UserDemoSettings())
        msg.info(f"{self.dataset}: {counts['added']} of {counts['candidates']} annotated train texts join the library")
        return out


@dataclass
class Tagging:
    """How a row tags: demos per sentence, the self-consistency row's samples, and more reverse_ner
    settings (`options`: answer_form, group_size) for the rows of a speed lever; `domain`: the dataset's
    kind of text, as the pipe's `domain` setting; `model`: settings of the embedded model's block
    (`n_parallel`, the LocalGGUF lever), for quality and timing alike."""

    k: int
    n_samples: int = 1
    options: Dict[str, Any] = field(default_factory=dict)
    domain: str = ""
    model: Dict[str, Any] = field(default_factory=dict)


def make_nlp(config: str, labels: LabelSet, cache_path, library: Optional[ExampleLibrary], tagging: Tagging):
    model = {**model_block(cache_path), **tagging.model}
    if config == "spacy.NER.v3":
        nlp = spacy.blank("en")
        nlp.add_pipe(
            "llm",
            config={
                "task": {"@llm_tasks": "spacy.NER.v3", "labels": list(labels), "label_definitions": labels.to_dict()},
                "model": model,
            },
        )
        return nlp
    settings: Dict[str, Any] = {
        "k": 0 if config.startswith("k0") else tagging.k,
        "domain": tagging.domain,
        "shape_filter": config != "library-nofilter",
    }
    settings.update(tagging.options)
    if config == "library+sc":
        settings.update(n_samples=tagging.n_samples, temperature=0.7, threshold=0.5)
    if config == "gold":
        settings["retrieve_by"] = "example"
    return reverse_ner_pipeline(labels, model, library=library, **settings)[0]


def score(preds: List[Doc], refs: List[Doc]) -> Dict[str, Any]:
    prf = get_ner_prf([Example(p, r) for p, r in zip(preds, refs)])
    return {
        "p": round(prf["ents_p"], 4),
        "r": round(prf["ents_r"], 4),
        "f": round(prf["ents_f"], 4),
        "per_type": {k: {m: round(v[m], 4) for m in ("p", "r", "f")} for k, v in prf["ents_per_type"].items()},
    }


def tag(nlp, refs: List[Doc], step: str):
    """Tag copies of the reference tokens; returns predictions, wall seconds and the step's usage."""
    start = time.perf_counter()
    docs = [Doc(nlp.vocab, words=[t.text for t in ref]) for ref in refs]
    # the bar moves a batch at a time: the pipe sends a batch's calls together
    tagged = lambda: list(tqdm(nlp.pipe(docs, batch_size=64), total=len(docs), desc=step, unit="doc"))  # noqa: E731
    preds, usage = booked(step, tagged)
    return preds, time.perf_counter() - start, usage


def per_doc(usage, n: int) -> Dict[str, float]:
    if usage is None:
        return {}
    return {
        "calls_per_doc": round(paid_calls(usage.to_dict()) / n, 2),
        "prompt_tokens_per_doc": round(usage.prompt_tokens / n, 1),
        "completion_tokens_per_doc": round(usage.completion_tokens / n, 1),
        "cached_prompt_tokens_per_doc": round(usage.cached_tokens / n, 1),
    }


def run_config(
    dataset: str,
    config: str,
    refs: List[Doc],
    labels: LabelSet,
    cache_path,
    library: Optional[ExampleLibrary],
    tagging: Tagging,
) -> Dict[str, Any]:
    """Quality on all sentences (answers cached, so an interrupted run resumes)."""
    nlp = make_nlp(config, labels, cache_path, library, tagging)
    preds, wall, usage = tag(nlp, refs, f"{dataset}/{config}")
    return {
        "dataset": dataset,
        "config": config,
        "docs": len(refs),
        **score(preds, refs),
        **per_doc(usage, len(refs)),
        "wall_seconds": round(wall, 1),
        "usage": usage.to_dict() if usage else None,
        "tagger": tagger_counts(nlp),
        "library_examples": len(library) if library is not None else None,
    }


def tagger_counts(nlp) -> Optional[Dict[str, int]]:
    """What the reverse_ner tagger counted while tagging (mentions put in the OTHER outlet, dropped by the
    kind check or the shape filter, unusable answers); None for spacy-llm's pipe."""
    pipe = nlp.get_pipe("reverse_ner") if "reverse_ner" in nlp.pipe_names else None
    return dict(sorted(pipe.tagger.stats.items())) if pipe is not None else None


def time_config(
    config: str, refs: List[Doc], labels: LabelSet, library: Optional[ExampleLibrary], tagging: Tagging
) -> Dict[str, Any]:
    """Speed on the first sentences with the answer cache off, on a freshly loaded model: every call
    really goes to the model, and none reuses a prompt an earlier pass left in llama.cpp's cache."""
    nlp = make_nlp(config, labels, False, library, tagging)
    reload_local_model(**tagging.model)
    _, wall, usage = tag(nlp, refs, f"timing/{config}")
    return {
        "docs": len(refs),
        "wall_seconds": round(wall, 1),
        "docs_per_s": round(len(refs) / wall, 3),
        **per_doc(usage, len(refs)),
    }


def run(
    datasets: List[str],
    configs: List[str],
    n: int,
    seed: int,
    out: Path,
    cache_path: Optional[str],
    k: int,
    n_samples: int,
    build: BuildSettings,
    force: bool = False,
    time_n: int = 30,
    summarize_only: bool = False,
    retime: bool = False,
    domains_dir: Path = DOMAINS_DIR,
    options: Optional[Dict[str, Any]] = None,
    library_dir: Optional[Path] = None,
    split: str = "test",
    model_options: Optional[Dict[str, Any]] = None,
    types: Optional[List[str]] = None,
    check_build: bool = False,
    user_corpus: Optional[Path] = None,
) -> Dict[str, Any]:
    """Run what is missing and tabulate; `summarize_only` tabulates the finished rows without the model;
    `user_corpus`: the cross-checked corpus the `library+user` row takes its demos from (default USER_CORPUS);
    `check_build`: the self-made library's label-free check (`check-build`) beside its summary;
    `types`: ask for (and score) only these of the dataset's types, the text's other names left to the
    tagger to leave alone (an out-of-type row);
    `retime` times finished rows again and keeps their quality pass (and its usage) as it is; `split`
    "tune" samples the distillation's train sentences instead of the test split, "fresh" the test sentences
    outside the reported sample (see EVAL_SPLITS)."""
    known_configs(configs, CONFIGS, "ner")
    report: Dict[str, Any] = {
        "split": split,
        "n": n,
        "seed": seed,
        "k": k,
        "options": options or {},
        "model_options": model_options or {},
        "n_samples": n_samples,
        "build": build.__dict__,
        "time_n": time_n,
        "results": [],
        "labels": {},
        "libraries": {},
        **({"user_corpus": str(user_corpus)} if user_corpus else {}),
    }
    for dataset in datasets:
        labels, dataset_build = dataset_task(dataset, build, domains_dir)
        labels = asked_types(labels, types, dataset)
        report["labels"][dataset] = list(labels)
        vocab = spacy.blank("en").vocab
        refs = [row_to_doc(vocab, row, keep=labels) for row in eval_sample(dataset, split, n, seed)]
        asked = labels.with_other() if (options or {}).get("other_names") else labels  # the library's types
        libs = Libraries(dataset, asked, dataset_build, library_dir or out, cache_path, user_corpus)
        tagging = Tagging(k, n_samples, options or {}, dataset_build.domain, model_options or {})
        for config in configs:
            result = _row(dataset, config, refs, labels, libs, out, tagging, force, time_n, summarize_only, retime)
            if result is not None:
                report["results"].append(result)
        summary = _library_summary(libs, configs, summarize_only, out, tagging if check_build else None)
        if summary is not None:
            report["libraries"][dataset] = summary
    return report


def asked_types(labels: LabelSet, types: Optional[List[str]], dataset: str) -> LabelSet:
    """The dataset's label set, or the part of it a `--types` row asks for (an unknown type is named)."""
    if not types:
        return labels
    unknown = [t for t in types if t not in labels]
    if unknown:
        raise SettingsError(f"bench ner --types: {unknown} are not types of {dataset} ({list(labels)})")
    return LabelSet({t: labels[t] for t in types}, where=f"{dataset} (asked types)")


def _row(dataset, config, refs, labels, libs, out, tagging, force, time_n, summarize_only, retime):
    """One configuration's row: read if done, else tagged (answers cached) and written; timed if asked."""
    path = out / dataset / f"{config}.json"
    result = srsly.read_json(path) if path.exists() and not force else None
    if result is None and summarize_only:
        msg.warn(f"{dataset} / {config}: not run yet ({path} does not exist)")
        return None
    if result is None:
        msg.text(f"{dataset} / {config}: tagging {len(refs)} sentences")
        result = run_config(dataset, config, refs, labels, libs.cache_path, libs.get(config), tagging)
        path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, result)
    if time_n and not summarize_only and (retime or "timing" not in result):
        msg.text(f"{dataset} / {config}: timing {time_n} sentences with the answer cache off")
        result["timing"] = time_config(config, refs[:time_n], labels, libs.get(config), tagging)
        srsly.write_json(path, result)
    msg.good(f"{dataset} / {config}: F1 {result['f']}, {result.get('timing', {}).get('docs_per_s')} docs/s")
    return result


def _library_summary(
    libs: Libraries, configs: List[str], summarize_only: bool, out: Path, check: Optional[Tagging] = None
) -> Optional[Dict[str, Any]]:
    """The self-made library's counts, written beside the rows in `out` (committed: the library holds dataset
    text), or the committed summary when the library is not on this machine. Beside the rows, not in the
    library folder: rows reusing another output's libraries (`--library-dir`) must not rewrite the summary
    of that output's rows with a library built again since. With `check` (the rows' tagging), the build's
    label-free check too (`build_check`), kept while the library stays the same."""
    if any(c in SELF_LIBRARY for c in configs):
        if not summarize_only:
            libs.get("library")
        elif (saved := libs.saved_library()) is not None:
            libs.made["self"] = ExampleLibrary.from_disk(saved)
    summary_path = out / libs.dataset / "library-summary.json"
    if "self" in libs.made:
        lib = libs.made["self"]
        summary: Dict[str, Any] = {"examples": len(lib), "features": len(lib.features)}
        summary.update({key: lib.meta.get(key) for key in ("seconds", "usage", "counts")})
        summary["fingerprint"] = sha256_hex(canonical_json(lib.examples))
        before = srsly.read_json(summary_path) if summary_path.exists() else {}
        if before.get("fingerprint") == summary["fingerprint"] and "check_build" in before:
            summary["check_build"] = before["check_build"]
        elif check is not None and not summarize_only:
            summary["check_build"] = build_check(libs, lib, check)
        summary_path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(summary_path, summary)
        return summary
    return srsly.read_json(summary_path) if summary_path.exists() else None


def build_check(libs: Libraries, library: ExampleLibrary, tagging: Tagging) -> Dict[str, Any]:
    """`check-build` on the library as the rows tag (their k and domain): how often the tagger reproduces
    each example's labels with the nearest other examples as demos. No gold: what a user can see of a build."""
    nlp = make_nlp("library", libs.labels, libs.cache_path, library, tagging)
    result, usage = booked("check-build", lambda: self_check(nlp.get_pipe("reverse_ner").tagger, SelfCheckSettings()))
    per_type = {label: prf["f"] for label, prf in result["per_type"].items()}
    return {**{k: result[k] for k in ("examples", "reproduced", "agreement")}, "per_type_f": per_type,
            "usage": usage.to_dict() if usage else None}  # fmt: skip


def library_line(lib: Dict[str, Any]) -> str:
    """The build in one line: examples kept of those generated and why the rest went, the type check's
    verdicts, answers cut off at max_tokens (the counts of older builds lack some of these), calls, time."""
    usage = lib.get("usage") or {}
    calls = sum(paid_calls(u) for u in usage.values())
    counts = lib.get("counts") or {}
    ex, pools = counts.get("examples", {}), counts.get("pools", {})
    drops = ", ".join(f"{k[len('dropped_') :]} {v}" for k, v in sorted(ex.items()) if k.startswith("dropped_"))
    fixed = ("repaired_", "retry_", "top_up", "entities_given_up", "kept_after")
    fixes = ", ".join(f"{k} {v}" for k, v in sorted(ex.items()) if k.startswith(fixed))
    checks = ", ".join(f"{k[len('typecheck_') :]} {v}" for k, v in sorted(pools.items()) if k.startswith("typecheck_"))
    # cut-off answers whether dropped or salvaged (an example check's complete items are kept)
    cut: Any = sum(pools.get(k, 0) for k in ("cut_off", "typecheck_cut_off"))
    cut += sum(ex.get(k, 0) for k in ("dropped_cut_off", "cut_off_items_kept"))
    if "cut_off" not in pools:
        cut = "not counted (an older build)"
    rate = ex.get("kept", 0) / max(1, ex.get("generated", 0))
    checked, check = lib.get("check_build"), ""
    if checked:
        done = f"{checked['reproduced']} of {checked['examples']} examples reproduced"
        check = f" check-build agreement {checked['agreement']:.3f} ({done})."
    return (
        f"Library: {lib['examples']} examples from {lib['features']} feature sentences; kept "
        f"{ex.get('kept', 0)} of {ex.get('generated', 0)} expansions ({rate:.0%}; dropped: {drops or 'none'}"
        f"{'; ' + fixes if fixes else ''}); pool type check: {checks or 'all answered as generated'}; "
        f"answers cut off at max_tokens: {cut}; {calls} LLM calls, built in {lib['seconds']} s.{check}"
    )


def _columns(report: Dict[str, Any], dataset: str) -> List[str]:
    """Per-type F1 columns: PER/LOC/ORG for the news sets (the committed tables' order), else the labels."""
    labels = report.get("labels", {}).get(dataset) or ["PER", "LOC", "ORG"]
    return ["PER", "LOC", "ORG"] if set(labels) == {"PER", "LOC", "ORG"} else list(labels)


def sentences(report: Dict[str, Any], dataset: str) -> int:
    """The sentences a table's rows of `dataset` were scored on: the sample size asked for, or fewer where
    the split holds fewer (WikiGold's fresh ones)."""
    return min((r.get("docs", report["n"]) for r in report["results"] if r["dataset"] == dataset), default=report["n"])


def sample_name(report: Dict[str, Any], dataset: str) -> str:
    """A tagging table's sentences of `dataset` as the tables name them: how many, which split, which seed."""
    return f"{sentences(report, dataset)}, {report.get('split', 'test')} (seed {report['seed']})"


def markdown(report: Dict[str, Any]) -> str:
    lines = []
    for dataset in dict.fromkeys(r["dataset"] for r in report["results"]):
        types = _columns(report, dataset)
        lines += [
            f"**{dataset}** {report.get('split', 'test')}, {sentences(report, dataset)} sentences "
            f"(seed {report['seed']}), "
            + "/".join(types)
            + (f", library build seed {seed}" if (seed := report.get("build", {}).get("seed")) else ""),
            "",
            "| configuration | P | R | F1 | "
            + " | ".join(f"{t} F1" for t in types)
            + " | docs/s | prompt tok/doc | completion tok/doc |",
            "|---|---|---|---" + "|---" * len(types) + "|---|---|---|",
        ]
        for r in report["results"]:
            if r["dataset"] != dataset:
                continue
            pt = r["per_type"]
            cells = [r["config"], r["p"], r["r"], r["f"]] + [pt.get(t, {}).get("f", 0.0) for t in types]
            cells = [f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells]
            cells += [
                number_cell(r.get("timing", {}).get("docs_per_s"), ".3f"),
                number_cell(r.get("prompt_tokens_per_doc"), ".0f"),
                number_cell(r.get("completion_tokens_per_doc"), ".0f"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lib = report["libraries"].get(dataset)
        if lib:
            lines += ["", library_line(lib)]
        enlarged = [r for r in report["results"] if r["dataset"] == dataset and r["config"] in ENLARGED]
        lines += [f"The {r['config']} row tags with {r['library_examples']} examples." for r in enlarged
                  if r.get("library_examples")]  # fmt: skip
        lines.append("")
    return "\n".join(lines)
