"""The ranked texts go to Label Studio, Prodigy and doccano in their own formats, and the annotations a
person finishes there come back as reviewed samples."""

from __future__ import annotations

import json

import pytest
import review_fixtures as F

from spacy_progner.errors import SettingsError
from spacy_progner.review.formats import export_tasks, import_file, write_export


def finish_labelstudio(task, edit):
    """What Label Studio's JSON export holds once a person submitted the prediction, edited."""
    result = edit([dict(r, value=dict(r["value"])) for r in task["predictions"][0]["result"]])
    return {**task, "annotations": [{"was_cancelled": False, "result": result}]}


def finish_prodigy(task, edit, answer="accept"):
    return {**task, "spans": edit([dict(s) for s in task["spans"]]), "answer": answer}


def finish_doccano(task, edit):
    return {"id": 7, "text": task["text"], "label": edit([list(x) for x in task["label"]]),
            "source_id": task["source_id"], "Comments": []}  # fmt: skip


def test_exports_are_ranked_and_carry_labels_and_confidences():
    ls, pr, dc = (export_tasks(F.corpus(), fmt) for fmt in ("labelstudio", "prodigy", "doccano"))
    assert [t["data"]["source_id"] for t in ls] == ["t1", "t4", "t2", "t0", "t3"]
    item = ls[0]["predictions"][0]["result"][0]
    assert item["from_name"] == "label" and item["to_name"] == "text" and item["type"] == "labels"
    assert item["value"] == {"start": 17, "end": 23, "text": "Velden", "labels": ["ORG"]} and item["score"] == 0.31
    assert ls[0]["predictions"][0]["model_version"] and ls[0]["data"]["text"].startswith("The orchestra")
    span = pr[0]["spans"][1]  # Kastor Hall: tokens 6 and 7, inclusive
    assert (span["token_start"], span["token_end"], span["label"]) == (6, 7, "PER")
    assert pr[0]["tokens"][6] == {"text": "Kastor", "start": 34, "end": 40, "id": 6, "ws": True}
    assert pr[0]["meta"]["score"] == 0.0 and pr[-1]["meta"]["source_id"] == "t3"
    why = "1 disagreement with the cross-check, lowest confidence 0.88"
    assert dc[1] == {"text": F.corpus()[4]["sentence"], "label": [[0, 8, "PER"], [30, 42, "ORG"]],
                     "source_id": "t4", "priority": why}  # fmt: skip


def retype_first_drop_last(items, fmt):
    if fmt == "labelstudio":
        items[0]["value"]["labels"] = ["LOC"]
    elif fmt == "prodigy":
        items[0]["label"] = "LOC"
    else:
        items[0][2] = "LOC"
    return items[:-1]


@pytest.mark.parametrize("fmt", ["labelstudio", "prodigy", "doccano"])
def test_round_trip_through_each_tool(tmp_path, fmt):
    tasks = export_tasks(F.corpus(), fmt, limit=2)
    write_export(tmp_path / "tasks", tasks, fmt)
    text = (tmp_path / "tasks").read_text(encoding="utf8")
    read_back = json.loads(text) if fmt == "labelstudio" else [json.loads(x) for x in text.splitlines()]
    assert read_back == tasks
    finish = {"labelstudio": finish_labelstudio, "prodigy": finish_prodigy, "doccano": finish_doccano}[fmt]
    done = [finish(t, lambda items: retype_first_drop_last(items, fmt)) for t in tasks]
    if fmt == "labelstudio":
        (tmp_path / "done").write_text(json.dumps(done), encoding="utf8")
    else:
        (tmp_path / "done").write_text("".join(json.dumps(t) + "\n" for t in done), encoding="utf8")
    rows, counts = import_file(tmp_path / "done", fmt, F.LABELS)
    assert counts == {"imported": 2}
    by_id = {r["id"]: r for r in rows}
    assert [(e["text"], e["label"]) for e in by_id["t1"]["entities"]] == [("Velden", "LOC"), ("Kastor Hall", "PER")]
    assert [(e["text"], e["label"]) for e in by_id["t4"]["entities"]] == [("Ada Vorn", "LOC")]
    assert all(r["reviewed"] is True for r in rows) and by_id["t1"]["sentence"] == F.corpus()[1]["sentence"]


def test_prodigy_rejects_and_ignores_and_unannotated_label_studio_tasks_are_left_out(tmp_path):
    tasks = export_tasks(F.corpus(), "prodigy", limit=3)
    answers = [finish_prodigy(t, lambda s: s, a) for t, a in zip(tasks, ["accept", "reject", "ignore"])]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(t) + "\n" for t in answers), encoding="utf8")
    rows, counts = import_file(tmp_path / "p.jsonl", "prodigy")
    assert [r["id"] for r in rows] == ["t1"] and counts == {"imported": 1, "rejected": 1, "ignored": 1}
    ls = export_tasks(F.corpus(), "labelstudio", limit=2)
    ls[1]["annotations"] = [{"was_cancelled": True, "result": []}]
    (tmp_path / "ls.json").write_text(json.dumps(ls), encoding="utf8")
    assert import_file(tmp_path / "ls.json", "labelstudio")[1] == {"unannotated": 2}


def test_newer_doccano_entities_and_bad_imports(tmp_path):
    text = "Lena Ruiz flew to Porto ."
    row = {"text": text, "entities": [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 9}]}
    (tmp_path / "d.jsonl").write_text(json.dumps(row) + "\n", encoding="utf8")
    (got,), _ = import_file(tmp_path / "d.jsonl", "doccano")
    assert got["id"].startswith("text-")
    assert got["entities"] == [{"text": "Lena Ruiz", "label": "PER", "start": 0, "end": 9}]
    with pytest.raises(SettingsError, match="type 'PERSON' is not one of the spec's types"):
        (tmp_path / "d.jsonl").write_text(json.dumps({"text": text, "label": [[0, 9, "PERSON"]]}) + "\n")
        import_file(tmp_path / "d.jsonl", "doccano", F.LABELS)
    with pytest.raises(SettingsError, match="line 1, entity 0: offsets 0:99 lie outside"):
        (tmp_path / "d.jsonl").write_text(json.dumps({"text": text, "label": [[0, 99, "PER"]]}) + "\n")
        import_file(tmp_path / "d.jsonl", "doccano")
    with pytest.raises(SettingsError, match="--format must be one of"):
        import_file(tmp_path / "d.jsonl", "brat")


def test_export_and_import_commands(tmp_path):
    corpus = F.write_corpus(tmp_path / "corpus.jsonl", F.corpus())
    result = F.run_cli("review-export", str(corpus), str(tmp_path / "t.jsonl"), "--format", "doccano", "--limit", "3")
    assert result.exit_code == 0, result.output
    result = F.run_cli("review-import", str(tmp_path / "t.jsonl"), str(tmp_path / "r.jsonl"), "--format", "doccano")
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["id"] for x in (tmp_path / "r.jsonl").read_text().splitlines()] == ["t1", "t4", "t2"]
