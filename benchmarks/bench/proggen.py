"""The issue-4 benchmark: spaCy models trained on (a) `simple`, (b) `diversify-x+y` + self-correction and
(c) the real train split, evaluated on the real test split; resumable step by step.

Every step writes `<output_dir>/<dataset>/<config>/steps/<step>.json` (seconds, usage, counts) when it
finishes; a rerun skips finished steps and the LLM cache makes an interrupted step cheap to redo.
"""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import srsly
from spacy.tokens import DocBin
from wasabi import msg

from spacy_progner.corpus.bio import read_bio, row_to_doc
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.corpus.evaluate import evaluate_model
from spacy_progner.distill.annotate import AnnotateSettings
from spacy_progner.distill.tagcheck import tagcheck, take_tagger
from spacy_progner.errors import SettingsError, StepError
from spacy_progner.files import read_jsonl, read_yaml, write_jsonl, write_yaml
from spacy_progner.llm import ChatModel, UsageLedger
from spacy_progner.llm.ledger import booked
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.proggen.attributes import TOPIC, AttributeSettings, build_attributes, load_attributes
from spacy_progner.proggen.checkpoint import generate_in_legs, state_path, with_earlier_legs
from spacy_progner.proggen.correct import CorrectSettings, correct
from spacy_progner.proggen.entities import EntitySettings, build_pools
from spacy_progner.proggen.generate import GenerateSettings
from spacy_progner.proggen.poolcheck import three_way
from spacy_progner.proggen.report import build_report, write_report
from spacy_progner.reverse_ner.build import BuildSettings
from spacy_progner.seeds import rng_for

from .datasets import dataset_docbin, known_configs, split_path
from .paths import DOMAINS_DIR, REVERSE_NER_DIR, TRAIN_CONFIG
from .reverse_ner import LIBRARY_CLUSTERS, build_library, dataset_task, pipeline_for
from .tables import abcd_cell, per_type_cell, summed_usage

XY_POOLS = {"variant": "diversify-x+y", "correct": True, "generated_by": "x+y+correct"}
CONFIGS: Dict[str, Dict[str, Any]] = {
    "simple": {"variant": "simple", "correct": False},
    "x+y+correct": {"variant": "diversify-x+y", "correct": True},
    # the same generated corpus, corrected with the pool types of its required names checked first
    # (`proggen.poolcheck`), settled by each rule in turn
    "x+y+poolcheck": {**XY_POOLS, "pools": "recheck"},
    "x+y+trustpool": {**XY_POOLS, "pools": "trust_pool"},
    # ... and the spec's own D judgements ("restaurant" is no Restaurant_Name) settled without a call
    "x+y+trustpool+spec": {**XY_POOLS, "pools": "trust_pool", "trust_spec": True},
    # ... and first annotated again by the reverse_ner tagger (`distill.tagcheck`): its disagreements with
    # the generating answer and with the pool types are re-checked (no log-probs needed)
    "x+y+tagcheck": {**XY_POOLS, "pools": "recheck", "tagcheck": True},
    # the tagger's marks (from x+y+tagcheck's pass: one tagging pass serves both) with the pool types
    # settling the required names, so the re-checks go to what the pools cannot settle
    "x+y+trustpool+tagcheck": {**XY_POOLS, "pools": "trust_pool", "tagcheck": True, "tagged_by": "x+y+tagcheck"},
    # the tagger's annotation instead of the generating answer's, the pool types settling required names
    "x+y+tagger": {**XY_POOLS, "pools": "trust_pool", "tagcheck": True, "tagged_by": "x+y+tagcheck", "take": "tagger"},
}
# the tagger's second annotation: the CPU preset (README, reverse_ner speed), k=2 demos shared by groups
# of 2 similar sentences; its marks need no log-probs, and 1,500 sentences take ~1 h instead of ~1.5 h
TAGCHECK_K, TAGCHECK_GROUP = 2, 2
LLM_STEPS = ("attributes", "entities", "generate", "correct")
ALL_CONFIGS = (*CONFIGS, "real-train")


