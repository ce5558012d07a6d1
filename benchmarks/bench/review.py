"""What an hour of review buys: a simulated reviewer on the committed distillation corpus.

Per dataset: the corrected corpus (`distill/<dataset>/distill+correct/corrections.jsonl`, its text joined
back from the dataset) gets fresh cross-check marks (`crosscheck`: students on the other folds, no LLM);
the review's own ranking (`spacy_progner.review.rank`) orders it. A "reviewer" then sets the first N
texts, in `ranked` order or a seeded `random` one, to their hidden gold tags (read for those texts only)
and the decisions a person would have made are counted (accepts, removals, retypes, additions, as the
review page counts them). The corpus's own F1 after review is scored against the gold tags, and a CNN is
trained on the reviewed corpus (reviewed texts as gold, as `to-docbin --reviewed` takes them) and
evaluated on the whole test split. Row n=0 (order `none`) is the corpus without review.

Every row is its own folder `distill/<dataset>/review/<order>-<n>-seed<k>/` with step records, so a rerun
skips finished rows; `distill/review.json` and `review.md` hold the table."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Sequence

import srsly
from wasabi import msg

from spacy_progner.corpus.docbin import to_docbin, with_reviewed
from spacy_progner.corpus.evaluate import evaluate_model
from spacy_progner.distill.crosscheck import CrossCheckSettings, crosscheck
from spacy_progner.errors import StepError
from spacy_progner.files import read_jsonl, write_jsonl
from spacy_progner.llm import ChatModel
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.review.decisions import COUNTS, reviewed_row
from spacy_progner.review.rank import rank
from spacy_progner.seeds import rng_for

from .datasets import dataset_docbin, split_texts
from .distill.corpus import gold_char_spans, read_offsets, score_corpus, with_text
from .distill.students import relabel_step
from .paths import DISTILL_DIR, DOMAINS_DIR, MINILM_CONFIG, PROGGEN_DIR, TRAIN_CONFIG
from .proggen import Bench, _train, _trained

ORDERS = ("ranked", "random")
NS = (0, 50, 100, 200, 400)
SEEDS = (0, 1, 2)
MARKS = ("agree", "proposed", "correction")  # the earlier cross-check's and correction's marks, redone here


def unmarked(samples: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{**x, "entities": [{k: v for k, v in e.items() if k not in MARKS} for e in x["entities"]]} for x in samples]


def order_ids(samples: List[Dict[str, Any]], order: str, seed: int) -> List[str]:
    """The order a reviewer meets the texts in: the review's ranking, or a seeded shuffle."""
    if order == "ranked":
        return [x["id"] for x, _ in rank(samples)]
    ids = [x["id"] for x in samples]
    rng_for(seed, "review-random").shuffle(ids)
    return ids


def simulate(samples, rows, labels, order: str, n: int, seed: int):
    """The first n texts set to their gold tags (the row of id `train-<i>` is rows[i]): reviewed lines and
    the summed decision counts."""
    by_id = {x["id"]: x for x in samples}
    reviewed, counts = [], Counter({k: 0 for k in COUNTS})
    for sid in order_ids(samples, order, seed)[:n]:
        sample = by_id[sid]
        row = rows[int(sid.rsplit("-", 1)[1])]
        gold = [{"start": a, "end": b, "label": lab} for a, b, lab in gold_char_spans(row, labels)]
        line = reviewed_row(sample, gold, 0.0)
        counts.update({k: line[k] for k in COUNTS})
        reviewed.append(line)
    return reviewed, dict(counts)


def run_row(bench: Bench, folder: Path, spec: DomainSpec, samples, rows, test: Path, key, args) -> Dict[str, Any]:
    """One (order, n, seed) row: review simulated, to-docbin, train, evaluate; each step resumable."""
    order, n, seed = key
    labels = list(spec.types)
    rdir = folder / f"{order}-{n}-seed{seed}"

    def docbin() -> Dict[str, Any]:
        reviewed, decisions = simulate(samples, rows, labels, order, n, seed)
        after, _, _ = with_reviewed(samples, reviewed)
        m = to_docbin(spec, samples, rdir, seed=seed, reviewed=reviewed)
        return {**m, "decisions": decisions, "corpus_f1": score_corpus(after, rows, labels)}

    made = bench.step(rdir, "to-docbin", [rdir / "train.spacy"], docbin)
    evaluated = (rdir / "steps" / "evaluate.json").is_file()
    best = rdir / "model" / "model-best"
    run = partial(_train, args["train_config"], rdir, rdir / "model", args["train_steps"], seed)
    bench.step(rdir, "train", [] if evaluated else [best], run)
    scores = bench.step(rdir, "evaluate", [rdir / "steps" / "evaluate.json"], lambda: evaluate_model(best, test))
    return {"order": order, "n": n, "seed": seed, "f1": scores["ents_f"], "corpus_f1": round(made["corpus_f1"]["f"], 4),
            "decisions": made["decisions"]}  # fmt: skip


