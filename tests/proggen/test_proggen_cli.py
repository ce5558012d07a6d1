"""The ProgGen commands end to end on the replayed model: files, metrics JSON with counts and usage."""

from __future__ import annotations

import json

import proggen_fixtures as F
import pytest
import srsly
from typer.testing import CliRunner

from spacy_progner.cli import app


def _run(args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_commands_chain_on_a_replayed_model(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"@llm_models": "spacy_progner.Replay.v1", "path": str(F.CASSETTE)}))
    cache = tmp_path / "cache.sqlite"
    common = ["--model", model, "--cache-path", cache]
    m = tmp_path / "metrics"
    xy = ["--n-sentences", F.GENERATE_XY.n_sentences, "--seed", F.GENERATE_XY.seed]  # as the cassette was recorded
    _run(["attributes", F.DOMAIN, tmp_path / "attributes.yml", *common, "--metrics", m / "attributes.json"]
         + ["--n-dimensions", 2, "--n-values", 6, "--calls-per-dimension", 1])  # fmt: skip
    _run(["entities", F.DOMAIN, tmp_path / "entities.json", *common, "--attributes", tmp_path / "attributes.yml"]
         + ["--metrics", m / "entities.json", "--n-per-call", 8, "--calls-per-type", 1, "--n-per-topic", 4]
         + ["--max-topics", 2])  # fmt: skip
    _run(["generate", F.DOMAIN, tmp_path / "generated.jsonl", *common, "--variant", "diversify-x+y", *xy]
         + ["--attributes", tmp_path / "attributes.yml", "--entities", tmp_path / "entities.json"]
         + ["--metrics", m / "generate.json"])  # fmt: skip
    _run(["correct", F.DOMAIN, tmp_path / "generated.jsonl", tmp_path / "corrected.jsonl", *common]
         + ["--metrics", m / "correct.json", "--threshold", -0.01, "--max-share", 0.5]
         + ["--spans-per-prompt", 3])  # fmt: skip
    _run(["to-docbin", F.DOMAIN, tmp_path / "corrected.jsonl", tmp_path]
         + ["--metrics", m / "to_docbin.json"])  # fmt: skip
    _run(["report", F.DOMAIN, tmp_path / "corrected.jsonl", tmp_path / "report.html"]
         + ["--entities", tmp_path / "entities.json", "--metrics-dir", m])  # fmt: skip

    gen = srsly.read_json(m / "generate.json")
    assert (
        gen["kept_sentences"] == F.GENERATE_XY.n_sentences == len(list(srsly.read_jsonl(tmp_path / "generated.jsonl")))
    )
    assert gen["usage"]["steps"]["generate"]["calls"] == gen["calls"] > 0
    corr = srsly.read_json(m / "correct.json")
    assert corr["usage"]["steps"]["correct"]["calls"] == corr["prompts"]
    assert sum(corr["choices"].values()) == len(corr["decisions"])
    docbin = srsly.read_json(m / "to_docbin.json")
    corrected = list(srsly.read_jsonl(tmp_path / "corrected.jsonl"))
    assert docbin["train_docs"] + docbin["dev_docs"] == len(corrected) and docbin["dev_docs"] >= 1
    assert (tmp_path / "train.spacy").exists() and (tmp_path / "dev.spacy").exists()
    html = (tmp_path / "report.html").read_text(encoding="utf8")
    assert "diversify-x+y" in html and 'class="entities"' in html

    # A rerun is answered by the cache: no model call at all.
    _run(["generate", F.DOMAIN, tmp_path / "again.jsonl", *common, "--variant", "diversify-x+y", *xy]
         + ["--attributes", tmp_path / "attributes.yml", "--entities", tmp_path / "entities.json"]
         + ["--metrics", m / "again.json"])  # fmt: skip
    again = srsly.read_json(m / "again.json")
    assert again["usage"]["total"]["calls"] == 0 and again["usage"]["total"]["cache_hits"] == gen["calls"]
    assert (tmp_path / "again.jsonl").read_text() == (tmp_path / "generated.jsonl").read_text()


