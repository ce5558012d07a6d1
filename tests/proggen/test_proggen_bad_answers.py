"""Bad model answers and bad inputs: counted, named, and never a silently empty corpus."""

from __future__ import annotations

import json
from collections import Counter

import proggen_fixtures as F
import pytest
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.errors import StepError
from spacy_progner.files import read_jsonl
from spacy_progner.llm import ChatModel, Choice, UsageLedger, make_replay
from spacy_progner.ner.domain import DomainSpec
from spacy_progner.ner.logprobs import entity_logprobs
from spacy_progner.proggen.common import Warnings
from spacy_progner.proggen.correct import CorrectSettings, correct, correction_request
from spacy_progner.proggen.entities import EntitySettings, build_pools, pool_request
from spacy_progner.proggen.generate import GenerateSettings, ambiguous_names, build_request, generate
from spacy_progner.proggen.validate import parse_generation

LABELS = ["PER", "LOC", "ORG"]


def write_cassette(path, pairs):
    """A cassette answering each request with the given text (what a misbehaving model would say)."""
    with path.open("w", encoding="utf8") as fh:
        for request, text in pairs:
            entry = {
                "key": request.key(),
                "request": request.payload(),
                "choice": {"text": text, "finish_reason": "stop", "logprobs": None},
                "usage": {"calls": 1, "prompt_tokens": 10, "completion_tokens": 5},
            }
            fh.write(json.dumps(entry) + "\n")
    return path


def _model(path) -> ChatModel:
    model = make_replay(str(path))
    model.ledger = UsageLedger()
    return model


def test_non_json_and_truncated_answers_are_counted_and_named():
    drops, warnings = Counter(), Warnings("t")
    assert (
        parse_generation(Choice("Sure! Here are sentences:"), LABELS, "generate call 3 (seed 3)", drops, warnings) == []
    )
    cut = Choice('{"examples":[{"sentence":"Anna', finish_reason="length")
    assert parse_generation(cut, LABELS, "generate call 4 (seed 4)", drops, warnings) == []
    assert drops == Counter(answer_not_json=1, answer_truncated=1)
    assert "generate call 3 (seed 3): answer is not JSON" in warnings.items[0]
    assert "generate call 4 (seed 4): answer was cut off at max_tokens" in warnings.items[1]


def test_an_answer_cut_off_at_max_tokens_keeps_the_examples_it_wrote_in_full():
    """As the embedded model's MIT-Restaurant answer (generate call 38) was cut: two examples whole, the
    third inside its entity list. The two are kept, the third dropped; both counted."""
    whole = [
        {"sentence": "Ana Silva flew to Porto.", "entities": [{"text": "Ana Silva", "label": "PER"}]},
        {"sentence": "Acme hired Bo Li.", "entities": [{"text": "Acme", "label": "ORG"}]},
    ]
    text = json.dumps({"examples": whole})[:-2] + ',{"sentence":"Rui met Eva in Faro.","entities":[{"text":"Rui"'
    drops, warnings = Counter(), Warnings("t")
    out = parse_generation(Choice(text, finish_reason="length"), LABELS, "generate call 38", drops, warnings)
    assert [x["sentence"] for x in out] == [x["sentence"] for x in whole]
    assert drops == Counter(cut_off_items_kept=1)
    assert warnings.items == [
        "generate call 38: answer was cut off at max_tokens; its unfinished example dropped, the rest kept"
    ]


def test_unknown_type_missing_text_and_case_are_handled_per_entity():
    answer = {
        "examples": [
            {
                "sentence": "Anna met Bob Stone in Rome.",
                "entities": [
                    {"text": "Anna", "label": "PER"},
                    {"text": "Rome", "label": "CITY"},
                    {"text": "Zed", "label": "PER"},
                    {"text": "bob stone", "label": "PER"},
                    {"text": "Anna", "label": "PER"},
                    {"text": "Anna", "label": "ORG"},
                ],
            },
            {"entities": []},
        ]
    }
    drops, fixes, warnings = Counter(), Counter(), Warnings("t")
    out = parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 0 (seed 0)", drops, warnings, fixes)
    assert [(e["text"], e["label"]) for e in out[0]["entities"]] == [("Anna", "PER"), ("Bob Stone", "PER")]
    assert drops == Counter(
        entity_unknown_type=1,
        entity_not_in_sentence=1,
        entity_duplicate=1,
        entity_conflicting_type=1,
        example_without_sentence=1,
    )
    assert fixes == Counter(entity_case_fixed=1)
    assert "generate call 0 (seed 0), example 0: unknown type 'CITY' for 'Rome'" in warnings.items[0]


