"""Reading the corpus a person reviews. A review shows offsets to a person and writes them back as gold,
so every entity must sit exactly where its text is and carry a type of the spec: a mismatch found now
names its file, line and entity, instead of showing the person a highlight on the wrong words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import SettingsError
from ..files import jsonl_rows

Sample = Dict[str, Any]


def whitespace_tokens(text: str) -> List[Tuple[int, int]]:
    """Character offsets of the words of a text split at white space (where no spaCy tokenizer is given)."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def sample_id(row: Dict[str, Any], line: int) -> str:
    """A row's id as a string; a row without one is named by its line (stable while the file is)."""
    value = row.get("id")
    return f"line-{line}" if value is None else str(value)


def check_entities(sentence: str, entities: Any, labels: Optional[Sequence[str]], where: str) -> List[Dict[str, Any]]:
    """The entities, each checked: character offsets inside the sentence that read its text, a known type."""
    if not isinstance(entities, list):
        raise SettingsError(f"{where}: 'entities' must be a list")
    for k, e in enumerate(entities):
        place = f"{where}, entity {k}"
        if not isinstance(e, dict) or not isinstance(e.get("start"), int) or not isinstance(e.get("end"), int):
            raise SettingsError(f"{place}: needs integer 'start' and 'end' character offsets")
        start, end, label = e["start"], e["end"], e.get("label")
        if not 0 <= start < end <= len(sentence):
            raise SettingsError(f"{place}: offsets {start}:{end} lie outside the text ({len(sentence)} characters)")
        if "text" in e and sentence[start:end] != e["text"]:
            raise SettingsError(
                f"{place}: offsets {start}:{end} read {sentence[start:end]!r} in the text, not its text {e['text']!r}"
            )
        if not isinstance(label, str) or (labels is not None and label not in labels):
            known = f"; the spec's types: {', '.join(labels)}" if labels is not None else ""
            raise SettingsError(f"{place}: type {label!r} is not one of the spec's types{known}")
    return [{**e, "text": sentence[e["start"] : e["end"]]} for e in entities]


def read_corpus(path: Path, labels: Optional[Sequence[str]]) -> List[Sample]:
    """The samples of a corpus JSONL file, ids made strings, entities checked (see `check_entities`)."""
    try:
        content = Path(path).read_text(encoding="utf8")
    except UnicodeDecodeError as err:
        raise SettingsError(f"{path}: not UTF-8 text ({err})") from err
    rows = jsonl_rows(path, content, "sentence", "needs a string 'sentence' and a list 'entities'")
    out, seen = [], set()
    for line, row in rows:
        sid = sample_id(row, line)
        if sid in seen:
            raise SettingsError(f"{path}: line {line}: id {sid!r} occurs twice; a review needs one text per id")
        seen.add(sid)
        ents = check_entities(row["sentence"], row.get("entities", []), labels, f"{path}: line {line} (id {sid})")
        out.append({**row, "id": sid, "entities": ents})
    if not out:
        raise SettingsError(f"{path}: no text to review")
    return out
