"""Every decision reaches OUT as it is made; a rerun resumes after the last reviewed text; an undo of a
written text appends a superseding line; the counts say what the person changed."""

from __future__ import annotations

import json

import pytest
import review_fixtures as F

from spacy_progner.errors import SettingsError
from spacy_progner.review.decisions import DecisionLog, Lock, decision_counts, read_log, read_reviewed
from spacy_progner.review.session import Session


def session(out, limit=None):
    return Session(F.corpus(), DecisionLog(out), F.LABELS, limit)


def spans(task):
    return [{k: e[k] for k in ("start", "end", "label")} for e in task["entities"]]


def test_counts_compare_the_final_entities_with_the_shown_ones():
    before = [{"start": 0, "end": 4, "label": "PER"}, {"start": 5, "end": 9, "label": "ORG"},
              {"start": 10, "end": 14, "label": "LOC"}]  # fmt: skip
    after = [{"start": 0, "end": 4, "label": "PER"}, {"start": 5, "end": 9, "label": "LOC"},
             {"start": 10, "end": 12, "label": "LOC"}]  # fmt: skip
    assert decision_counts(before, after) == {"accepts": 1, "removals": 1, "retypes": 1, "additions": 1}


def test_each_answer_is_one_line_on_disk_before_the_next_text_is_shown(tmp_path):
    out = tmp_path / "out.jsonl"
    s = session(out)
    task = s.task()
    assert task["id"] == "t1" and task["priority"].startswith("2 disagreements")
    ents = spans(task)
    ents[0]["label"] = "LOC"  # Velden: retype
    del ents[2]  # Sunday: removal
    nxt = s.answer("t1", ents)
    (line,) = F.log_lines(out)
    assert line["id"] == "t1" and line["reviewed"] is True
    assert [(e["text"], e["label"]) for e in line["entities"]] == [("Velden", "LOC"), ("Kastor Hall", "PER")]
    assert {k: line[k] for k in ("accepts", "removals", "retypes", "additions")} == {
        "accepts": 1, "removals": 1, "retypes": 1, "additions": 0}  # fmt: skip
    assert line["seconds"] >= 0
    assert nxt["id"] == "t4" and nxt["progress"]["reviewed"] == 1


def test_a_rerun_asks_only_what_is_not_in_out_and_writes_nothing_twice(tmp_path):
    out = tmp_path / "out.jsonl"
    s = session(out)
    s.answer("t1", spans(s.task()))
    s.skip("t4")  # skipped: not written, asked again next time
    s.answer("t2", spans(s.task()))
    s.log.close()
    again = session(out)
    assert again.earlier == 2 and again.task()["id"] == "t4"
    assert [x["id"] for x, _ in again.queue] == ["t4", "t0", "t3"]
    for sid in ("t4", "t0", "t3"):
        again.answer(sid, spans(again.task()))
    assert again.task()["done"] is True
    ids = [row["id"] for row in F.log_lines(out)]
    assert sorted(ids) == ["t0", "t1", "t2", "t3", "t4"]


def test_undo_of_a_written_text_appends_a_superseding_line_and_shows_the_text_again(tmp_path):
    out = tmp_path / "out.jsonl"
    s = session(out)
    first = spans(s.task())[:2]
    s.answer("t1", first)
    back = s.undo()
    assert back["id"] == "t1" and spans(back) == first  # the person's own entities, to fix one thing
    assert read_log(out)["t1"]["reviewed"] is False
    s.answer("t1", first[:1])
    lines = F.log_lines(out)
    assert [row.get("reviewed") for row in lines] == [True, False, True]
    (final,) = read_reviewed(out)
    assert len(final["entities"]) == 1 and final["removals"] == 2  # counted against the text first shown
    with pytest.raises(SettingsError, match="nothing to undo"):
        Session(F.corpus(), DecisionLog(tmp_path / "other.jsonl"), F.LABELS).undo()


def test_an_undone_text_is_asked_again_after_a_restart(tmp_path):
    out = tmp_path / "out.jsonl"
    s = session(out)
    s.answer("t1", spans(s.task()))
    s.undo()
    s.log.close()
    assert session(out).task()["id"] == "t1"


def test_answers_are_checked_against_the_text_on_screen_and_the_spec(tmp_path):
    s = session(tmp_path / "out.jsonl")
    with pytest.raises(SettingsError, match="on screen is 't1'"):
        s.answer("t0", [])
    with pytest.raises(SettingsError, match="not one of the spec's types"):
        s.answer("t1", [{"start": 0, "end": 3, "label": "MISC"}])
    with pytest.raises(SettingsError, match="overlap"):
        s.answer("t1", [{"start": 0, "end": 7, "label": "ORG"}, {"start": 4, "end": 9, "label": "ORG"}])
    assert not (tmp_path / "out.jsonl").read_text()


def test_limit_asks_only_the_least_certain(tmp_path):
    s = session(tmp_path / "out.jsonl", limit=2)
    assert [x["id"] for x, _ in s.queue] == ["t1", "t4"] and s.task()["progress"]["asked"] == 2


def test_a_line_cut_off_by_a_kill_is_skipped_then_removed_before_the_next_line(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "t1", "reviewed": True}) + "\n" + '{"id": "t4", "revi', encoding="utf8")
    assert list(read_log(out)) == ["t1"]
    log = DecisionLog(out)
    log.write({"id": "t4", "reviewed": True})
    log.close()
    assert list(read_log(out)) == ["t1", "t4"] and len(F.log_lines(out)) == 2
    out.write_text('{"id": "t1"\n{"id": "t4"}\n', encoding="utf8")
    with pytest.raises(SettingsError, match="line 1 is not JSON"):
        read_log(out)


def test_the_lock_refuses_a_live_owner_and_takes_over_a_dead_ones(tmp_path):
    out = tmp_path / "out.jsonl"
    lock_path = tmp_path / "out.jsonl.lock"
    lock_path.write_text("1")  # pid 1 is alive on any system
    with pytest.raises(SettingsError, match=r"another review \(pid 1\)"):
        Lock(out).acquire()
    lock_path.write_text("999999999")  # no such process
    lock = Lock(out)
    lock.acquire()
    assert lock_path.read_text() == str(__import__("os").getpid())
    lock.release()
    assert not lock_path.exists()
