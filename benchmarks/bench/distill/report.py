"""The report from the step records on disk (`collect`): one summary per finished row (`summarize`), with the
LLM usage its annotation cost (a pass or `--more` corpus books its texts' share of every tagging), and the
per-corpus summaries of the two-pass and `--more` corpora. It reads records only, so `--summarize-only`
and `bench tables` rebuild every table without a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly

from ..paths import PROGGEN_DIR
from ..tables import summed_usage
from .names import (
    CONFIGS,
    MORE,
    PASS_VARIANTS,
    PRETRAINED,
    PRETRAINED_RELABELLED,
    RELABELLED,
    SAME_BUILD,
    SELFTRAINED,
    SELFTRAINED_PRETRAINED,
    SELFTRAINED_RELABELLED,
    SHAPED,
    SHAPED_RELABELLED,
    STEPS,
    TWO_PASS,
    VECTORED,
    WIDE,
    annotated_size,
    more_variant,
    more_variant_of,
    more_variants,
    scaled_name,
    shared_record,
    step_record,
    two_pass_names,
    variant_names,
)


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
        report["datasets"].append(dataset_entry(dataset, base, annotated, theirs.get(dataset, {})))
    return report


def dataset_entry(dataset: str, base: Path, annotated: Dict[str, Any], theirs: Dict[str, Any]) -> Dict[str, Any]:
    """One dataset's part of the report: its rows (`row_summaries`), its corpora's label F1, the two-pass and
    `--more` corpora's summaries, the cross-check's signals and the speeds, each where its record is on disk."""
    configs = row_summaries(base, annotated, theirs)
    entry: Dict[str, Any] = {"dataset": dataset, "configs": configs, "corpus_f1": {"annotated": annotated["gold"]}}
    correct_record = step_record(base / "distill+correct", "correct")
    if correct_record.exists():
        entry["corpus_f1"]["corrected"] = srsly.read_json(correct_record)["gold"]
    two_pass_record = step_record(base / TWO_PASS, "annotate")
    if two_pass_record.exists():
        entry["two_pass"] = two_pass_summary(base, srsly.read_json(two_pass_record), annotated)
    if variants := more_variants(base):
        entry["more"] = [more_summary(base, variant, annotated) for variant in variants]
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
        if (record := shared_record(base, step)).exists():
            entry[key] = srsly.read_json(record)
    return entry


def row_summaries(base: Path, annotated: Dict[str, Any], theirs: Dict[str, Any]) -> Dict[str, Any]:
    """A dataset's rows in the table's order: ProgGen's x+y+correct and real-train around the distilled rows
    that are evaluated (`theirs`: the ProgGen benchmark's rows of the dataset; `annotated`: the annotation's
    record, whose usage each distilled row books)."""
    configs: Dict[str, Any] = {}
    if "x+y+correct" in theirs:
        configs["proggen x+y+correct"] = theirs["x+y+correct"]
    for name in row_names(base):
        row = summarize(base, name, annotated)
        if row is not None:
            configs[name] = row
    if "real-train" in theirs:
        configs["real-train"] = theirs["real-train"]
    return configs


def row_names(base: Path) -> List[str]:
    """Every distilled row the dataset folder `base` may hold, in the table's order: the named rows, the
    fixed-steps students' and the `--more` corpora's found on disk, then the learning curve's by size."""
    curve = sorted((p.name for p in base.glob("*@*") if p.is_dir()), key=lambda x: (annotated_size(x), x))
    named = [*CONFIGS, *RELABELLED, *SELFTRAINED, *SELFTRAINED_RELABELLED, *PRETRAINED, *PRETRAINED_RELABELLED]
    named += [*SELFTRAINED_PRETRAINED]
    named += [*SHAPED, *SHAPED_RELABELLED, *VECTORED, *WIDE, *two_pass_names()]
    named += sorted(p.name for p in base.glob(f"distill+correct+minilm{STEPS}*") if p.is_dir())
    for more in more_variants(base):
        named += [*variant_names(more), *(scaled_name(row) for row in variant_names(more))]
    return [*named, *curve]


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
    correct = srsly.read_json(step_record(base / corpus, "correct")) if "correct" in name else {}
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