def run_two_stage(bench: Bench, folder: Path, spec: DomainSpec, samples, rows, test: Path, key, args) -> Dict[str, Any]:
    """The full two-stage model after review, as `bench distill`'s `distill+correct+proggen+minilm+relabel`
    row is made (its n=0): the reviewed corpus plus ProgGen's x+y corpus trains the MiniLM student, the
    student relabels the train split (reviewed texts keep their gold, dev texts stay out:
    `relabel --keep --exclude`), and the CNN trains on that with the config's own steps."""
    order, n, seed = key
    sdir = folder / f"two-stage-{order}-{n}-seed{seed}"
    student_dir, cnn_dir = sdir / "student", sdir / "cnn"
    dataset = folder.parent.name

    def docbin() -> Dict[str, Any]:
        reviewed, decisions = simulate(samples, rows, list(spec.types), order, n, seed)
        proggen = read_jsonl(PROGGEN_DIR / dataset / "x+y+correct" / "corrected.jsonl", "ProgGen corpus")
        return {**to_docbin(spec, samples + proggen, student_dir, seed=seed, reviewed=reviewed), "decisions": decisions}

    made = bench.step(student_dir, "to-docbin", [student_dir / "train.spacy"], docbin)
    student = _trained(bench, student_dir, MINILM_CONFIG, None, test, [], seed)
    evaluated = (cnn_dir / "steps" / f"evaluate-seed{seed}.json").is_file()
    model = student_dir / f"model-seed{seed}" / "model-best"
    dev = student_dir / "dev.spacy"
    relabel_step(bench, dataset, cnn_dir, model, dev, evaluated, keep=student_dir / "reviewed.spacy", exclude=[dev])
    cnn = _trained(bench, cnn_dir, args["train_config"], None, test, [], seed)
    return {"order": order, "n": n, "seed": seed, "student_f1": student["ents_f"], "f1": cnn["ents_f"],
            "decisions": made["decisions"]}  # fmt: skip


def row_keys(ns: Sequence[int], orders: Sequence[str], seeds: Sequence[int]) -> List[tuple]:
    keys = []
    for seed in seeds:
        for n in ns:
            keys += [("none", 0, seed)] if n == 0 else [(order, n, seed) for order in orders]
    return keys


def run_dataset(bench: Bench, dataset: str, spec: DomainSpec, corpus, rows, test: Path, args, tables) -> None:
    """The rows of one dataset from its corrected corpus (with text) and the gold rows of the same ids,
    appended to `tables` ("rows": the CNN on the reviewed corpus; "two_stage": the full model), written
    after each row (a long run commits what it has)."""
    folder = bench.root / dataset / "review"
    checked = folder / "crosschecked.jsonl"
    settings = CrossCheckSettings(folds=args["folds"], train_steps=args["crosscheck_steps"], seed=0)

    def check() -> Dict[str, Any]:
        result = crosscheck(unmarked(corpus), list(spec.types), args["train_config"], settings, spec.language)
        write_jsonl(checked, result["samples"])
        return result["metrics"]

    bench.step(folder, "crosscheck", [checked], check)
    samples = read_jsonl(checked, "cross-checked corpus")
    for key in row_keys(args["ns"], args["orders"], args["seeds"]):
        tables["rows"].append({"dataset": dataset, **run_row(bench, folder, spec, samples, rows, test, key, args)})
        write_table(bench.root, tables, args)
    for key in args["two_stage"]:
        row = run_two_stage(bench, folder, spec, samples, rows, test, key, args)
        tables["two_stage"].append({"dataset": dataset, **row})
        write_table(bench.root, tables, args)


def _no_model() -> ChatModel:
    raise StepError("the review benchmark calls no model; a step asked for one")


TWO_STAGE = (("ranked", 200, 0),)  # (order, n, seed) of the full two-stage rows


def run(datasets: List[str], output_dir: Path = DISTILL_DIR, **args: Any) -> Dict[str, List[Dict[str, Any]]]:
    """Every dataset's rows."""
    args = {"train_config": TRAIN_CONFIG, "train_steps": None, "folds": 5, "crosscheck_steps": 600,
            "ns": NS, "orders": ORDERS, "seeds": SEEDS, "two_stage": TWO_STAGE, **args}  # fmt: skip
    bench = Bench(output_dir, _no_model, force=False)
    tables: Dict[str, List[Dict[str, Any]]] = {"rows": [], "two_stage": []}
    for dataset in datasets:
        spec = DomainSpec.load(args.get("domains_dir", DOMAINS_DIR) / f"{dataset}.yml")
        rows = split_texts(dataset)[0]
        corpus = with_text(read_offsets(output_dir / dataset / "distill+correct" / "corrections.jsonl"), rows)
        test = output_dir / dataset / "test.spacy"
        make_test = partial(dataset_docbin, dataset, "test", list(spec.types), test)
        bench.step(output_dir / dataset / "shared", "test-data", [test], make_test)
        run_dataset(bench, dataset, spec, corpus, rows, test, args, tables)
    return tables