def test_annotations_unlike_their_type_in_the_spec_are_dropped_and_counted():
    """The small model's commonest error: a common noun or a number labelled as a name."""
    shapes = F.spec().shapes()  # every PER/LOC/ORG the spec shows is capitalised and holds a letter
    answer = {
        "examples": [
            {
                "sentence": "The company said Ana Silva will visit Porto in 2025.",
                "entities": [
                    {"text": "company", "label": "ORG"},
                    {"text": "ana silva", "label": "PER"},  # case fixed to the sentence's "Ana Silva": kept
                    {"text": "Porto", "label": "LOC"},
                    {"text": "2025", "label": "LOC"},
                ],
            }
        ]
    }
    drops, fixes, warnings = Counter(), Counter(), Warnings("t")
    out = parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 0", drops, warnings, fixes, shapes)
    assert [(e["text"], e["label"]) for e in out[0]["entities"]] == [("Ana Silva", "PER"), ("Porto", "LOC")]
    assert drops == Counter(entity_shape_lowercase=1, entity_shape_no_letter=1)
    unfiltered = parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 0", Counter(), warnings)
    assert len(unfiltered[0]["entities"]) == 4


def test_a_sentence_with_letters_of_another_script_than_the_spec_demos_is_dropped_and_named():
    """Written as the embedded model wrote them into the 1,500-sentence MIT-Restaurant corpus ("a good下午
    tea"); accented Latin letters, digits, symbols and letters of no script (ª µ ʼ, fullwidth) stay."""
    scripts = DomainSpec.load(F.DOMAIN).scripts()
    assert scripts == {"LATIN"}
    answer = {"examples": [
        {"sentence": "which café is the best for a good下午 tea", "entities": [{"text": "café", "label": "LOC"}]},
        {"sentence": "Zoë Müller met Ørsted's 1ª chief in São Paulo for €5m of µg-grade McDonaldʼs ｆｏｏｄ.",
         "entities": [{"text": "São Paulo", "label": "LOC"}]},
    ]}  # fmt: skip
    drops, warnings = Counter(), Warnings("t")
    out = parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 7", drops, warnings, scripts=scripts)
    assert [x["sentence"] for x in out] == [answer["examples"][1]["sentence"]]
    assert drops == Counter(sentence_other_script=1)
    assert "generate call 7, example 0" in str(warnings.to_dict()) and "下午" in str(warnings.to_dict())
    assert len(parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 7", Counter(), warnings)) == 2


def test_a_sentence_with_an_unfilled_template_slot_is_dropped_and_named():
    """As the embedded model wrote them in the ProgGen demo's news corpus (an e-mail form with slots); a
    bracketed number or a parenthesised agency stays. No sentence of the committed generated corpora
    (8,000, both datasets, both sizes) holds such a slot, so the rule drops none of them."""
    answer = {"examples": [
        {"sentence": "Dear [Recipient's Name], I hope this message finds you well.",
         "entities": [{"text": "Recipient's Name", "label": "PER"}]},
        {"sentence": "Learn more about [Insert Apple Product Information] in Cupertino.",
         "entities": [{"text": "Cupertino", "label": "LOC"}]},
        {"sentence": "Shares in Apple rose 3 percent [1] , Reuters reported (AP).",
         "entities": [{"text": "Apple", "label": "ORG"}]},
    ]}  # fmt: skip
    drops, warnings = Counter(), Warnings("t")
    out = parse_generation(Choice(json.dumps(answer)), LABELS, "generate call 2", drops, warnings)
    assert [x["sentence"] for x in out] == [answer["examples"][2]["sentence"]]
    assert drops == Counter(template_placeholder=2)
    assert 'generate call 2, example 0: an unfilled template slot "[Recipient\'s Name]"' in warnings.items[0]


def test_logprob_of_an_annotation_is_read_from_its_own_tokens():
    """Mean over the tokens of the entity's text and label values, not the same words in the sentence."""
    pieces = [
        ('{"examples":[{"sentence":"', 0.0),
        ("Anna", -9.0),  # the sentence's "Anna": must not count
        (' ran.","entities":[{"text":"', 0.0),
        ("Anna", -1.0),
        ('","label":"', 0.0),
        ("PER", -0.5),
        ('"}]}]}', 0.0),
    ]
    text = "".join(t for t, _ in pieces)
    choice = Choice(text, logprobs=pieces)
    examples = json.loads(text)["examples"]
    assert entity_logprobs(choice, examples) == [[-0.75]]
    assert entity_logprobs(Choice(text), examples) == [[None]]  # no log-probs: no score


def test_generate_fails_clearly_when_no_answer_is_usable(tmp_path):
    spec = F.spec()
    s = GenerateSettings(variant="simple", n_sentences=3, per_call=3, max_calls=2)
    path = write_cassette(
        tmp_path / "bad.jsonl", [(build_request(spec, s, c)[0], "I cannot do that.") for c in range(2)]
    )
    with pytest.raises(StepError, match=r"0 sentences kept from 2 calls .*answer_not_json"):
        generate(_model(path), spec, s)
    # The command says it in one line, writes no corpus, and exits 1.
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps({"@llm_models": "spacy_progner.Replay.v1", "path": str(path)}))
    out = tmp_path / "gen.jsonl"
    args = ["generate", str(F.DOMAIN), str(out), "--variant", "simple", "--n-sentences", "3", "--per-call", "3"]
    args += [
        "--max-calls",
        "2",
        "--model",
        str(model_file),
        "--metrics",
        str(tmp_path / "m.json"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "0 sentences kept" in " ".join(result.output.split()) and "Traceback" not in " ".join(result.output.split())
    assert "generate call 0 (seed 0): answer is not JSON" in " ".join(result.output.split())
    assert not out.exists()


def test_empty_entity_pool_is_an_error_naming_the_type(tmp_path):
    spec = F.spec()
    s = EntitySettings(kind="vanilla", n_per_call=4, calls_per_type=1)
    pairs = [(pool_request(spec, lab, 4, 0, 1.0, 0), '{"entities":["Ada Byron"]}') for lab in ("PER", "ORG")]
    pairs.append((pool_request(spec, "LOC", 4, 0, 1.0, 0), '{"entities":["", "  "]}'))
    path = write_cassette(tmp_path / "pools.jsonl", pairs)
    with pytest.raises(StepError, match=r"the vanilla pool of LOC .*conll2003\.yml\) is empty"):
        build_pools(_model(path), spec, s)


def test_names_under_two_types_are_never_required():
    """'Pizza' is a Cuisine in one pool and a Dish in another: it is left out everywhere; a topic pool left
    empty by that falls back to the vanilla pool of its type."""
    spec = DomainSpec.load(F.ROOT / "configs" / "domains" / "mit_restaurant.yml")
    pools = {
        "vanilla": {lab: [f"{lab.lower()} {i}" for i in range(3)] for lab in spec.types},
        "latent": {"food": {"Cuisine": ["Pizza", "thai"], "Dish": ["pizza"]}},
    }
    assert ambiguous_names(pools) == {"pizza"}
    s = GenerateSettings("diversify-x+y", 30, seed=3)
    attrs = {"topic": {"probability": 1.0, "values": ["food"]}}
    asked = set()
    for call in range(40):
        _, req = build_request(spec, s, call, attrs, pools)
        asked.update(req["entities"])
    assert "thai" in asked and {"dish 0", "dish 1", "dish 2"} & asked
    assert not {"Pizza", "pizza"} & asked
    legacy = GenerateSettings("diversify-x+y", 30, seed=3, skip_ambiguous=False, per_sentence=False)
    request, req = build_request(spec, legacy, 0, attrs, pools)
    assert "per_sentence" not in req and "Use these named entities in the sentences:" in request.messages[-1]["content"]


def test_variants_refuse_missing_inputs():
    spec = F.spec()
    with pytest.raises(StepError, match="needs entity pools"):
        generate(ChatModel.__new__(ChatModel), spec, GenerateSettings(variant="diversify-y-vanilla"), None, None)
    with pytest.raises(StepError, match="needs attribute values"):
        generate(ChatModel.__new__(ChatModel), spec, GenerateSettings(variant="diversify-x"))
    with pytest.raises(StepError, match="variant must be one of"):
        GenerateSettings(variant="fancy")
    with pytest.raises(StepError, match="max_entities=0, max_entity_chars=-1; each must be >= 1"):
        GenerateSettings(max_entities=0, max_entity_chars=-1)


def _samples():
    return [
        {"id": "s0", "sentence": "Lena Ortiz visited Quito.", "entities": [
            {"text": "Lena Ortiz", "label": "PER", "logprob": -0.9},
            {"text": "Quito", "label": "LOC", "logprob": -0.001},
        ]},
        {"id": "s1", "sentence": "Vortex Labs hired Omar.", "entities": [
            {"text": "Vortex Labs", "label": "PER", "logprob": -1.2},
            {"text": "Omar", "label": "PER", "logprob": -0.0},
        ]},
    ]  # fmt: skip


def test_correction_answers_are_applied_and_bad_ones_keep_the_annotation(tmp_path):
    spec = F.spec()
    s = CorrectSettings(threshold=-0.05, max_share=0.5, spans_per_prompt=4)
    samples = _samples()
    # PER has 3 annotations: cap floor(0.5 * 3) = 1, the least certain one (Vortex Labs, -1.2) is chosen.
    request = correction_request(spec, "PER", [("Vortex Labs hired Omar.", "Vortex Labs", None)], s, "0")
    good = write_cassette(
        tmp_path / "good.jsonl", [(request, '{"answers":[{"span":"Vortex Labs","choice":"C","fix":"ORG"}]}')]
    )
    out = correct(_model(good), spec, samples, s)
    assert out["metrics"]["selection"]["selected"] == 1
    assert out["metrics"]["choices"] == {"A": 0, "B": 0, "C": 1, "D": 0}
    assert out["samples"][1]["entities"][0]["label"] == "ORG" and out["samples"][0] == {
        **samples[0],
        "entities": samples[0]["entities"],
    }
    bad = write_cassette(tmp_path / "bad.jsonl", [(request, "The span is an organisation.")])
    out = correct(_model(bad), spec, samples, s)
    assert out["metrics"]["outcomes"] == {"unanswered (kept)": 1}
    assert out["samples"] == samples
    assert "correct: PER prompt for samples ['s1']: answer is not JSON" in out["metrics"]["warnings"]["first"][0]


def test_correct_refuses_an_unknown_type_in_its_input():
    samples = _samples()
    samples[1]["entities"][1]["label"] = "MISC"
    with pytest.raises(StepError, match=r"sample 1 \(s1\): unknown type 'MISC'"):
        correct(ChatModel.__new__(ChatModel), F.spec(), samples, CorrectSettings())


def test_bad_corpus_files_name_the_line(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"sentence": "A.", "entities": []}\nnot json\n', encoding="utf8")
    with pytest.raises(StepError, match=r"g\.jsonl: line 2 is not JSON"):
        read_jsonl(path, "samples")
    with pytest.raises(StepError, match="does not exist"):
        read_jsonl(tmp_path / "missing.jsonl", "samples")
    with pytest.raises(StepError, match="no samples"):
        to_docbin(F.spec(), [], tmp_path)
    with pytest.raises(StepError, match="no entity at all"):
        to_docbin(F.spec(), [{"sentence": "Nothing here.", "entities": []}], tmp_path / "x")


def test_bad_model_option_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.yml"
    bad.write_text("base_url: http://x\n", encoding="utf8")
    result = CliRunner().invoke(
        app, ["generate", str(F.DOMAIN), str(tmp_path / "gen.jsonl"), "--model", str(bad), "--variant", "simple"]
    )
    assert result.exit_code == 1 and "expected a mapping with '@llm_models'" in " ".join(result.output.split())
