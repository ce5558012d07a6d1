"""Bad input stops `review` before anything is served, with the file, line and place named."""

from __future__ import annotations

import json

import pytest
import review_fixtures as F


def fails(tmp_path, rows_text: str):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(rows_text, encoding="utf8")
    result = F.run_cli("review", str(F.SPEC_PATH), str(corpus), str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output  # no traceback
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.jsonl.lock").exists()
    return " ".join(result.output.split())


def good_lines():
    return [json.dumps(r) for r in F.corpus()]


def test_a_line_that_is_not_json(tmp_path):
    lines = good_lines()
    lines[2] = '{"id": "t2", "sentence": '
    assert "corpus.jsonl: line 3 is not JSON" in fails(tmp_path, "\n".join(lines))


def test_an_entity_whose_offsets_do_not_read_its_text(tmp_path):
    rows = F.corpus()
    rows[1]["entities"][1]["start"] += 1
    out = fails(tmp_path, "\n".join(json.dumps(r) for r in rows))
    assert "line 2 (id t1), entity 1: offsets 35:45 read 'astor Hall' in the text, not its text 'Kastor Hall'" in out


@pytest.mark.parametrize("start,end", [(50, 70), (5, 5)])
def test_offsets_outside_the_text(tmp_path, start, end):
    rows = F.corpus()
    rows[2]["entities"][0].update(start=start, end=end)
    del rows[2]["entities"][0]["text"]
    assert "line 3 (id t2), entity 0: offsets" in fails(tmp_path, "\n".join(json.dumps(r) for r in rows))


def test_a_label_outside_the_spec(tmp_path):
    rows = F.corpus()
    rows[0]["entities"][2]["label"] = "MISC"
    out = fails(tmp_path, "\n".join(json.dumps(r) for r in rows))
    expected = "line 1 (id t0), entity 2: type 'MISC' is not one of the spec's types; the spec's types: PER, LOC, ORG"
    assert expected in out


def test_a_missing_corpus_file(tmp_path):
    result = F.run_cli("review", str(F.SPEC_PATH), str(tmp_path / "nope.jsonl"), str(tmp_path / "out.jsonl"))
    assert result.exit_code != 0 and "does not exist" in result.output