SETTINGS = ("train_steps", "folds", "crosscheck_steps")  # what the rows were measured with, kept beside them


def row_key(row: Dict[str, Any]) -> tuple:
    return row["dataset"], row["seed"], row["n"], row["order"]


def merged(old: Dict[str, Any], settings: Dict[str, Any], tables: Dict[str, List[Dict[str, Any]]]):
    """This run's rows with those already in the table file (same settings) that it did not redo: a run
    of one dataset (or one seed) adds to the table instead of replacing it."""
    same = old.get("settings") == settings
    out = {}
    for name, rows in tables.items():
        done = {row_key(r) for r in rows}
        kept = [r for r in old.get(name, []) if row_key(r) not in done] if same else []
        out[name] = sorted(kept + rows, key=row_key)
    return out


def write_table(output_dir: Path, tables: Dict[str, List[Dict[str, Any]]], args: Dict[str, Any]) -> None:
    settings = {key: args[key] for key in SETTINGS}
    path = output_dir / "review.json"
    merged_tables = merged(srsly.read_json(path) if path.is_file() else {}, settings, tables)
    srsly.write_json(path, {"settings": settings, **merged_tables})
    (output_dir / "review.md").write_text(markdown(merged_tables, settings), encoding="utf8")
    msg.good(f"Wrote {output_dir / 'review.json'} and review.md")


def summary(table: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One line per (dataset, order, n): the mean over its seeds, and the gain over the same seeds' n=0."""
    base = {(r["dataset"], r["seed"]): r["f1"] for r in table if r["n"] == 0}
    groups: Dict[tuple, List[Dict[str, Any]]] = {}
    for r in table:
        groups.setdefault((r["dataset"], r["order"], r["n"]), []).append(r)
    out = []
    for (dataset, order, n), runs in groups.items():
        gains = [r["f1"] - base[(dataset, r["seed"])] for r in runs if (dataset, r["seed"]) in base]
        out.append({
            "dataset": dataset, "order": order, "n": n, "seeds": len(runs),
            "f1": sum(r["f1"] for r in runs) / len(runs),
            "gain": sum(gains) / len(gains) if gains else None,
            "corpus_f1": sum(r["corpus_f1"] for r in runs) / len(runs),
            "decisions": sum(sum(r["decisions"].values()) for r in runs) / len(runs),
        })  # fmt: skip
    return out


def markdown(tables: Dict[str, List[Dict[str, Any]]], settings: Dict[str, Any]) -> str:
    table = tables["rows"]
    steps = settings["train_steps"] or "the config's"
    lines = [f"The CNN (`configs/train.cfg`, {steps} steps) trained on the corpus after review; whole test split. "
             "Mean over the training seeds run (the random order's texts change with the seed); gain: over n=0 "
             "of the same seeds; decisions: what a person would have done, summed.", "",
             "| dataset | order | n | seeds | F1 | gain | corpus F1 | decisions |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for g in summary(table):
        gain = "" if g["gain"] is None else f"{100 * g['gain']:+.1f}"
        lines.append(f"| {g['dataset']} | {g['order']} | {g['n']} | {g['seeds']} | {g['f1']:.3f} | {gain} "
                     f"| {g['corpus_f1']:.3f} | {g['decisions']:.0f} |")  # fmt: skip
    lines += ["", "Every run:", "",
              "| dataset | order | n | seed | F1 | corpus F1 | decisions (accepts / removals / retypes / additions) |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in table:
        d = r["decisions"]
        cells = " / ".join(str(d[k]) for k in COUNTS)
        head = f"| {r['dataset']} | {r['order']} | {r['n']} | {r['seed']}"
        lines.append(f"{head} | {r['f1']:.3f} | {r['corpus_f1']:.3f} | {cells} |")
    return "\n".join(lines + two_stage_markdown(tables.get("two_stage", []))) + "\n"


def two_stage_markdown(rows: List[Dict[str, Any]]) -> List[str]:
    if not rows:
        return []
    lines = ["", "The full two-stage model after review: the MiniLM student on the reviewed corpus plus ProgGen's "
             "x+y corpus, the student's labels of the train split (reviewed texts keep their gold, dev texts "
             "left out), the CNN on those (the configs' own steps). Without review it is "
             "`distill+correct+proggen+minilm` and `+relabel` in `benchmark.md`.", "",
             "| dataset | order | n | seed | student F1 | CNN F1 | decisions |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['order']} | {r['n']} | {r['seed']} | {r['student_f1']:.3f} "
                     f"| {r['f1']:.3f} | {sum(r['decisions'].values())} |")  # fmt: skip
    return lines
