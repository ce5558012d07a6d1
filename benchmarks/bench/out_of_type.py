"""Out-of-type rows against the row that asked for every type: precision on the asked types (no LLM).

An out-of-type row (`bench ner --types`) asks for some of a dataset's types and leaves its other names to
the tagger to leave alone; the question is how much precision on the asked types that costs. The row that
asked for every type holds only per-type P and R, so its precision on the asked types alone is recovered
from them and the gold count of each type in the same test sample: true positives = R x gold, predicted =
true positives / P (exact to the rounding of the stored figures). `reverse_ner_out_of_type.{json,md}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import srsly
from wasabi import msg

from spacy_progner.errors import SettingsError

from .datasets import eval_sample, mentions
from .reverse_ner import sample_name
from .tables import number_cell

OUTPUT = Path("reverse_ner_out_of_type.json")
# MIT-Movie's out-of-type rows on the reported sample, compared with two every-type builds
MOVIE_REPORTED = (
    ("asked types only", "reverse_ner_asked_movie"),
    ("+ OTHER outlet", "reverse_ner_asked_other_movie"),
    ("+ OTHER outlet + kind check", "reverse_ner_asked_other_kinds_movie"),
)
# (dataset, the table whose library row asked for every type, [(what the row adds, its table)])
CASES: Tuple[Tuple[str, str, Tuple[Tuple[str, str], ...]], ...] = (
    (
        "conll2003",
        "reverse_ner",
        (
            ("asked types only", "reverse_ner_asked"),
            ("+ OTHER outlet", "reverse_ner_asked_other"),
            ("+ OTHER outlet + kind check", "reverse_ner_asked_other_kinds"),
        ),
    ),
    (
        "wikigold",
        "reverse_ner",
        (
            ("asked types only", "reverse_ner_asked_wikigold"),
            ("+ OTHER outlet", "reverse_ner_asked_other_wikigold"),
        ),
    ),
    (  # the same on WikiGold's other 124 test sentences, against the every-type row there (another build)
        "wikigold",
        "reverse_ner_wikigold_fresh",
        (
            ("asked types only", "reverse_ner_asked_wikigold_fresh"),
            ("+ OTHER outlet", "reverse_ner_asked_other_wikigold_fresh"),
        ),
    ),
    (
        "mit_movie",
        "reverse_ner",
        MOVIE_REPORTED,
    ),
    (
        "mit_restaurant",
        "reverse_ner",
        (
            ("asked types only", "reverse_ner_asked_mit"),
            ("+ OTHER outlet", "reverse_ner_asked_other_mit"),
        ),
    ),
    (  # the same rows against the every-type row of the build the fresh rows use (the one above: an older build)
        "mit_movie",
        "reverse_ner_movie_rebuild",
        MOVIE_REPORTED,
    ),
    (  # the same on 150 test sentences outside the reported sample (`--split fresh`)
        "mit_movie",
        "reverse_ner_movie_fresh",
        (
            ("asked types only", "reverse_ner_asked_movie_fresh"),
            ("+ OTHER outlet", "reverse_ner_asked_other_movie_fresh"),
            ("+ OTHER outlet + kind check", "reverse_ner_asked_other_kinds_movie_fresh"),
        ),
    ),
)


def gold_counts(dataset: str, types: Sequence[str], report: Dict[str, Any]) -> Dict[str, int]:
    """Gold mentions of each type in the report's test sample."""
    counts = dict.fromkeys(types, 0)
    for row in eval_sample(dataset, report.get("split", "test"), report["n"], report["seed"]):
        for _, label in mentions(row, types):
            counts[label] += 1
    return counts


