"""The ranked texts as tasks for other annotation tools, and their finished annotations back.

Label Studio: a JSON list of tasks, `data.text` and a prediction per task (`result` items of type
`labels` with character offsets and a score); its JSON export's `annotations[].result` comes back.
Prodigy: JSONL with `text`, `tokens` and `spans` (token indices inclusive, as Prodigy keeps them) and
`meta.score`; what comes back is the `answer` (accept: gold; reject, ignore: left out).
doccano: JSONL with `text` and `label: [[start, end, label], ...]`; its export's `label` (or the newer
`entities` list) comes back. Every task carries the sample's id (`source_id`), so an import matches
the corpus it came from; a task without one is named by a hash of its text."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import SettingsError
from ..files import write_jsonl
from .corpus import check_entities, whitespace_tokens
from .decisions import gold_entities
from .rank import Priority, confidence, rank

FORMATS = ("labelstudio", "prodigy", "doccano")
MODEL_VERSION = "spacy-progner"
Sample = Dict[str, Any]
Tokens = Callable[[str], List[Tuple[int, int]]]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise SettingsError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def to_labelstudio(sample: Sample, prio: Priority, tokenize: Tokens) -> Dict[str, Any]:
    result = []
    for j, e in enumerate(sample["entities"]):
        value = {"start": e["start"], "end": e["end"], "text": e["text"], "labels": [e["label"]]}
        item = {"id": f"e{j}", "from_name": "label", "to_name": "text", "type": "labels", "value": value}
        result.append({**item, "score": confidence(e)})
    data = {"text": sample["sentence"], "source_id": sample["id"], "priority": prio.reason()}
    return {"data": data, "predictions": [{"model_version": MODEL_VERSION, "score": prio.score, "result": result}]}


def to_prodigy(sample: Sample, prio: Priority, tokenize: Tokens) -> Dict[str, Any]:
    text = sample["sentence"]
    offsets = tokenize(text)
    tokens = [
        {"text": text[a:b], "start": a, "end": b, "id": i, "ws": i + 1 < len(offsets) and offsets[i + 1][0] > b}
        for i, (a, b) in enumerate(offsets)
    ]
    spans = []
    for e in sample["entities"]:
        inside = [i for i, (a, b) in enumerate(offsets) if a < e["end"] and e["start"] < b]
        if inside:
            span = {"start": e["start"], "end": e["end"], "token_start": inside[0], "token_end": inside[-1]}
            spans.append({**span, "label": e["label"], "score": confidence(e)})
    meta = {"source_id": sample["id"], "score": prio.score, "priority": prio.reason()}
    return {"text": text, "tokens": tokens, "spans": spans, "meta": meta}


def to_doccano(sample: Sample, prio: Priority, tokenize: Tokens) -> Dict[str, Any]:
    label = [[e["start"], e["end"], e["label"]] for e in sample["entities"]]
    return {"text": sample["sentence"], "label": label, "source_id": sample["id"], "priority": prio.reason()}


EXPORTERS = {"labelstudio": to_labelstudio, "prodigy": to_prodigy, "doccano": to_doccano}


def export_tasks(
    samples: List[Sample], fmt: str, limit: Optional[int] = None, tokenize: Optional[Tokens] = None
) -> List[Dict[str, Any]]:
    """The samples least certain first (see `rank`), as tasks of the format."""
    _check_format(fmt)
    ranked = rank(samples)[:limit] if limit is not None else rank(samples)
    return [EXPORTERS[fmt](x, p, tokenize or whitespace_tokens) for x, p in ranked]


def write_export(path: Path, tasks: List[Dict[str, Any]], fmt: str) -> None:
    """Label Studio imports a JSON list of tasks; Prodigy and doccano read JSONL."""
    if fmt == "labelstudio":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf8")
    else:
        write_jsonl(path, tasks)


def _id(given: Any, text: str) -> str:
    return str(given) if given is not None else "text-" + hashlib.sha1(text.encode("utf8")).hexdigest()[:12]


def _row(sid: Any, text: Any, ents: List[Dict[str, Any]], labels, where: str) -> Sample:
    if not isinstance(text, str):
        raise SettingsError(f"{where}: no text")
    checked = check_entities(text, ents, labels, where)
    return {"id": _id(sid, text), "sentence": text, "entities": gold_entities(text, checked), "reviewed": True}


def from_labelstudio(task: Dict[str, Any], labels, where: str) -> Tuple[Optional[Sample], str]:
    data = task.get("data") or {}
    done = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        return None, "unannotated"
    ents = []
    for item in done[-1].get("result") or []:
        value = item.get("value") or {}
        if item.get("type") == "labels" and value.get("labels"):
            ents.append({"start": value.get("start"), "end": value.get("end"), "label": value["labels"][0]})
    return _row(data.get("source_id"), data.get("text"), ents, labels, where), "imported"


def from_prodigy(task: Dict[str, Any], labels, where: str) -> Tuple[Optional[Sample], str]:
    answer = task.get("answer")
    if answer in ("reject", "ignore"):
        return None, "rejected" if answer == "reject" else "ignored"
    if answer != "accept":
        return None, "unannotated"
    ents = [{"start": s.get("start"), "end": s.get("end"), "label": s.get("label")} for s in task.get("spans") or []]
    return _row((task.get("meta") or {}).get("source_id"), task.get("text"), ents, labels, where), "imported"


def from_doccano(task: Dict[str, Any], labels, where: str) -> Tuple[Optional[Sample], str]:
    if "entities" in task and "label" not in task:
        raw = [(e.get("start_offset"), e.get("end_offset"), e.get("label")) for e in task["entities"]]
    else:
        given = task.get("label") or []
        raw = [tuple(x) if isinstance(x, (list, tuple)) and len(x) == 3 else (None, None, None) for x in given]
    ents = [{"start": a, "end": b, "label": lab} for a, b, lab in raw]
    return _row(task.get("source_id"), task.get("text"), ents, labels, where), "imported"


IMPORTERS = {"labelstudio": from_labelstudio, "prodigy": from_prodigy, "doccano": from_doccano}


def _read_tasks(path: Path, fmt: str) -> List[Tuple[str, Any]]:
    """(place, task) of an export file: a JSON list (Label Studio's export), else one object a line."""
    content = Path(path).read_text(encoding="utf8")
    if fmt == "labelstudio" and content.lstrip().startswith("["):
        try:
            tasks = json.loads(content)
        except ValueError as err:
            raise SettingsError(f"{path}: not JSON ({err})") from err
        return [(f"{path}: task {i}", t) for i, t in enumerate(tasks)]
    out = []
    for number, line in enumerate(content.splitlines(), 1):
        if line.strip():
            try:
                out.append((f"{path}: line {number}", json.loads(line)))
            except ValueError as err:
                raise SettingsError(f"{path}: line {number} is not JSON ({err})") from err
    return out


def import_file(path: Path, fmt: str, labels: Optional[Sequence[str]] = None) -> Tuple[List[Sample], Dict[str, int]]:
    """The finished annotations of a tool's export as reviewed samples (last one per id), and what was
    left out and why."""
    _check_format(fmt)
    counts: Counter = Counter()
    rows: Dict[str, Sample] = {}
    for where, task in _read_tasks(path, fmt):
        if not isinstance(task, dict):
            raise SettingsError(f"{where}: expected a JSON object")
        row, outcome = IMPORTERS[fmt](task, labels, where)
        counts[outcome] += 1
        if row is not None:
            rows[row["id"]] = row
    return list(rows.values()), dict(counts)
