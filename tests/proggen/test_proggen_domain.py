"""Domain specs: the four presets load; malformed specs fail with the file and the key named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from repo_paths import DATASETS
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.ner import LabelSet
from spacy_progner.ner.domain import DomainSpec, DomainSpecError

DOMAINS = Path(__file__).resolve().parents[2] / "configs" / "domains"
PRESETS = {
    "conll2003": ["PER", "LOC", "ORG"],
    "wikigold": ["PER", "LOC", "ORG"],
    "mit_movie": [
        "GENRE",
        "ACTOR",
        "YEAR",
        "TITLE",
        "RATING",
        "PLOT",
        "DIRECTOR",
        "RATINGS_AVERAGE",
        "CHARACTER",
        "REVIEW",
        "SONG",
        "TRAILER",
    ],  # fmt: skip
    "mit_restaurant": ["Location", "Amenity", "Cuisine", "Restaurant_Name", "Dish", "Hours", "Rating", "Price"],
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_load_with_the_datasets_type_names(name):
    path = DOMAINS / f"{name}.yml"
    spec = DomainSpec.load(path)
    assert list(spec.types) == PRESETS[name]
    assert list(LabelSet.from_any(path)) == PRESETS[name]  # a spec is also a labels file
    assert spec.no_entity_demo and spec.description
    for t in spec.types.values():
        assert any(lab == t.label for _, lab in t.demo.entities)
        assert {d.answer for d in t.guideline_demos} == {"A", "B", "C", "D"}
    demos = spec.demos()
    assert demos[-1].entities == [] and len(demos) == len(PRESETS[name]) + 1


def _words(text: str) -> tuple:
    """Lower-case word and punctuation tokens: the same whatever the detokenization ("U.S ." vs "U.S.")."""
    import re

    return tuple(re.findall(r"\w+|[^\w\s]", text.lower()))


def _grams(words: tuple, n: int) -> set:
    return {words[i : i + n] for i in range(len(words) - n + 1)}


def test_preset_sentences_are_not_copied_from_the_datasets():
    """Every sentence in the domain specs is written by the project: none shares a run of 7 tokens with a
    sentence of the real data, and none equals a real sentence (compared as tokens, so a copy detokenized
    differently is caught too)."""
    import json

    root = DATASETS
    if not root.is_dir():
        pytest.skip("datasets not available")
    ours = set()
    for name in PRESETS:
        spec = DomainSpec.load(DOMAINS / f"{name}.yml")
        ours |= {_words(d.sentence) for d in spec.demos()}
        ours |= {_words(g.sentence) for t in spec.types.values() for g in t.guideline_demos}
    texts = DOMAINS.parents[1] / "assets" / "texts.txt"  # the bundled unlabelled texts, written for the project
    ours |= {_words(line) for line in texts.read_text(encoding="utf8").splitlines() if line.strip()}
    our_grams = set().union(*(_grams(w, 7) for w in ours))
    for path in sorted(root.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf8").splitlines():
            words = _words(" ".join(json.loads(line)["tokens"]))
            assert words not in ours, f"{' '.join(words)!r} is in {path}"
            shared = _grams(words, 7) & our_grams
            assert not shared, f"{path}: shares {' '.join(next(iter(shared)))!r} with a spec sentence"


def test_the_copy_check_would_catch_a_copy():
    real = _words("EU rejects German call to boycott British lamb .")
    assert real == _words("EU rejects German call to boycott British lamb.")  # detokenized differently
    assert _grams(real, 7) & _grams(_words("Yesterday EU rejects German call to boycott British beef ."), 7)


def _good() -> dict:
    return yaml.safe_load((DOMAINS / "conll2003.yml").read_text(encoding="utf8"))


def _write(tmp_path, data, text=None) -> Path:
    path = tmp_path / "spec.yml"
    path.write_text(text if text is not None else yaml.safe_dump(data), encoding="utf8")
    return path


def _broken(mutate):
    data = _good()
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda d: d.pop("domain"), r"spec\.yml: missing key 'domain'"),
        (lambda d: d.update(entity_types={}), r"spec\.yml: key 'entity_types'"),
        (lambda d: d["entity_types"]["PER"].pop("definition"), r"entity_types: label PER needs a non-empty"),
        (
            lambda d: d["entity_types"]["PER"]["guideline"]["demos"][2].update(fix="COMPANY"),
            r"entity_types\.PER\.guideline\.demos\[2\]: unknown type 'COMPANY'",
        ),
        (
            lambda d: d["entity_types"]["LOC"]["demo"]["entities"].append({"text": "Braga", "label": "CITY"}),
            r"entity_types\.LOC\.demo\.entities\[2\]: unknown type 'CITY'",
        ),
        (
            lambda d: d["entity_types"]["ORG"]["guideline"]["demos"][0].update(span="Nowhere Ltd"),
            r"entity_types\.ORG\.guideline\.demos\[0\]: span 'Nowhere Ltd' does not occur",
        ),
        (
            lambda d: d["entity_types"]["ORG"]["guideline"]["demos"][1].update(answer="E"),
            r"demos\[1\]: key 'answer' must be one of A, B, C, D",
        ),
        (lambda d: d["entity_types"]["PER"].pop("guideline"), r"entity_types\.PER\.guideline: missing"),
        (
            lambda d: d["entity_types"]["PER"]["demo"].update(entities=[]),
            r"entity_types\.PER\.demo: the demo sentence of PER must contain a PER entity",
        ),
        (lambda d: d.update(surface="lower"), r"spec\.yml: surface: expected a mapping"),
        (lambda d: d.update(surface={"lowercase": "yes"}), r"spec\.yml: surface\.lowercase: expected true or false"),
        (lambda d: d.update(surface={"casing": "lower"}), r"spec\.yml: surface: unknown key\(s\) \['casing'\]"),
    ],
)
def test_bad_specs_name_the_file_and_the_key(tmp_path, mutate, match):
    with pytest.raises(DomainSpecError, match=match):
        DomainSpec.load(_write(tmp_path, _broken(mutate)))


def test_malformed_yaml_and_missing_file(tmp_path):
    with pytest.raises(DomainSpecError, match=r"spec\.yml: malformed YAML"):
        DomainSpec.load(_write(tmp_path, None, text="name: x\nentity_types: {PER: [unclosed\n"))
    with pytest.raises(DomainSpecError, match="does not exist"):
        DomainSpec.load(tmp_path / "nope.yml")
    with pytest.raises(DomainSpecError, match="must be a mapping"):
        DomainSpec.load(_write(tmp_path, None, text="- just\n- a list\n"))


def test_cli_reports_a_bad_spec_in_one_line_without_traceback(tmp_path):
    path = _write(tmp_path, _broken(lambda d: d["entity_types"]["PER"]["guideline"]["demos"][2].update(fix="X")))
    result = CliRunner().invoke(app, ["attributes", str(path), str(tmp_path / "a.yml")])
    assert result.exit_code == 1
    assert "entity_types.PER.guideline.demos[2]: unknown type 'X'" in " ".join(result.output.split())
    assert "Traceback" not in " ".join(result.output.split()) and not (tmp_path / "a.yml").exists()