def check_configs(names: Sequence[str]) -> List[str]:
    """The configurations asked for, each known (a 1,500-sentence run picks the ones worth hours of model time)."""
    if not names:
        raise SettingsError(f"benchmark proggen: no configuration given; choose from {list(ALL_CONFIGS)}")
    return known_configs(names, ALL_CONFIGS, "proggen")


def pool_settings(seed: int) -> EntitySettings:
    """Pools large enough for 400+ sentences at ~1.5 entities each: 40 vanilla names asked per type and
    10 per (topic, type) for every topic value (with 5 per topic, 400 sentences re-used each name ~4 times)."""
    return EntitySettings(n_per_call=10, calls_per_type=4, n_per_topic=10, max_topics=None, seed=seed)


class Bench:
    def __init__(
        self, root: Path, model_factory: Callable[[], ChatModel], force: bool = False, cache_path: Optional[str] = None
    ):
        self.root = root
        self.cache_path = cache_path  # for steps that load their own pipeline (tagcheck)
        self._factory = model_factory
        self._model: Optional[ChatModel] = None
        self.force = force
        self._ran: Set[Path] = set()  # records this run wrote: --force redoes a shared step once, not per config

    @property
    def model(self) -> ChatModel:
        if self._model is None:
            self._model = self._factory()
        return self._model

    def step(self, folder: Path, name: str, outputs: List[Path], fn: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        record_path = folder / "steps" / f"{name}.json"
        redo = self.force and record_path not in self._ran
        if not redo and record_path.is_file() and all(p.exists() for p in outputs):
            msg.info(f"{folder.name}/{name}: done before, skipped")
            return srsly.read_json(record_path)
        msg.divider(f"{folder.parent.name}/{folder.name}: {name}")
        uses_llm = name in LLM_STEPS
        if uses_llm:
            self.model.ledger = UsageLedger()
        start = time.perf_counter()
        with self.model.ledger.step(name) if uses_llm else _null():
            info = fn()
        earlier = info.pop("earlier_legs", None)  # a step resumed from saved state: what its earlier legs cost
        record = {"step": name, "seconds": round(time.perf_counter() - start, 2), **info}
        if uses_llm:
            booked = with_earlier_legs(earlier, self.model.ledger.total(), record["seconds"])
            record.update(seconds=round(booked["seconds"], 2), usage=booked["usage"], legs=booked["legs"])
        record_path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(record_path, record)
        self._ran.add(record_path)
        return record


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _train(
    config: Path,
    folder: Path,
    out: Path,
    train_steps: Optional[int],
    seed: Optional[int],
    init_tok2vec: Optional[Path] = None,
) -> Dict[str, Any]:
    """`spacy train` on the folder's DocBins into `out` (seed None: the config's own seed; init_tok2vec:
    pretrained tok2vec weights to start from)."""
    from spacy.cli.train import train

    overrides: Dict[str, Any] = {"paths.train": str(folder / "train.spacy"), "paths.dev": str(folder / "dev.spacy")}
    if init_tok2vec is not None:
        overrides["paths.init_tok2vec"] = str(init_tok2vec)
    if train_steps:
        overrides["training.max_steps"] = train_steps
    if seed is not None:
        overrides["system.seed"] = seed
    train(config, out, use_gpu=-1, overrides=overrides)
    return {"model": str(out / "model-best"), **({"seed": seed} if seed is not None else {})}


def _real_train_docbins(dataset: str, labels: List[str], folder: Path, seed: int) -> Dict[str, Any]:
    import spacy

    nlp_vocab = spacy.blank("en").vocab
    rows = read_bio(split_path(dataset, "train"))
    try:
        dev_rows = read_bio(split_path(dataset, "dev"))
    except ValueError:  # no dev split (MIT sets): hold out 10% of train
        order = list(range(len(rows)))
        rng_for(seed, dataset, "dev").shuffle(order)
        cut = set(order[: len(rows) // 10])
        dev_rows = [r for i, r in enumerate(rows) if i in cut]
        rows = [r for i, r in enumerate(rows) if i not in cut]
    folder.mkdir(parents=True, exist_ok=True)
    DocBin(docs=[row_to_doc(nlp_vocab, r, labels) for r in rows]).to_disk(folder / "train.spacy")
    DocBin(docs=[row_to_doc(nlp_vocab, r, labels) for r in dev_rows]).to_disk(folder / "dev.spacy")
    return {"train_docs": len(rows), "dev_docs": len(dev_rows)}


def run_dataset(
    bench: Bench,
    dataset: str,
    domains_dir: Path,
    train_config: Path,
    n_sentences: int,
    train_steps: Optional[int],
    test_limit: Optional[int],
    seed: int,
    configs: Sequence[str] = ALL_CONFIGS,
    train_seeds: Sequence[int] = (),
) -> Dict[str, Any]:
    spec = DomainSpec.load(domains_dir / f"{dataset}.yml")
    labels = list(spec.types)
    base = bench.root / dataset
    test = base / "test.spacy"
    out: Dict[str, Any] = {"dataset": dataset, "labels": labels, "configs": {}}
    out["test"] = bench.step(
        base / "shared", "test-data", [test], lambda: dataset_docbin(dataset, "test", labels, test, test_limit, seed)
    )
    shared_steps = _shared_steps(bench, spec, base / "shared", seed)
    for name in (c for c in CONFIGS if c in configs):
        steps, samples_file = _corpus_steps(bench, spec, base, name, n_sentences, seed)
        steps = (list(shared_steps) if uses_shared(name) else []) + steps
        out["configs"][name] = _train_and_eval(bench, base / name, train_config, train_steps, test, steps, train_seeds)
        bench.step(
            base / name, "report", [base / name / "report.html"], partial(_report, spec, base, name, samples_file, seed)
        )
    if "real-train" in configs:
        folder = base / "real-train"
        run = partial(_real_train_docbins, dataset, labels, folder, seed)
        steps = [bench.step(folder, "real-docbin", [folder / "train.spacy"], run)]
        args = (train_config, train_steps, test, steps, train_seeds)
        out["configs"]["real-train"] = _train_and_eval(bench, folder, *args)
    return {**out, "tagger_passes": tagger_passes(base)}


def _shared_steps(bench: Bench, spec: DomainSpec, shared: Path, seed: int) -> List[Dict[str, Any]]:
    """Diversify X (attributes) and Y (entity pools), shared by the configurations built on them."""

    def attributes() -> Dict[str, Any]:
        result = build_attributes(bench.model, spec, AttributeSettings(seed=seed))
        write_yaml(shared / "attributes.yml", result["attributes"])
        return result["metrics"]

    def entities() -> Dict[str, Any]:
        dims = load_attributes(read_yaml(shared / "attributes.yml", "attributes"), str(shared / "attributes.yml"))
        result = build_pools(bench.model, spec, pool_settings(seed), dims[TOPIC]["values"])
        srsly.write_json(shared / "entities.json", result["pools"])
        return result["metrics"]

    return [
        bench.step(shared, "attributes", [shared / "attributes.yml"], attributes),
        bench.step(shared, "entities", [shared / "entities.json"], entities),
    ]


def _corpus_steps(bench: Bench, spec: DomainSpec, base: Path, name: str, n_sentences: int, seed: int):
    """generate (-> correct) -> to-docbin of one configuration; its step records and its corpus file."""
    cfg, folder, shared = CONFIGS[name], base / name, base / "shared"
    source = base / cfg.get("generated_by", name)  # where the generated corpus lies (its generate step)

    def gen() -> Dict[str, Any]:
        attrs = load_attributes(read_yaml(shared / "attributes.yml", "attributes"), "attributes")
        pools = json.loads((shared / "entities.json").read_text(encoding="utf8"))
        settings = GenerateSettings(cfg["variant"], n_sentences, seed=seed)
        # the run's state after every batch of calls (commit it during a long run: a new machine has no
        # LLM cache, and the run goes on from this state without repeating a call)
        output = source / "generated.jsonl"
        result = generate_in_legs(bench.model, spec, settings, attrs, pools, state_path(output))
        write_jsonl(output, result["samples"])
        return result["metrics"]

    def corr() -> Dict[str, Any]:
        samples = read_jsonl(to_correct, "samples")
        samples = take_tagger(samples) if cfg.get("take") == "tagger" else samples
        pools = srsly.read_json(shared / "entities.json") if cfg.get("pools") else None
        select_by = "agreement" if cfg.get("tagcheck") else CorrectSettings.select_by
        rule = cfg.get("pools") or CorrectSettings.pool_rule
        spec_rule = cfg.get("trust_spec", CorrectSettings.trust_spec)
        settings = CorrectSettings(seed=seed, pool_rule=rule, select_by=select_by, trust_spec=spec_rule)
        result = correct(bench.model, spec, samples, settings, pools=pools)
        write_jsonl(folder / "corrected.jsonl", result["samples"])
        taken = {"annotated_by": "tagger"} if cfg.get("take") == "tagger" else {}  # for the report's caption
        return {**result["metrics"], **taken, "decisions": result["decisions"]}

    steps = [bench.step(source, "generate", [source / "generated.jsonl"], gen)]
    samples_file = to_correct = source / "generated.jsonl"
    by = tagging_pass(name)
    if by:
        tagged = base / by  # where the tagged corpus lies (its tagcheck step)
        to_correct = tagged / "tagchecked.jsonl"
        corpus = (source / "generated.jsonl", shared / "entities.json")
        run = partial(_tagcheck, base.name, spec, corpus, to_correct, bench.cache_path)
        steps.append(bench.step(tagged, "tagcheck", [to_correct], run))
    if cfg["correct"]:
        steps.append(bench.step(folder, "correct", [folder / "corrected.jsonl"], corr))
        samples_file = folder / "corrected.jsonl"
    steps.append(
        bench.step(folder, "to-docbin", [folder / "train.spacy"], partial(_docbin, spec, samples_file, folder, seed))
    )
    return steps, samples_file


def _tagcheck(
    dataset: str, spec: DomainSpec, corpus: Tuple[Path, Path], out: Path, cache_path: Optional[str]
) -> Dict[str, Any]:
    """The generated corpus annotated again by the tagger, with the reverse_ner benchmark's library of
    the dataset's unlabelled text (built here if it is not on disk); usage booked to this step. With the
    agreement of the answer, the tagger and the pool types on the required pool names (`corpus`: the
    generated samples and the entity pools they were generated from)."""
    samples, pools = corpus
    labels, build = dataset_task(dataset, BuildSettings(n_clusters=LIBRARY_CLUSTERS))
    library = build_library(dataset, labels, build, REVERSE_NER_DIR, cache_path)
    nlp = pipeline_for(labels, library, cache_path, TAGCHECK_K, build.domain, group_size=TAGCHECK_GROUP)
    no_logprobs = AnnotateSettings(logprobs=False)  # the marks are agreement, not confidence
    result, usage = booked("tagcheck", lambda: tagcheck(nlp, read_jsonl(samples, "samples"), no_logprobs))
    write_jsonl(out, result["samples"])
    pool_names = three_way(result["samples"], srsly.read_json(pools), list(spec.types))
    return {**result["metrics"], "pool_names": pool_names, "usage": usage.to_dict() if usage else None}


def _docbin(spec: DomainSpec, samples: Path, folder: Path, seed: int) -> Dict[str, Any]:
    return to_docbin(spec, read_jsonl(samples, "samples"), folder, seed=seed)


def tagging_pass(config: str) -> Optional[str]:
    """The configuration whose tagging pass serves `config` (itself, or the one whose pass it shares);
    None for a configuration without one."""
    cfg = CONFIGS.get(config, {})
    return cfg.get("tagged_by", config) if cfg.get("tagcheck") else None


def uses_shared(config: str) -> bool:
    """Whether a configuration's corpus is built on the shared Diversify X/Y steps (attributes, pools)."""
    return config in CONFIGS and CONFIGS[config]["variant"] != "simple"


def record_paths(base: Path, config: str) -> Dict[str, Path]:
    """Where each step record of a configuration lies under `base` (one dataset), in run order."""
    own = ["real-docbin"] if config == "real-train" else ["generate", "tagcheck", "correct", "to-docbin"]
    shared = ["attributes", "entities"] if uses_shared(config) else []
    paths = {name: base / "shared" / "steps" / f"{name}.json" for name in shared}
    paths.update({name: base / config / "steps" / f"{name}.json" for name in own + ["train", "evaluate"]})
    for step, by in (("generate", "generated_by"), ("tagcheck", "tagged_by")):  # a step another config ran
        if by in CONFIGS.get(config, {}):
            paths[step] = base / CONFIGS[config][by] / "steps" / f"{step}.json"
    return paths


def _report(spec: DomainSpec, base: Path, config: str, samples: Path, seed: int) -> Dict[str, Any]:
    """The HTML report of one synthetic corpus, from the step records (each record's usage under its step)."""
    metrics: Dict[str, Dict[str, Any]] = {}
    for name, record in record_paths(base, config).items():
        if name != "train" and record.is_file():
            m = dict(srsly.read_json(record))
            if "usage" in m and "steps" not in m["usage"]:
                m["usage"] = {"steps": {name: m["usage"]}}
            metrics[name.replace("-", "_")] = m
    pools = srsly.read_json(base / "shared" / "entities.json") if uses_shared(config) else None
    variant = CONFIGS[config]["variant"]
    html = build_report(spec, read_jsonl(samples, "samples"), metrics, pools, seed=seed, variant=variant)
    write_report(base / config / "report.html", html)
    return {"report": str(base / config / "report.html")}


def _train_and_eval(
    bench: Bench,
    folder: Path,
    config: Path,
    train_steps,
    test: Path,
    steps: List[Dict[str, Any]],
    train_seeds: Sequence[int] = (),
    init_tok2vec: Optional[Path] = None,
):
    """Train and evaluate the row's model (the config's own seed), then once more per extra training seed:
    one seed moves F1 by several points on these small synthetic corpora, more than many differences
    between configurations."""
    scores = _trained(bench, folder, config, train_steps, test, steps, None, init_tok2vec)
    for seed in train_seeds:
        _trained(bench, folder, config, train_steps, test, [], seed, init_tok2vec)
    return summarize(steps, scores, seed_scores(folder))


def _trained(bench: Bench, folder: Path, config: Path, train_steps, test, steps: List[Dict[str, Any]], seed, init=None):
    """The evaluate record of one trained model; seed None: the config's own (`model/`), else `model-seed<k>/`."""
    tag = "" if seed is None else f"-seed{seed}"
    model = folder / f"model{tag}"
    best = model / "model-best"
    scores_record = folder / "steps" / f"evaluate{tag}.json"
    # Trained models are not committed: once evaluated, a fresh checkout does not train again.
    outputs = [] if scores_record.is_file() else [best]
    run = partial(_train, config, folder, model, train_steps, seed, init)
    steps.append(bench.step(folder, f"train{tag}", outputs, run))
    scores = bench.step(folder, f"evaluate{tag}", [scores_record], lambda: evaluate_model(best, test))
    steps.append(scores)
    return scores


def seed_scores(folder: Path) -> Dict[int, float]:
    """F1 of each extra training seed evaluated so far (`steps/evaluate-seed<k>.json`)."""
    found = {int(p.stem.rsplit("seed", 1)[1]): p for p in (folder / "steps").glob("evaluate-seed*.json")}
    return {k: srsly.read_json(found[k])["ents_f"] for k in sorted(found)}


def summarize(
    steps: List[Dict[str, Any]], scores: Dict[str, Any], seeds: Optional[Dict[int, float]] = None
) -> Dict[str, Any]:
    """One table row from a configuration's step records; `seeds`: F1 of its extra training seeds."""
    by = {s["step"]: s for s in steps}
    all_f1 = [scores["ents_f"], *(seeds or {}).values()]
    kept = (by.get("generate") or {}).get("kept_sentences") or (by.get("real-docbin") or {}).get("train_docs")
    usage = summed_usage(steps)
    per_1000: Optional[Dict[str, Any]] = None
    if kept and usage["calls"]:
        per_1000 = {k: round(v * 1000 / kept, 1) for k, v in usage.items()}
        if any(s.get("usage_incomplete") for s in steps):  # tokens unknown: not shown rather than too few
            per_1000.update(prompt_tokens=None, completion_tokens=None)
    return {
        "f1": scores["ents_f"],
        "p": scores["ents_p"],
        "r": scores["ents_r"],
        "per_type_f1": {k: v["f"] for k, v in scores["per_type"].items()},
        "f1_other_train_seeds": {str(k): v for k, v in (seeds or {}).items()},
        "f1_mean_over_train_seeds": round(sum(all_f1) / len(all_f1), 4) if seeds else None,
        "kept_sentences": kept,
        "correction_choices": (by.get("correct") or {}).get("choices"),
        "correction_outcomes": (by.get("correct") or {}).get("outcomes"),
        "pool_check": (by.get("correct") or {}).get("pool_check"),
        "tagger_check": _tagger_check(by.get("tagcheck")),
        "llm_usage": usage,
        "llm_per_1000_kept": per_1000,
        "seconds_per_step": {s["step"]: s["seconds"] for s in steps},
        "usage_incomplete": {s["step"]: s["usage_incomplete"] for s in steps if s.get("usage_incomplete")},
    }


def _tagger_check(record: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """What the tagger's second annotation found: its agreement with the answer on every annotation, and
    the three-way agreement (answer, tagger, pool type) on the required pool names."""
    if not record:
        return None
    counts = {k: record.get(k, 0) for k in ("agree", "disagree", "proposed")}
    return {**counts, "agreement": record.get("agreement"), "pool_names": record.get("pool_names")}


def tagger_passes(base: Path) -> Dict[str, Any]:
    """Each tagging pass on record under `base` (one dataset), by the configuration that ran it: noted
    whether or not a configuration using it has been trained yet (a pass is an hour of model time on its own)."""
    own = [name for name in CONFIGS if tagging_pass(name) == name]
    records = {name: base / name / "steps" / "tagcheck.json" for name in own}
    return {name: _tagger_check(srsly.read_json(path)) for name, path in records.items() if path.is_file()}


def collect(output_dir: Path, datasets: List[str], n_sentences: int, seed: int) -> Dict[str, Any]:
    """The report from the step records on disk, for whatever has finished (a resumed or partial run):
    a configuration is listed once it has been evaluated."""
    report: Dict[str, Any] = {"n_sentences": n_sentences, "seed": seed, "datasets": []}
    for dataset in datasets:
        base = output_dir / dataset
        configs: Dict[str, Any] = {}
        for name in [*CONFIGS, "real-train"]:
            paths = record_paths(base, name)
            if not paths["evaluate"].is_file():
                continue
            steps = [srsly.read_json(p) for p in paths.values() if p.is_file()]
            configs[name] = summarize(steps, srsly.read_json(paths["evaluate"]), seed_scores(base / name))
        if configs:
            report["datasets"].append({"dataset": dataset, "configs": configs, "tagger_passes": tagger_passes(base)})
    return report


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        "| dataset | training data | kept sentences | micro F1 | P | R | F1, other train seeds (mean of all) | "
        "per-type F1 | A/B/C/D | LLM calls / 1k kept | tokens (prompt+completion) / 1k kept | wall time per step (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ds in report["datasets"]:
        for name, r in ds["configs"].items():
            per_type, abcd = per_type_cell(r["per_type_f1"]), abcd_cell(r["correction_choices"])
            p1k = r["llm_per_1000_kept"]
            calls = f"{p1k['calls']:.0f}" if p1k else "–"
            toks = f"{p1k['prompt_tokens'] + p1k['completion_tokens']:.0f}" if p1k and p1k["prompt_tokens"] else "–"
            secs = ", ".join(f"{k} {v:.0f}" for k, v in r["seconds_per_step"].items())
            lines.append(
                f"| {ds['dataset']} | {name} | {r['kept_sentences']} | {r['f1']:.3f} | {r['p']:.3f} | {r['r']:.3f} | "
                f"{seeds_cell(r)} | {per_type} | {abcd} | {calls} | {toks} | {secs} |"
            )
    notes = [note for ds in report["datasets"] for note in dataset_notes(ds)]
    lines += [""] + notes if notes else []
    return "\n".join(lines) + "\n"


def seeds_cell(row: Dict[str, Any]) -> str:
    """The seeds cell, e.g. "seed 1 0.331, seed 2 0.345 (0.344)"; a dash where only the config's seed ran."""
    other = row.get("f1_other_train_seeds") or {}
    if not other:
        return "–"
    listed = ", ".join(f"seed {k} {f:.3f}" for k, f in other.items())
    return f"{listed} ({row['f1_mean_over_train_seeds']:.3f})"


def dataset_notes(ds: Dict[str, Any]) -> List[str]:
    """The notes under the table for one dataset: incomplete usage, each correction's pool check and
    outcomes, and each tagging pass's agreement once (the configurations using it named together)."""
    dataset, configs, notes = ds["dataset"], ds["configs"], []
    for name, r in configs.items():
        notes += [f"- **{dataset} {name}**, {step}: {why}" for step, why in (r.get("usage_incomplete") or {}).items()]
        if r.get("pool_check"):
            notes.append(_pool_note(dataset, name, r["pool_check"], r.get("correction_outcomes")))
    for by, tc in (ds.get("tagger_passes") or {}).items():
        notes.append(_tagger_note(dataset, by, [n for n in configs if tagging_pass(n) == by], tc))
    return notes


def counted(counts: Optional[Dict[str, int]]) -> str:
    """Counts as "kept 106, span replaced 10, …", largest first."""
    return ", ".join(f"{k} {v}" for k, v in sorted((counts or {}).items(), key=lambda kv: -kv[1])) or "none"


def _pool_note(dataset: str, name: str, pc: Dict[str, Any], outcomes: Optional[Dict[str, int]]) -> str:
    whose = "tagger's annotation" if CONFIGS.get(name, {}).get("take") == "tagger" else "generating answer"
    return (
        f"- **{dataset} {name}**: {pc['pool_names_in_sentence']} required pool names in their sentences; the "
        f"{whose} agreed with the pool type on {pc['agree']}, typed {pc['typed_differently']} differently, bounded "
        f"{pc['other_boundary']} otherwise, missed {pc['missed']}; correction outcomes: {counted(outcomes)}"
    )


def _tagger_note(dataset: str, by: str, users: List[str], tc: Dict[str, Any]) -> str:
    pn = tc["pool_names"] or {}
    judged = tc["agree"] + tc["disagree"]
    share = f" ({tc['agree'] / judged:.1%})" if judged else ""
    used = f"used by {', '.join(users)}" if users else "no configuration using it trained yet"
    return (
        f"- **{dataset}, the tagger's pass** (run by {by}; {used}): the tagger agreed with {tc['agree']} of "
        f"the answer's {judged} annotations{share} and proposed {tc['proposed']} more; on the "
        f"{pn.get('pool_names_in_sentence')} required pool names it gave the pool type to "
        f"{(pn.get('tagger') or {}).get('agree')}, the answer to {(pn.get('answer') or {}).get('agree')}; "
        f"answer/tagger verdicts: {counted(pn.get('pairs'))}"
    )


def run(
    datasets: List[str],
    output_dir: Path,
    model_factory: Callable[[], ChatModel],
    domains_dir: Path = DOMAINS_DIR,
    train_config: Path = TRAIN_CONFIG,
    n_sentences: int = 400,
    train_steps: Optional[int] = None,
    test_limit: Optional[int] = None,
    seed: int = 0,
    force: bool = False,
    cache_path: Optional[str] = None,
    configs: Sequence[str] = ALL_CONFIGS,
    train_seeds: Sequence[int] = (),
) -> Dict[str, Any]:
    if not datasets:
        raise StepError("benchmark: no dataset given")
    configs = check_configs(configs)
    bench = Bench(output_dir, model_factory, force, cache_path)
    report: Dict[str, Any] = {"n_sentences": n_sentences, "seed": seed, "datasets": []}
    for dataset in datasets:
        args = (domains_dir, train_config, n_sentences, train_steps, test_limit, seed, configs, train_seeds)
        report["datasets"].append(run_dataset(bench, dataset, *args))
    return report
