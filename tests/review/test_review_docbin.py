"""Reviewed texts are gold for training: they replace their unreviewed versions, are never marked
missing, and can be held out as the real dev set."""

from __future__ import annotations

import json

import review_fixtures as F
import spacy
from spacy.tokens import DocBin

from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.review.decisions import reviewed_row


def docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def reviewed(corpus, fixes):
    """Reviewed lines of the fixture texts: `fixes` maps an id to its final (text, label) entities."""
    by_id = {x["id"]: x for x in corpus}
    out = []
    for sid, ents in fixes.items():
        s = by_id[sid]["sentence"]
        out.append(reviewed_row(by_id[sid], [F.ent(s, t, lab) for t, lab in ents], 3.0))
    return out


def test_reviewed_texts_replace_theirs_and_train_fully_annotated(tmp_path):
    spec = DomainSpec.load(F.SPEC_PATH)
    corpus = F.corpus()
    gold = reviewed(corpus, {"t1": [("Velden", "LOC"), ("Kastor Hall", "LOC")], "t3": []})
    m = to_docbin(spec, corpus, tmp_path, dev_share=0.0, missing_share=0.5, reviewed=gold)
    train = {d.text: d for d in docs(tmp_path / "train.spacy")}
    t1 = train[corpus[1]["sentence"]]
    assert [(e.text, e.label_) for e in t1.ents] == [("Velden", "LOC"), ("Kastor Hall", "LOC")]  # not PER, no Sunday
    assert all(t.ent_iob_ != "" for t in t1)  # every token annotated: entity or outside, none missing
    assert any(t.ent_iob_ == "" for d in train.values() for t in d)  # the unreviewed ones do get missing marks
    assert (m["reviewed_texts"], m["reviewed_replaced"], m["reviewed_added"]) == (2, 2, 0)
    assert m["reviewed_train_docs"] == 2 and m["dev_is_reviewed"] is False
    assert m["train_synthetic_docs"] == 5  # replaced, not added beside the unreviewed version


def test_reviewed_dev_holds_out_reviewed_texts_as_the_dev_set(tmp_path):
    spec = DomainSpec.load(F.SPEC_PATH)
    corpus = F.corpus()
    gold = reviewed(corpus, {"t1": [("Velden", "LOC")], "t2": [("Jonas Pell", "PER")], "t4": [("Ada Vorn", "PER")]})
    m = to_docbin(spec, corpus, tmp_path, reviewed=gold, reviewed_dev=2)
    dev_texts = {d.text for d in docs(tmp_path / "dev.spacy")}
    train_texts = {d.text for d in docs(tmp_path / "train.spacy")}
    gold_texts = {g["sentence"] for g in gold}
    assert len(dev_texts) == 2 and dev_texts <= gold_texts and not dev_texts & train_texts
    assert (m["dev_docs"], m["reviewed_dev_docs"], m["reviewed_train_docs"], m["dev_is_reviewed"]) == (2, 2, 1, True)


def test_the_cli_reads_the_review_log_last_line_per_id_and_refuses_too_large_a_dev_set(tmp_path):
    corpus = F.write_corpus(tmp_path / "corpus.jsonl", F.corpus())
    log = tmp_path / "reviewed.jsonl"
    first, again = reviewed(F.corpus(), {"t1": [("Velden", "LOC")]}), reviewed(F.corpus(), {"t1": []})
    undone = {"id": "t4", "sentence": F.corpus()[4]["sentence"], "entities": [], "reviewed": False, "undone": True}
    log.write_text("".join(json.dumps(r) + "\n" for r in [*first, *again, undone]), encoding="utf8")
    args = ["to-docbin", str(F.SPEC_PATH), str(corpus), str(tmp_path / "db"), "--reviewed", str(log)]
    result = F.run_cli(*args, "--metrics", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["reviewed_texts"] == 1  # t1's last line; t4 undone
    t1 = next(d for d in docs(tmp_path / "db" / "train.spacy") + docs(tmp_path / "db" / "dev.spacy")
              if d.text.startswith("The orchestra"))  # fmt: skip
    assert list(t1.ents) == []
    result = F.run_cli(*args, "--reviewed-dev", "2", "--metrics", str(tmp_path / "m.json"))
    assert result.exit_code == 1
    assert "reviewed_dev 2 asks for more reviewed texts than the 1 given" in " ".join(result.output.split())
