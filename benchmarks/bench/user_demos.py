"""How clean the texts `add-demos` would add to the library are, against their hidden gold tags (no LLM).

The texts: the committed distillation corpus (1,000 train-split sentences per dataset, corrected), with the
cross-check marks the review benchmark redid (`distill/<dataset>/review/crosschecked.jsonl`); for a set without
a distillation run, the cross-checked corpus `bench user-corpus` made (`distill/<dataset>/user-corpus/`, the
sample's first texts, not corrected). Compared: all
of them, and those `add-demos` trusts (every label agreed by the cross-check student, none proposed by it
alone) at each minimum confidence. `distill/user_demos.{json,md}` hold the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence

import srsly
from wasabi import msg

from spacy_progner.files import read_jsonl
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.reverse_ner.user_demos import UserDemoSettings, choose

from .datasets import split_texts
from .distill.corpus import rows_of, score_corpus
from .paths import DISTILL_DIR, DOMAINS_DIR
from .user_corpus import FOLDER

MIN_CONFIDENCES = (0.0, 0.9)


def scored(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]], labels: List[str]) -> Dict[str, Any]:
    """P/R/F of the samples (ids `train-<i>`: row i) without the student's own proposals."""
    plain = [{**x, "entities": [e for e in x["entities"] if not e.get("proposed")]} for x in samples]
    scores = score_corpus(plain, rows_of(plain, rows), labels)
    return {"texts_n": len(plain), **{k: v for k, v in scores.items() if k != "per_type_f"}}


def corpus_path(folder: Path) -> Path:
    """A set's cross-checked corpus: the distillation's (review) where it was run, else `bench user-corpus`'s."""
    review = folder / "review" / "crosschecked.jsonl"
    return review if review.is_file() else folder / FOLDER / "crosschecked.jsonl"


def run(datasets: Sequence[str], output_dir: Path = DISTILL_DIR) -> List[Dict[str, Any]]:
    table = []
    for dataset in datasets:
        labels = list(DomainSpec.load(DOMAINS_DIR / f"{dataset}.yml").types)
        rows = split_texts(dataset)[0]
        samples = read_jsonl(corpus_path(output_dir / dataset), "cross-checked corpus")
        table.append({"dataset": dataset, "texts": "all", **scored(samples, rows, labels)})
        for mc in MIN_CONFIDENCES:
            settings = UserDemoSettings(budget=len(samples), min_confidence=mc, max_empty_share=1.0)
            chosen = choose(samples, labels, settings)
            table.append({"dataset": dataset, "texts": f"trusted, confidence >= {mc}", **scored(chosen, rows, labels)})
    srsly.write_json(output_dir / "user_demos.json", table)
    (output_dir / "user_demos.md").write_text(markdown(table), encoding="utf8")
    msg.good(f"Wrote {output_dir / 'user_demos.json'} and user_demos.md")
    return table


def markdown(table: List[Dict[str, Any]]) -> str:
    lines = ["A cross-checked corpus's labels against the hidden gold tags (the distillation's 1,000 corrected texts "
             "where it was run, else the 400 `bench user-corpus` tagged): all texts, and those `add-demos` trusts "
             "(every label agreed by the cross-check student, none proposed by it alone).", "",
             "| dataset | texts | n | P | R | F1 |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in table:
        lines.append(f"| {r['dataset']} | {r['texts']} | {r['texts_n']} | {r['p']:.3f} | {r['r']:.3f} | {r['f']:.3f} |")
    return "\n".join(lines) + "\n"
