"""What a workflow run gives you and what to do next: where the trained model is, how to load or package
it, how long each step took, and (when a gold set of tokens + BIO tags is at hand) the model's F1 on it.
Run by the `quickstart` and `demo` workflows: `python scripts/next_steps.py RUN DOMAIN [--gold FILE]`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional, Tuple

import srsly
import typer
from wasabi import msg

from spacy_progner.corpus.bio import bio_docbin
from spacy_progner.corpus.evaluate import evaluate_model
from spacy_progner.ner.domain import DomainSpec

STEPS = ("library", "annotate", "attributes", "entities", "generate", "correct", "to_docbin")


def step_seconds(run: Path) -> List[Tuple[str, float]]:
    """Seconds of each step that wrote a metrics file, and of `spacy train` (from its files' times)."""
    out = []
    for name in STEPS:
        path = run / "metrics" / f"{name}.json"
        if path.is_file() and "seconds" in (data := srsly.read_json(path)):
            out.append((name, float(data["seconds"])))
    last, train = run / "model" / "model-last", run / "train.spacy"
    if last.is_dir() and train.is_file():
        out.append(("spacy train", last.stat().st_mtime - train.stat().st_mtime))
    return out


def gold_f1(run: Path, domain: Path, gold: Path, limit: int) -> Optional[dict]:
    """The model's scores on `limit` sentences of the gold file (the domain's types only); None without one."""
    if not gold.is_file():
        return None
    data = run / "gold.spacy"
    bio_docbin(gold, list(DomainSpec.load(domain).types), data, limit or None, seed=0)
    scores = evaluate_model(run / "model" / "model-best", data)
    srsly.write_json(run / "metrics" / "evaluate_gold.json", {"gold": str(gold), "limit": limit, **scores})
    return scores


def main(
    run: Path = typer.Argument(..., help="The workflow's run folder.", exists=True, file_okay=False),
    domain: Path = typer.Argument(..., help="The domain spec the run used.", exists=True, dir_okay=False),
    gold: Path = typer.Option(Path(""), help="Tokens + BIO tags JSONL to score on; skipped when absent."),
    gold_limit: int = typer.Option(0, help="Score on a fixed sample of this many gold sentences (0: all)."),
) -> None:
    model = run / "model" / "model-best"
    msg.divider("What you have")
    for name, seconds in step_seconds(run):
        msg.text(f"{name:<12} {time.strftime('%M:%S', time.gmtime(seconds))}")
    if gold.name:
        scores = gold_f1(run, domain, gold, gold_limit)
        if scores is None:
            msg.info(f"No gold set at {gold}: the model's quality is not measured here")
        else:
            per_type = ", ".join(f"{k} {v['f']:.2f}" for k, v in sorted(scores["per_type"].items()))
            sample = f"{gold_limit} sentences of " if gold_limit else ""
            prf = f"F1 {scores['ents_f']:.3f} (P {scores['ents_p']:.3f}, R {scores['ents_r']:.3f})"
            msg.good(f"{prf} on {sample}{gold}")
            msg.text(f"per type: {per_type}")
    msg.good(f"Trained spaCy model: {model}")
    print(f'  load it:     import spacy; nlp = spacy.load("{model}"); print(nlp("Your text here").ents)')
    print(f"  package it:  python -m spacy package {model} packages --name my_ner --version 0.1.0")
    print(f"  the report:  {run / 'report.html'} (the labelled texts, types, confidence, usage per step)")


if __name__ == "__main__":
    typer.run(main)
