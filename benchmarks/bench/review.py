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
from .distill import gold_char_spans, read_offsets, score_corpus, with_text
from .paths import DISTILL_DIR, DOMAINS_DIR, TRAIN_CONFIG
from .proggen import Bench, _train

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


def row_keys(ns: Sequence[int], orders: Sequence[str], seeds: Sequence[int]) -> List[tuple]:
    keys = []
    for seed in seeds:
        for n in ns:
            keys += [("none", 0, seed)] if n == 0 else [(order, n, seed) for order in orders]
    return keys


def run_dataset(bench: Bench, dataset: str, spec: DomainSpec, corpus, rows, test: Path, args, table) -> None:
    """The rows of one dataset from its corrected corpus (with text) and the gold rows of the same ids,
    appended to `table`, which is written after each row (a long run commits what it has)."""
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
        table.append({"dataset": dataset, **run_row(bench, folder, spec, samples, rows, test, key, args)})
        write_table(bench.root, table, args)


def _no_model() -> ChatModel:
    raise StepError("the review benchmark calls no model; a step asked for one")


def run(datasets: List[str], output_dir: Path = DISTILL_DIR, **args: Any) -> List[Dict[str, Any]]:
    """Every dataset's rows."""
    args = {"train_config": TRAIN_CONFIG, "train_steps": None, "folds": 5, "crosscheck_steps": 600,
            "ns": NS, "orders": ORDERS, "seeds": SEEDS, **args}  # fmt: skip
    bench = Bench(output_dir, _no_model, force=False)
    table: List[Dict[str, Any]] = []
    for dataset in datasets:
        spec = DomainSpec.load(args.get("domains_dir", DOMAINS_DIR) / f"{dataset}.yml")
        rows = split_texts(dataset)[0]
        corpus = with_text(read_offsets(output_dir / dataset / "distill+correct" / "corrections.jsonl"), rows)
        test = output_dir / dataset / "test.spacy"
        make_test = partial(dataset_docbin, dataset, "test", list(spec.types), test)
        bench.step(output_dir / dataset / "shared", "test-data", [test], make_test)
        run_dataset(bench, dataset, spec, corpus, rows, test, args, table)
    return table


SETTINGS = ("train_steps", "folds", "crosscheck_steps")  # what the rows were measured with, kept beside them


def write_table(output_dir: Path, table: List[Dict[str, Any]], args: Dict[str, Any]) -> None:
    settings = {key: args[key] for key in SETTINGS}
    srsly.write_json(output_dir / "review.json", {"settings": settings, "rows": table})
    (output_dir / "review.md").write_text(markdown(table, settings), encoding="utf8")
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


def markdown(table: List[Dict[str, Any]], settings: Dict[str, Any]) -> str:
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
    return "\n".join(lines) + "\n"
