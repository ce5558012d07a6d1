"""`check-build`: a build checked without gold, by how well the tagger reproduces the library's own examples
from the other examples. Replayed from tests/cassettes/reverse_ner_selfcheck.jsonl (the embedded model)."""

from __future__ import annotations

import json

import pytest
import reverse_ner_fixtures as F
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.errors import SettingsError
from spacy_progner.reverse_ner.selfcheck import SelfCheckSettings, leave_one_out_demos, self_check


@pytest.fixture()
def tagger():
    return F.selfcheck_nlp().get_pipe("reverse_ner").tagger


def test_no_example_is_its_own_demo_nor_is_one_made_from_the_same_feature_sentence(tagger):
    library = tagger.library
    demos = leave_one_out_demos(tagger, list(range(len(library))))
    for ex, its_demos in zip(library.examples, demos):
        siblings = {x["sentence"] for x in library.examples if x["feature"] == ex["feature"]}
        assert len(its_demos) == tagger.s.k and not {sentence for sentence, _ in its_demos} & siblings


def test_the_check_scores_the_answers_against_the_examples_own_labels(tagger):
    result = self_check(tagger, SelfCheckSettings())
    assert result["examples"] == len(tagger.library) == result["reproduced"] + len(result["not_reproduced"])
    assert 0 < result["agreement"] < 1 and set(result["per_type"]) == {"PER", "ORG", "LOC"}
    for miss in result["not_reproduced"]:  # e.g. a title the model took for a person
        assert miss["library"] != miss["tagger"]
        assert miss["library"] == sorted(map(tuple, tagger.library.examples[miss["example"]]["entities"]))
    assert result["warnings"] == []  # this small build is consistent at the default threshold


def test_a_mislabelled_example_is_found_and_its_type_named(tagger):
    before = self_check(tagger, SelfCheckSettings())
    # an example no other example retrieves as a demo: relabelling it changes no prompt, only the check
    demos = leave_one_out_demos(tagger, list(range(len(tagger.library))))
    used = {sentence for its in demos for sentence, _ in its}
    j = next(i for i, ex in enumerate(tagger.library.examples) if ex["sentence"] not in used and ex["entities"])
    ex = tagger.library.examples[j]
    assert j not in {m["example"] for m in before["not_reproduced"]}
    ex["entities"] = [[text, "PER" if label != "PER" else "ORG"] for text, label in ex["entities"]]
    after = self_check(tagger, SelfCheckSettings(min_agreement=0.85))
    assert j in {m["example"] for m in after["not_reproduced"]}
    assert after["agreement"] < before["agreement"]
    assert any(w.startswith("type PER") for w in after["warnings"])


def test_bad_settings_and_a_pipe_without_a_library_are_named():
    with pytest.raises(SettingsError, match="max_examples must be an integer >= 0"):
        SelfCheckSettings(max_examples=-1)
    with pytest.raises(SettingsError, match="min_agreement must be in"):
        SelfCheckSettings(min_agreement=1.5)
    zero_shot = F.make_nlp(F.replay_block(), k=0).get_pipe("reverse_ner").tagger
    with pytest.raises(SettingsError, match="no example library to check"):
        self_check(zero_shot, SelfCheckSettings())


def test_check_build_command_reports_agreement_and_writes_the_examples_not_reproduced(tmp_path):
    nlp = F.selfcheck_nlp()
    nlp.to_disk(tmp_path / "pipeline")
    model = tmp_path / "model.json"
    model.write_text(json.dumps(F.replay_block(F.SELFCHECK_CASSETTE)), encoding="utf8")
    args = ["check-build", str(tmp_path / "pipeline"), "--model", str(model), "--metrics", str(tmp_path / "m.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "examples reproduced; agreement F1" in result.output
    record = json.loads((tmp_path / "m.json").read_text(encoding="utf8"))
    assert record["examples"] == len(nlp.get_pipe("reverse_ner").library) and record["not_reproduced"]
    missing = CliRunner().invoke(app, ["check-build", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "does not exist" in " ".join(missing.output.replace("│", " ").split())
