"""The second stage after review: `relabel --keep reviewed.spacy --exclude dev.spacy --exclude heldout.spacy`.
Reviewed texts keep the person's labels instead of the student's, and the texts the CNN is selected on
(dev) or `estimate` reads (held out) are not trained on."""

from __future__ import annotations

import distill_fixtures as F
import spacy
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.ner.domain import DomainSpec


def _docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def test_reviewed_texts_keep_their_labels_and_dev_and_held_out_texts_stay_out(tmp_path):
    from spacy.cli.train import train

    spec = DomainSpec.load(F.DOMAIN)
    samples = [{**x, "sentence": f"{x['sentence']} ({x['id']})"} for x in F.pattern_corpus(40)]  # all distinct
    # the person says the first two texts name a place where the tagger saw a person
    reviewed = [{**x, "entities": [{**x["entities"][0], "label": "LOC"}], "reviewed": True} for x in samples[:2]]
    m = to_docbin(spec, samples, tmp_path, seed=0, heldout_share=0.2, reviewed=reviewed)
    assert m["reviewed_train_docs"] + m["reviewed_dev_docs"] == 2
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"),
                 "training.max_steps": 40, "training.eval_frequency": 20}  # fmt: skip
    train(F.ROOT / "configs" / "train.cfg", tmp_path / "model", use_gpu=-1, overrides=overrides)
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(x["sentence"] for x in samples) + "\n", encoding="utf8")
    out, metrics = tmp_path / "relabelled.spacy", tmp_path / "relabel.json"
    args = ["relabel", str(tmp_path / "model" / "model-last"), str(texts), str(out), "--metrics", str(metrics),
            "--keep", str(tmp_path / "reviewed.spacy"), "--exclude", str(tmp_path / "dev.spacy"),
            "--exclude", str(tmp_path / "heldout.spacy")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    got = {d.text: [(e.text, e.label_) for e in d.ents] for d in _docs(out)}
    dev, held = ({d.text for d in _docs(tmp_path / f"{n}.spacy")} for n in ("dev", "heldout"))
    assert set(got) == {x["sentence"] for x in samples} - dev - held
    kept = [x for x in reviewed if x["sentence"] in got]
    assert len(kept) == m["reviewed_train_docs"] > 0
    for x in kept:  # the person's label, not the student's (it learnt PER there from every other text)
        assert got[x["sentence"]] == [(x["entities"][0]["text"], "LOC")]
    record = srsly.read_json(metrics)
    assert record["kept"] == record["replaced"] == len(kept)
    assert record["left_out"] == len(dev | held) and record["docs"] == len(got) == len(_docs(out))
