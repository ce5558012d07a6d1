"""`check-spec`: each bundled spec passes; a broken one fails in one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from repo_paths import DOMAINS_DIR
from typer.testing import CliRunner

from spacy_progner.cli import app

SPECS = sorted(DOMAINS_DIR.glob("*.yml"))


def _run(path: Path):
    result = CliRunner().invoke(app, ["check-spec", str(path)])
    return result, " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_bundled_spec_passes_and_says_what_it_implies(path):
    result, output = _run(path)
    assert result.exit_code == 0, output
    spec = yaml.safe_load(path.read_text(encoding="utf8"))
    assert f"a valid domain spec with {len(spec['entity_types'])} types" in output
    assert all(label in output for label in spec["entity_types"]) and "shape filter" in output


def test_a_labels_file_passes_and_says_what_it_is_enough_for(tmp_path):
    path = tmp_path / "labels.yml"
    path.write_text("PER: the name of a person\nDRUG: the name of a medicine\n", encoding="utf8")
    result, output = _run(path)
    assert result.exit_code == 0 and "a valid labels with 2 types" in output and "need a domain spec" in output


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((DOMAINS_DIR / "conll2003.yml").read_text(encoding="utf8"))
    change(data)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf8")
    return path


BROKEN = {
    "missing key": (lambda d: d.pop("domain"), "broken.yml: missing key 'domain'"),
    "unknown label in a demo": (
        lambda d: d["entity_types"]["PER"]["demo"]["entities"][0].update(label="PERSON"),
        "entity_types.PER.demo.entities[0]: unknown type 'PERSON'",
    ),
    "B fix not in its sentence": (
        lambda d: d["entity_types"]["PER"]["guideline"]["demos"][1].update(fix="Olaf Berg"),
        "entity_types.PER.guideline.demos[1]: answer B needs 'fix', the right span, occurring in the sentence",
    ),
    "bad label name": (
        lambda d: d["entity_types"].update({"9 LIVES": d["entity_types"]["PER"]}),
        "label '9 LIVES' must be a name like PER, ORG or Restaurant_Name",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_spec_is_named_by_file_and_key(tmp_path, case):
    change, message = BROKEN[case]
    result, output = _run(_broken(tmp_path, change))
    assert result.exit_code == 1, output
    assert message in output and str(tmp_path / "broken.yml") in output and "Traceback" not in output


def test_a_file_that_is_not_yaml_is_named(tmp_path):
    path = tmp_path / "spec.yml"
    path.write_text("entity_types: {PER: [unclosed\n", encoding="utf8")
    result, output = _run(path)
    assert result.exit_code == 1 and "spec.yml: malformed YAML/JSON" in output and "Traceback" not in output
