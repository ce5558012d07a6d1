"""Demos from the user's own text: labelled texts a cross-check agreed with join the example library."""

from __future__ import annotations

import distill_fixtures as F
import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.errors import SettingsError
from spacy_progner.reverse_ner.embed import embed
from spacy_progner.reverse_ner.user_demos import UserDemoSettings, choose

LABELS = ["PER", "ORG", "LOC"]


def sample(i, sentence, ents, agree=True, confidence=0.95, proposed=False):
    entities = []
    for text, label in ents:
        start = sentence.index(text)
        marks = {"agree": agree, "confidence": confidence, **({"proposed": True} if proposed else {})}
        entities.append({"text": text, "label": label, "start": start, "end": start + len(text), **marks})
    return {"id": f"t{i}", "sentence": sentence, "entities": entities}


CORPUS = [
    sample(0, "Lena Ortiz joined Vantor Bank in Porto .",
           [("Lena Ortiz", "PER"), ("Vantor Bank", "ORG"), ("Porto", "LOC")]),
    sample(1, "Ivo Brandt left Kessel Group .", [("Ivo Brandt", "PER"), ("Kessel Group", "ORG")], confidence=0.99),
    sample(2, "Ana Pike spoke in Velm .", [("Ana Pike", "PER"), ("Velm", "LOC")], agree=False),  # the student disagreed
    sample(3, "Omar Haddad met Tessor in Graz .", [("Omar Haddad", "PER"), ("Graz", "LOC")], confidence=0.5),
    sample(4, "Rain fell all day .", []),
    sample(5, "Snow closed the roads .", []),
    {**sample(6, "Mia Chen flew to Oslo .", [("Mia Chen", "PER")]),  # the student found a place the tagger missed
     "entities": sample(6, "Mia Chen flew to Oslo .", [("Mia Chen", "PER")])["entities"]
     + sample(6, "Mia Chen flew to Oslo .", [("Oslo", "LOC")], agree=False, proposed=True)["entities"]},
]  # fmt: skip


def test_only_texts_whose_every_label_is_agreed_and_sure_are_chosen_most_sure_first():
    chosen = choose(CORPUS, LABELS, UserDemoSettings(budget=10, max_empty_share=0.1))
    assert [x["id"] for x in chosen] == ["t1", "t0", "t4"]  # one text without names: 10 % of the budget
    assert [x["id"] for x in choose(CORPUS, LABELS, UserDemoSettings(budget=1))] == ["t1"]
    assert [x["id"] for x in choose(CORPUS, ["PER"], UserDemoSettings(budget=10, max_empty_share=0))] == []
    unmarked = [{**x, "entities": [{"text": "Lena Ortiz", "label": "PER", "start": 0, "end": 10}]} for x in CORPUS]
    with pytest.raises(SettingsError, match="no `agree` marks; run `crosscheck`"):
        choose(unmarked, LABELS, UserDemoSettings())
    for bad in ({"budget": -1}, {"min_confidence": 1.5}, {"max_empty_share": -0.1}):
        with pytest.raises(SettingsError, match="user demos"):
            UserDemoSettings(**bad)


def test_add_demos_puts_the_chosen_texts_in_the_library_where_retrieval_finds_them(tmp_path):
    full, out, corpus = tmp_path / "full", tmp_path / "with-demos", tmp_path / "corpus.jsonl"
    F.pipeline(F.replay_model()).to_disk(full)
    srsly.write_jsonl(corpus, CORPUS)
    before = spacy.load(full).get_pipe("reverse_ner").library
    args = ["add-demos", str(full), str(corpus), str(out), "--budget", "10", "--metrics", str(tmp_path / "m.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert srsly.read_json(tmp_path / "m.json")["added"] == 3
    library = spacy.load(out).get_pipe("reverse_ner").library
    added = library.examples[len(before) :]
    assert library.examples[: len(before)] == before.examples and len(added) == 3
    entities = [["Ivo Brandt", "PER"], ["Kessel Group", "ORG"]]
    assert added[0] == {"sentence": "Ivo Brandt left Kessel Group .", "entities": entities, "source": "user",
                        "feature": len(before.features)}  # fmt: skip
    nearest = library.retrieve(embed(["Ivo Brandt left Kessel Group ."]), k=2)[0][-1]  # the nearest is last
    assert library.examples[nearest]["sentence"] == "Ivo Brandt left Kessel Group ."
    again = CliRunner().invoke(app, ["add-demos", str(out), str(corpus), str(tmp_path / "again")])
    assert again.exit_code == 0
    sentences = [x["sentence"] for x in spacy.load(tmp_path / "again").get_pipe("reverse_ner").library.examples]
    assert len(sentences) == len(set(sentences)) == len(library) + 1  # nothing twice; t5 (no names) joins now