def on_types(row: Dict[str, Any], gold: Dict[str, int]) -> Dict[str, Optional[float]]:
    """Micro P/R/F1 of a row on the types in `gold` alone, from its per-type P and R; P is None when a
    type's predictions cannot be counted back (P 0: no true positive to count from)."""
    tp = predicted = 0
    countable = True
    for label, n in gold.items():
        prf = row["per_type"].get(label)
        if prf is None:  # neither predicted nor in the gold
            continue
        hits = round(prf["r"] * n)
        tp += hits
        if prf["p"] > 0:
            predicted += round(hits / prf["p"])
        else:
            countable = False  # no true positive to count its predictions back from
    total = sum(gold.values())
    p = tp / predicted if countable and predicted else (0.0 if countable else None)
    r = tp / total if total else 0.0
    f = None if p is None else (2 * p * r / (p + r) if p + r else 0.0)
    return {"p": _round(p), "r": _round(r), "f": _round(f), "tp": tp, "predicted": predicted if countable else None}


def _round(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 4)


def library_row(table: str, dataset: str) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """The library row of `dataset` in a committed table and the table's report; None if not run yet."""
    path = Path(f"{table}.json")
    if not path.is_file():
        return None
    report = srsly.read_json(path)
    row = next((r for r in report["results"] if r["dataset"] == dataset and r["config"] == "library"), None)
    return None if row is None else (row, report)


# what two tables must share for their rows to be compared (the library build's seed and size included)
SAME = ("split", "n", "seed", "k")
SAME_BUILD = ("n_clusters", "entities_per_type", "expansions_per_feature", "check_examples", "seed")


def same_setting(full: Dict[str, Any], asked: Dict[str, Any], tables: Tuple[str, str]) -> None:
    """Refuse to compare rows of other sentences or settings, naming what differs."""
    differ = [k for k in SAME if full.get(k) != asked.get(k)]
    differ += [f"build.{k}" for k in SAME_BUILD if full["build"].get(k) != asked["build"].get(k)]
    if differ:
        raise SettingsError(f"bench out-of-type: {tables[0]} and {tables[1]} differ in {', '.join(differ)}")


def run(output: Path = OUTPUT) -> List[Dict[str, Any]]:
    """One line per out-of-type row that has been run, beside the full-type row on the same types. The
    out-of-type row was scored on its asked types alone, so its own P/R/F1 are those figures."""
    lines: List[Dict[str, Any]] = []
    for dataset, full_table, rows in CASES:
        full = library_row(full_table, dataset)
        for what, table in rows:
            found = library_row(table, dataset)
            if full is None or found is None:
                continue
            row, report = found
            same_setting(full[1], report, (full_table, table))
            types = report["labels"][dataset]
            gold = gold_counts(dataset, types, report)
            lines.append({
                "dataset": dataset, "sample": sample_name(report, dataset), "types": types, "gold": gold, "row": what,
                "table": table, "full_table": full_table,
                "every_type_asked": on_types(full[0], gold), "asked": {k: row[k] for k in ("p", "r", "f")},
            })  # fmt: skip
    srsly.write_json(output, lines)
    output.with_suffix(".md").write_text(markdown(lines), encoding="utf8")
    msg.good(f"Wrote {output} and {output.with_suffix('.md').name}")
    return lines


def markdown(lines: List[Dict[str, Any]]) -> str:
    """The table: per out-of-type row, P/R/F1 on the asked types with every type asked and with only them."""
    out = [
        "| dataset | test sentences | asked types | row | every type asked: P / R / F1 | only these asked: P / R / F1 "
        "| P change |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in lines:
        full, asked = x["every_type_asked"], x["asked"]
        change = "–" if None in (full["p"], asked["p"]) else f"{asked['p'] - full['p']:+.3f}"
        cells = [
            x["dataset"], x["sample"], ", ".join(x["types"]), f"{x['row']} ([{x['table']}.md]({x['table']}.md))",
            " / ".join(number_cell(full[k]) for k in "prf") + f" ([{x['full_table']}.md]({x['full_table']}.md))",
            " / ".join(number_cell(asked[k]) for k in "prf"), change,
        ]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