def test_dataset_docbin_and_evaluate_on_real_data(tmp_path):
    """A real test split (read in place) to DocBin, and the per-type scores of a (tiny) trained pipeline."""
    import spacy
    from repo_paths import DATASETS
    from spacy.training import Example

    if not (DATASETS / "conll2003" / "test.jsonl").is_file():
        pytest.skip("datasets not available")
    data = tmp_path / "test.spacy"
    _run(["dataset-docbin", F.DOMAIN, DATASETS / "conll2003" / "test.jsonl", data, "--limit", 40])
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(data).get_docs(nlp.vocab))
    assert len(docs) == 40 and {e.label_ for d in docs for e in d.ents} <= {"PER", "LOC", "ORG"}
    ner = nlp.add_pipe("ner")
    for label in ("PER", "LOC", "ORG"):
        ner.add_label(label)
    examples = [Example(nlp.make_doc(d.text), d) for d in docs]
    nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples)
    nlp.to_disk(tmp_path / "model")
    out = tmp_path / "eval.json"
    result = _run(["evaluate", tmp_path / "model", data, "-o", out])
    scores = srsly.read_json(out)
    expected = nlp.evaluate(examples)  # spaCy's own scorer on the same model and data
    assert scores["docs"] == 40 and "micro" in result.output
    assert scores["ents_f"] == round(expected["ents_f"] or 0.0, 4)
    assert scores["ents_p"] == round(expected["ents_p"] or 0.0, 4)
    missing = CliRunner().invoke(app, ["evaluate", str(tmp_path / "nope"), str(data)])
    assert missing.exit_code == 1 and "does not exist" in " ".join(missing.output.split())


def test_project_vars_that_mirror_a_default_agree_with_it():
    """project.yml restates a few step defaults as overridable vars; each must equal its settings dataclass."""
    import yaml

    from spacy_progner.proggen.attributes import AttributeSettings
    from spacy_progner.proggen.correct import CorrectSettings
    from spacy_progner.proggen.entities import EntitySettings
    from spacy_progner.reverse_ner.infer import TagSettings

    project = yaml.safe_load((F.ROOT / "project.yml").read_text(encoding="utf8"))["vars"]
    assert project["threshold"] == CorrectSettings.threshold
    assert project["n_dimensions"] == AttributeSettings.n_dimensions
    assert project["n_values"] == AttributeSettings.n_values
    assert project["pool_size"] == EntitySettings.n_per_call
    # a flag's name without its dashes: spaCy strips dashes from a --vars value given on the command line
    assert project["other_names"] == ("other-names" if TagSettings.other_names else "no-other-names")


def test_every_project_dep_and_output_resolves_to_one_path():
    """weasel joins a deps list into one string when it starts with a bare ${vars.x} before a nested
    variable; every step must name its files one by one, or `spacy project run` stops on a missing dep."""
    from weasel.util import load_project_config

    config = load_project_config(F.ROOT, overrides={})
    joined = [
        (c["name"], p) for c in config["commands"] for k in ("deps", "outputs") for p in c.get(k, []) if ", " in p
    ]
    assert joined == []
    assert {"distill", "all", "demo"} <= set(config["workflows"])


def test_every_workflow_dep_is_made_by_an_earlier_step_or_is_an_input():
    """`spacy project run WORKFLOW` runs its steps in order and a step stops on a missing dep: a dep inside
    the workflow's run folder must be an output of a step listed before it (e.g. `distill-train` starting
    from `distill-pretrain`'s weights)."""
    from weasel.util import load_project_config

    config = load_project_config(F.ROOT, overrides={})
    commands = {c["name"]: c for c in config["commands"]}
    late = []
    for name, steps in config["workflows"].items():
        made: set = set()
        for step in steps:
            for dep in commands[step].get("deps", []):
                if dep.startswith("runs/") and not any(
                    dep == out or dep.startswith(out.rstrip("/") + "/") for out in made
                ):
                    late.append((name, step, dep))
            made |= set(commands[step].get("outputs", []))
    assert late == []
