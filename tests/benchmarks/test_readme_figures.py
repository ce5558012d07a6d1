"""README figures come from the generated benchmark tables, not by hand: the speed sentence at the top is
recomputed from benchmarks/reverse_ner*.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _docs_per_s(path: str, dataset: str, config: str) -> float:
    results = json.loads((ROOT / path).read_text(encoding="utf8"))["results"]
    return next(r["timing"]["docs_per_s"] for r in results if r["dataset"] == dataset and r["config"] == config)


def _change(path: str, dataset: str) -> int:
    """Percent docs/s of the library row against spacy.NER.v3 (same sample, same timing protocol)."""
    base = _docs_per_s("benchmarks/reverse_ner.json", dataset, "spacy.NER.v3")
    return round(100 * (_docs_per_s(path, dataset, "library") / base - 1))


def _one(change: int, dataset: str) -> str:
    if change == 0:
        return f"level ({dataset}) with"
    return f"{abs(change)} % ({dataset}) {'below' if change < 0 else 'above'}"


def _phrase(a: int, b: int) -> str:
    if a < 0 and b < 0:
        return f"{-a} % (CoNLL-2003) and {-b} % (WikiGold) below"
    if a > 0 and b > 0:
        return f"{a} % and {b} % above"
    return f"{_one(a, 'CoNLL-2003')} and {_one(b, 'WikiGold')}"


def test_readme_speed_sentence_matches_the_benchmark_json():
    """k=4 only: its row and spacy.NER.v3's are timed in the same session (docs/s drift by a quarter between
    sessions on this machine), while the k=2 rows were timed in an earlier one."""
    k4 = [_change("benchmarks/reverse_ner.json", d) for d in ("conll2003", "wikigold")]
    sentence = re.search(r"<!-- speed -->(.*?)<!-- /speed -->", (ROOT / "README.md").read_text(encoding="utf8"))
    assert sentence, "the README lost its speed sentence markers"
    expected = f"its speed at k=4 {_phrase(*k4)} spacy-llm's `spacy.NER.v3`"
    assert sentence.group(1) == expected


def test_the_readme_distillation_table_is_the_generated_one():
    """The README's distillation table is `benchmark distill --summarize-only`'s benchmark.md, verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf8")
    block = readme.split("<!-- distill-table -->\n", 1)[1].split("<!-- /distill-table -->", 1)[0]
    assert block.strip() == (ROOT / "benchmarks" / "distill" / "benchmark.md").read_text(encoding="utf8").strip()
