"""The project README is user documentation whose every results table is rendered from the committed
records: each `<!-- table:NAME -->` block equals what `python -m bench tables` renders, and the README
stays short and free of project history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bench import index

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", sorted(index.README_TABLES))
def test_each_readme_table_is_rendered_from_the_committed_records(name):
    text = README.read_text(encoding="utf8")
    start, end = f"<!-- table:{name} -->\n", f"<!-- /table:{name} -->"
    assert start in text and end in text, f"README.md has no {name} table block"
    block = text.split(start, 1)[1].split(end, 1)[0]
    assert block == index.README_TABLES[name](), f"run `python -m bench tables` in benchmarks/ ({name} is stale)"


def test_the_readme_is_short_user_documentation():
    text = README.read_text(encoding="utf8")
    assert len(text) <= 20_000
    assert "<!-- main-command -->" in text and "<!-- test-command -->" in text
    history = re.findall(r"\b(rounds?|sessions?|issues?|this stop)\b", text, flags=re.IGNORECASE)
    assert history == [], f"the README speaks of project history: {history}"


def test_the_benchmarks_index_is_what_the_records_render():
    assert (Path("README.md")).read_text(encoding="utf8") == index.readme()


def test_the_learning_curve_holds_the_workflow_s_points_and_past_the_sample_its_fixed_steps_student():
    student, cnn = "distill+correct+minilm", "distill+correct+minilm+relabel+pretrain"
    more_student, more_cnn = "distill+more+correct+minilm", "distill+more+correct+minilm+relabel+pretrain"
    configs = {
        f"{student}@250": {"f1": 0.50},
        f"{cnn}@250": {"f1": 0.40},
        f"{student}@500": {"f1": 0.55},  # its CNN never trained: not a point
        student: {"f1": 0.60},
        cnn: {"f1": 0.56},
        more_student: {"f1": 0.61, "annotated_texts": 2000},  # the config's fixed steps: the workflow's
        more_cnn: {"f1": 0.57, "annotated_texts": 2000},
        "distill+more+correct+minilm+scaled": {"f1": 0.62, "annotated_texts": 2000},  # --scale-steps: not
        "distill+more+correct+minilm+scaled+relabel+pretrain": {"f1": 0.58, "annotated_texts": 2000},
    }
    assert index.workflow_curve(configs, 1000) == [(250, 0.50, 0.40), (1000, 0.60, 0.56), (2000, 0.61, 0.57)]
