"""A teacher's corpus of dataset text: its labels scored against the hidden gold tags, stored without the
text (ids and character offsets, so it can be committed) and rebuilt from the dataset, and the cross-check
and correction steps that any corpus of the benchmark goes through. Kept apart from the rows so that
`bench review`, `bench user-corpus` and `bench user-demos` reuse the scoring and the steps alone."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import srsly
from spacy.scorer import PRFScore

from spacy_progner.corpus.bio import bio_spans, text_of
from spacy_progner.distill.crosscheck import CrossCheckSettings, crosscheck
from spacy_progner.errors import SettingsError
from spacy_progner.files import read_jsonl, write_jsonl
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.proggen.correct import CorrectSettings, correct

from ..proggen import Bench


def gold_char_spans(row: Dict[str, Any], labels) -> List[Tuple[int, int, str]]:
    """The gold entities of a row as character spans of `text_of(row)`."""
    starts, pos = [], 0
    for tok in row["tokens"]:
        starts.append(pos)
        pos += len(tok) + 1
    return [(starts[s], starts[e - 1] + len(row["tokens"][e - 1]), lab) for s, e, lab in bio_spans(row["tags"], labels)]


def score_corpus(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]], labels) -> Dict[str, Any]:
    """The corpus's own annotation P/R/F against the gold tags (exact character spans and type)."""
    micro = PRFScore()
    per: Dict[str, PRFScore] = defaultdict(PRFScore)
    for sample, row in zip(samples, rows):
        gold = set(gold_char_spans(row, labels))
        pred = {(e["start"], e["end"], e["label"]) for e in sample["entities"]}
        micro.score_set(pred, gold)
        for label in {lab for *_, lab in gold | pred}:
            per[label].score_set({x for x in pred if x[2] == label}, {x for x in gold if x[2] == label})
    return {
        "p": round(micro.precision, 4),
        "r": round(micro.recall, 4),
        "f": round(micro.fscore, 4),
        "per_type_f": {k: round(v.fscore, 4) for k, v in sorted(per.items())},
    }


def signal_quality(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]], labels) -> Dict[str, Any]:
    """How well each uncertainty signal finds the tagger's wrong annotations (not a gold span and type):
    the share wrong among those it marks, beside the share wrong overall. Proposed (student-only) spans:
    the share that are gold."""
    marked: Dict[str, List[bool]] = {"all": [], "disagree": [], "agree": []}
    proposed: List[bool] = []
    scored = []
    for sample, row in zip(samples, rows):
        gold = set(gold_char_spans(row, labels))
        for e in sample["entities"]:
            hit = (e["start"], e["end"], e["label"]) in gold
            if e.get("proposed"):
                proposed.append(hit)
                continue
            marked["all"].append(not hit)
            marked["agree" if e.get("agree") else "disagree"].append(not hit)
            if e.get("logprob") is not None:
                scored.append((e["logprob"], not hit))
    scored.sort()
    marked["lowest_logprob_20pct"] = [wrong for _, wrong in scored[: len(scored) // 5]]
    out = {k: {"n": len(v), "wrong_share": round(sum(v) / len(v), 4) if v else None} for k, v in marked.items()}
    out["proposed"] = {"n": len(proposed), "gold_share": round(sum(proposed) / len(proposed), 4) if proposed else None}
    return out


def without_text(samples: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A corpus of dataset text as ids and character offsets only, so it can be committed."""
    drop = ("text", "sentence")
    return [
        {"id": x["id"], "entities": [{k: v for k, v in e.items() if k not in drop} for e in x["entities"]]}
        for x in samples
    ]


def rows_of(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The dataset rows of samples whose ids are `train-<index>`."""
    return [rows[int(x["id"].rsplit("-", 1)[1])] for x in samples]


def with_text(samples: List[Dict[str, Any]], rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """`without_text` undone from the dataset rows (ids are `train-<index in rows>`)."""
    out = []
    for x, row in zip(samples, rows_of(samples, rows)):
        sentence = text_of(row)
        ents = [{"text": sentence[e["start"] : e["end"]], **e} for e in x["entities"]]
        out.append({"id": x["id"], "sentence": sentence, "entities": ents})
    return out


def read_offsets(path: Path) -> List[Dict[str, Any]]:
    """A committed corpus without its text (`without_text`), for `with_text` to join to the dataset rows."""
    return list(srsly.read_jsonl(path))


def crosscheck_settings(args: Dict[str, Any]) -> CrossCheckSettings:
    """The benchmark's cross-check: its folds and seed (the workflow's training config)."""
    return CrossCheckSettings(folds=args["folds"], seed=args["seed"])


def crosschecked(
    bench: Bench,
    folder: Path,
    annotated: Path,
    rows: List[Dict[str, Any]],
    labels: List[str],
    train_config: Path,
    settings: CrossCheckSettings,
) -> Path:
    """The `crosscheck` step of a corpus in `folder`, with how well each uncertainty signal finds its errors."""
    out = folder / "crosschecked.jsonl"

    def run() -> Dict[str, Any]:
        samples = read_jsonl(annotated, "annotated corpus")
        result = crosscheck(samples, labels, train_config, settings)
        write_jsonl(out, result["samples"])
        return {**result["metrics"], "signals": signal_quality(result["samples"], rows, labels)}

    bench.step(folder, "crosscheck", [out], run)
    return out


def corrected(
    bench: Bench,
    folder: Path,
    checked: Callable[[], Path],
    spec: DomainSpec,
    rows: List[Dict[str, Any]],
    args: Dict[str, Any],
) -> Path:
    """The `correct` step (select_by agreement) of a cross-checked corpus (`checked` makes it only when the
    step runs), into `folder`; the corrections without their text are committed."""
    labels = list(spec.types)

    def run() -> Dict[str, Any]:
        settings = CorrectSettings(select_by="agreement", seed=args["seed"])
        result = correct(bench.model, spec, read_jsonl(checked(), "samples"), settings)
        write_jsonl(folder / "corrected.jsonl", result["samples"])
        write_jsonl(folder / "corrections.jsonl", without_text(result["samples"]))
        decisions = [{k: v for k, v in d.items() if k not in ("text", "fix")} for d in result["decisions"]]
        return {**result["metrics"], "decisions": decisions, "gold": score_corpus(result["samples"], rows, labels)}

    if not (folder / "corrected.jsonl").exists() and (folder / "corrections.jsonl").exists():
        write_jsonl(folder / "corrected.jsonl", with_text(read_offsets(folder / "corrections.jsonl"), rows))
    bench.step(folder, "correct", [folder / "corrected.jsonl"], run)
    return folder / "corrected.jsonl"


def same_flag(record: Path, key: str, value: int, flag: str, command: str = "bench distill") -> None:
    """Refuse, by name, to go on with a folder whose finished step was made with another `flag` value."""
    if record.exists() and (before := srsly.read_json(record)[key]) != value:
        folder = record.parents[1]
        raise SettingsError(
            f"{command} {flag} {value}: {folder} was made with {flag} {before}; give {flag} {before}, or move "
            f"the folder (and {folder.name}+*) away"
        )