def joined_annotation(first: Dict[str, Any], second: Dict[str, Any], share: float = 1.0) -> Dict[str, Any]:
    """Two annotation records as one (`share`: the part of the first one's texts, calls and seconds used)."""
    a, b = first.get("usage") or {}, second.get("usage") or {}
    return {
        "texts": round(first["texts"] * share) + second["texts"],
        "usage": {k: a.get(k, 0) * share + b.get(k, 0) for k in {*a, *b}},
        "tag_seconds": first["tag_seconds"] * share + second["tag_seconds"],
    }


def two_pass_annotated(base: Path, one_pass: Dict[str, Any], variant: str = TWO_PASS) -> Dict[str, Any]:
    """A pass variant's annotation as one record: the one-pass annotation's share of the first pass's texts,
    and the record of the other texts' tagging (the second pass, or the same build alone: its own calls and
    seconds)."""
    record = srsly.read_json(step_record(base / TWO_PASS, "annotate"))
    second = record if variant == TWO_PASS else srsly.read_json(step_record(base / TWO_PASS, "one-pass"))
    return joined_annotation(one_pass, second, share=record["first_pass"] / one_pass["texts"])


def more_annotated(base: Path, sample: Dict[str, Any], variant: str = MORE) -> Dict[str, Any]:
    """The `--more` corpus `variant`'s annotation as one record: the sample's and the texts past it, each
    chunk's tagging where the corpus went on from a smaller one's."""
    record = srsly.read_json(step_record(base / variant, "annotate"))
    first = more_annotated(base, sample, more_variant(record["past"])) if record.get("past") else sample
    return joined_annotation(first, record)


def two_pass_summary(base: Path, record: Dict[str, Any], annotated: Dict[str, Any]) -> Dict[str, Any]:
    """What the second pass gained: its texts' label F1 against the one pass's on the same texts, the
    whole corpus's before and after correction, and the user texts that joined the library (`annotated`:
    the one-pass annotation's record)."""
    one_pass_record = step_record(base / TWO_PASS, "one-pass")
    one_pass = srsly.read_json(one_pass_record) if one_pass_record.exists() else None
    return {
        "first_pass": record["first_pass"],
        "second_pass_cache_hits": (record.get("usage") or {}).get("cache_hits", 0),
        "user_demos": record["user_demos"],
        "second_pass_gold": record["gold"],
        "corpus_one_pass_gold": record["corpus_one_pass_gold"],
        "one_pass_gold": one_pass["gold"] if one_pass else None,
        "corpus_gold": record["corpus_gold"],
        "corrected_gold": corrected_gold(base, TWO_PASS),
        "same_build_corrected_gold": corrected_gold(base, SAME_BUILD),
        "library_examples": {
            "two_pass": record.get("library_examples"),
            "one_pass": one_pass.get("library_examples") if one_pass else None,
            "corpus": annotated.get("library_examples"),
        },
    }


def more_summary(base: Path, variant: str, annotated: Dict[str, Any]) -> Dict[str, Any]:
    """The `--more` corpus `variant`'s label F1: the texts it tagged alone, the whole corpus before and after
    correction, and the library builds that labelled the sample and those texts."""
    record = srsly.read_json(step_record(base / variant, "annotate"))
    return {
        "more": record["more"],
        "past": record.get("past", 0),
        "cache_hits": (record.get("usage") or {}).get("cache_hits", 0),
        "sample": annotated["texts"],
        "more_gold": record["gold"],
        "corpus_gold": record["corpus_gold"],
        "corrected_gold": corrected_gold(base, variant),
        "library_examples": {"more": record.get("library_examples"), "sample": annotated.get("library_examples")},
    }


def corrected_gold(base: Path, variant: str) -> Optional[Dict[str, Any]]:
    """The label F1 of the corpus `variant` after correction (None until its `correct` step has run)."""
    record = step_record(base / f"{variant}+correct", "correct")
    return srsly.read_json(record)["gold"] if record.exists() else None
