"""Distillation on real model answers replayed from tests/cassettes/distill.jsonl: annotate -> correct ->
to-docbin, resume after a kill, character offsets, the cross-check, and bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import distill_fixtures as F
import pytest
import reverse_ner_fixtures as RF
import spacy
import srsly
from faults import DiesAfter
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_progner.cli import app
from spacy_progner.corpus.docbin import to_docbin
from spacy_progner.distill.annotate import AnnotateError, annotate, check_texts
from spacy_progner.distill.crosscheck import CrossCheckSettings, crosscheck
from spacy_progner.distill.tagcheck import tagcheck, take_tagger
from spacy_progner.errors import StepError
from spacy_progner.files import read_text_lines
from spacy_progner.llm import ChatModel, LLMError, ResponseCache, UsageLedger
from spacy_progner.llm.replay import ReplayTransport
from spacy_progner.ner.domain import DomainSpec, Surface
from spacy_progner.proggen.correct import correct, mark, nearest


@pytest.fixture(scope="module")
def spec():
    return DomainSpec.load(F.DOMAIN)


@pytest.fixture(scope="module")
def chain(spec):
    return F.run_all(F.pipeline(F.replay_model()), spec)


def test_annotate_writes_offsets_and_a_confidence_per_entity(chain):
    annotated, _ = chain
    samples = annotated["samples"]
    assert [x["id"] for x in samples] == [i for i, _ in F.rows()]
    assert [x["sentence"] for x in samples] == F.TEXTS
    ents = [e for x in samples for e in x["entities"]]
    assert len(ents) == annotated["metrics"]["entities"] >= len(F.TEXTS)
    for x in samples:
        for e in x["entities"]:
            assert x["sentence"][e["start"] : e["end"]] == e["text"]
            assert e["logprob"] is not None and e["logprob"] <= 0 and 0 < e["confidence"] <= 1
    assert annotated["metrics"]["entities_with_logprob"] == len(ents)
    # "Paris" as a place is the second one; the first belongs to the person's name.
    paris = [e for e in samples[0]["entities"] if e["text"] == "Paris"]
    assert all(e["start"] == F.TEXTS[0].index("from Paris") + 5 for e in paris)


def test_correct_rechecks_the_least_certain_and_keeps_offsets(chain):
    annotated, corrected = chain
    m = corrected["metrics"]
    assert m["selection"]["select_by"] == "logprob" and m["selection"]["selected"] > 0
    assert m["prompts"] > 0 and sum(m["choices"].values()) == len(corrected["decisions"]) > 0
    for x in corrected["samples"]:
        for e in x["entities"]:
            assert x["sentence"][e["start"] : e["end"]] == e["text"]


def test_to_docbin_places_entities_at_their_offsets(chain, spec, tmp_path):
    _, corrected = chain
    to_docbin(spec, corrected["samples"], tmp_path, dev_share=0.0)
    docs = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("en").vocab))
    wanted = {(x["sentence"], e["start"], e["end"], e["label"]) for x in corrected["samples"] for e in x["entities"]}
    placed = {(d.text, e.start_char, e.end_char, e.label_) for d in docs for e in d.ents}
    assert placed == wanted


def test_the_least_confident_entities_train_as_missing_tokens(chain, spec, tmp_path):
    annotated, _ = chain
    samples = annotated["samples"]
    ents = sorted((e["confidence"], x["sentence"], e["start"], e["end"]) for x in samples for e in x["entities"])
    share = 0.3
    info = to_docbin(spec, samples, tmp_path, dev_share=0.0, missing_share=share)
    n_low = int(share * len(ents))
    assert info["missing_entities"] == n_low > 0
    docs = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("en").vocab))
    by_text = {d.text: d for d in docs}
    for rank, (_, sentence, start, end) in enumerate(ents):
        span = by_text[sentence].char_span(start, end, alignment_mode="expand")
        iob = {t.ent_iob_ for t in span}
        # the least confident are unknown (neither entity nor outside); the rest stay entities
        assert iob == ({""} if rank < n_low else iob - {"", "O"}) and iob
    plain = to_docbin(spec, samples, tmp_path / "plain", dev_share=0.0)
    assert plain["missing_entities"] == 0 and plain["train_entities"] == info["train_entities"] + n_low


def test_missing_tokens_survive_the_lower_case_surface(spec, tmp_path):
    sentence = "Book a table at Chez Paul , near the Louvre ."
    ents = [
        {"label": "ORG", "start": 16, "end": 25, "confidence": 0.9},
        {"label": "LOC", "start": 37, "end": 43, "confidence": 0.2},
    ]
    lower = replace(spec, surface=Surface(lowercase=True, punctuation=False))
    sample = {"id": "x", "sentence": sentence, "entities": ents}
    info = to_docbin(lower, [sample], tmp_path, dev_share=0.0, missing_share=0.5)
    [doc] = DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("en").vocab)
    assert info["missing_entities"] == 1 and doc.text == "book a table at chez paul near the louvre"
    assert [(e.text, e.label_) for e in doc.ents] == [("chez paul", "ORG")]
    assert [t.text for t in doc if t.ent_iob_ == ""] == ["louvre"]
    with pytest.raises(StepError, match="missing_share"):
        to_docbin(spec, [sample], tmp_path, missing_share=1.0)


def test_a_name_that_occurs_twice_keeps_the_labelled_occurrence(spec, tmp_path):
    sentence = "Fans of Graz AK travelled from Graz to Vienna ."
    second = sentence.index("from Graz") + 5
    sample = {
        "id": "x",
        "sentence": sentence,
        "entities": [{"text": "Graz", "label": "LOC", "start": second, "end": second + 4}],
    }
    to_docbin(spec, [sample], tmp_path, dev_share=0.0)
    [doc] = DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("en").vocab)
    assert [(e.start_char, e.label_) for e in doc.ents] == [(second, "LOC")]
    # The correction prompt marks that occurrence, and a boundary fix lands there too.
    assert mark(sentence, "Graz", second) == sentence[:second] + "[Graz]" + sentence[second + 4 :]
    hits = [(8, 12), (second, second + 4)]
    assert nearest(hits, sample["entities"][0]) == (second, second + 4)


def test_annotate_resumes_after_a_kill_without_repeating_a_call(spec, tmp_path):
    full_ledger = UsageLedger()
    nlp = F.pipeline(F.replay_model())
    pipe = nlp.get_pipe("reverse_ner")

    def run(transport, ledger):
        pipe.model = pipe.tagger.model = ChatModel(transport, cache=ResponseCache(tmp_path / "c.sqlite"), ledger=ledger)
        return annotate(nlp, F.rows(), F.ANNOTATE)

    pipe.model = pipe.tagger.model = ChatModel(ReplayTransport(F.CASSETTE), ledger=full_ledger)
    full = annotate(nlp, F.rows(), F.ANNOTATE)
    n_calls = full_ledger.total().calls
    assert n_calls == len(F.TEXTS)

    first = UsageLedger()
    with pytest.raises(LLMError, match="killed"):
        run(DiesAfter(ReplayTransport(F.CASSETTE), 5), first)
    assert first.total().calls == 5
    second = UsageLedger()
    resumed = run(ReplayTransport(F.CASSETTE), second)
    assert second.total().cache_hits == 5 and second.total().calls == n_calls - 5
    assert resumed["samples"] == full["samples"]  # nothing lost, nothing twice


def test_crosscheck_marks_agreement_and_proposes_missed_spans():
    samples = F.pattern_corpus(24)
    result = crosscheck(
        samples, ["PER", "LOC", "ORG"], F.ROOT / "configs" / "train.cfg", CrossCheckSettings(folds=2, train_steps=60)
    )
    out, m = result["samples"], result["metrics"]
    tagged = [e for x in out for e in x["entities"] if not e.get("proposed")]
    assert len(tagged) == sum(len(x["entities"]) for x in samples)
    assert all(isinstance(e["agree"], bool) for e in tagged)
    assert m["agree"] + m["disagree"] == len(tagged) and m["agree"] > 0
    for x in out:
        proposed = [e for e in x["entities"] if e.get("proposed")]
        for e in proposed:
            assert x["sentence"][e["start"] : e["end"]] == e["text"] and e["agree"] is False
            assert not any(
                e["start"] < o["end"] and e["end"] > o["start"] for o in x["entities"] if not o.get("proposed")
            )
    assert m.get("proposed", 0) == sum(e.get("proposed", False) for x in out for e in x["entities"])


def test_correct_by_agreement_needs_no_logprobs_and_drops_unconfirmed_proposals(spec):
    samples = [
        {"id": "a", "sentence": "Anna Berg moved to Graz .", "entities": [
            {"text": "Anna Berg", "label": "PER", "start": 0, "end": 9, "agree": True},
            {"text": "Graz", "label": "LOC", "start": 19, "end": 23, "agree": False, "proposed": True}]},
    ]  # fmt: skip

    class NoCalls:
        def chat_many(self, requests, progress=None):
            raise AssertionError("max_share 0.2 of one LOC selects nothing: no call expected")

    result = correct(NoCalls(), spec, samples, F.CORRECT.__class__(select_by="agreement"))
    assert result["metrics"]["selection"]["select_by"] == "agreement"
    assert [e["text"] for e in result["samples"][0]["entities"]] == ["Anna Berg"]  # the unchecked proposal is dropped
    assert result["metrics"]["outcomes"]["proposed, not confirmed (dropped)"] == 1


# --- bad input ---------------------------------------------------------------------------------------------


def _fails(args, *needles):
    """The command refuses in one clear line: 1 for the package's own checks, 2 for a path argument that
    does not exist (checked by the command line itself, as spaCy's commands do)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = " ".join(result.output.replace("│", " ").split())  # the message is boxed and wrapped to the width
    for needle in needles:
        assert needle in output, output
    assert "Traceback" not in output


def test_blank_lines_are_skipped_and_ids_keep_line_numbers(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("First text .\n\n   \nSecond text .\n", encoding="utf8")
    assert read_text_lines(path) == [(1, "First text ."), (4, "Second text .")]
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text('{"text": "A"}\n{"text": ""}\n{"text": "B"}\n', encoding="utf8")
    assert read_text_lines(jsonl) == [(1, "A"), (3, "B")]


def test_missing_or_non_utf8_texts_fail_naming_the_place(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(json.dumps(F.replay_model()))
    _fails(["annotate", tmp_path / "nope.txt", tmp_path / "out.jsonl", "--labels", F.DOMAIN, "--model", model],
           "nope.txt", "does not exist")  # fmt: skip
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Fine line .\nCaf\xe9 in K\xf6ln .\n".encode("latin-1"))
    _fails(
        ["annotate", bad, tmp_path / "out.jsonl", "--labels", F.DOMAIN, "--model", model],
        "latin1.txt",
        "line 2",
        "UTF-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf8")
    _fails(["annotate", empty, tmp_path / "out.jsonl", "--labels", F.DOMAIN, "--model", model], "empty.txt", "no text")


def test_pipeline_without_library_or_with_other_types_fails_clearly(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(F.TEXTS), encoding="utf8")
    model = tmp_path / "model.json"
    model.write_text(json.dumps(F.replay_model()))
    bare = tmp_path / "bare"
    RF.make_nlp(F.replay_model()).to_disk(bare)  # never initialized: no library
    _fails(["annotate", texts, tmp_path / "o.jsonl", "--pipeline", bare, "--model", model], "no example library")
    full = tmp_path / "full"
    F.pipeline(F.replay_model()).to_disk(full)
    other = F.ROOT / "configs" / "domains" / "mit_restaurant.yml"
    _fails(["annotate", texts, tmp_path / "o.jsonl", "--pipeline", full, "--labels", other, "--model", model],
           "mit_restaurant.yml", "Restaurant_Name", "not in the pipeline")  # fmt: skip
    _fails(
        ["annotate", texts, tmp_path / "o.jsonl", "--pipeline", tmp_path / "nothing", "--model", model],
        "not a saved spaCy pipeline",
    )


def test_huge_texts_are_warned_about_or_refused_with_their_line(capsys):
    nlp = spacy.blank("en")
    counts = check_texts(nlp, [("line-1", "short ."), ("line-2", "word " * 20000)], "texts.txt")
    assert counts["long_texts"] == 1
    assert "texts.txt, line-2: 20,000 words" in capsys.readouterr().out
    nlp.max_length = 1000
    with pytest.raises(AnnotateError, match="texts.txt, line-2: 100,000 characters"):
        check_texts(nlp, [("line-1", "short ."), ("line-2", "word " * 20000)], "texts.txt")


def test_annotate_cli_chain_writes_corpus_metrics_and_report(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(F.TEXTS), encoding="utf8")
    model = tmp_path / "model.json"
    model.write_text(json.dumps(F.replay_model()))
    pipeline = tmp_path / "pipeline"
    F.pipeline(F.replay_model()).to_disk(pipeline)
    m = tmp_path / "metrics"
    run = CliRunner().invoke
    args = ["annotate", texts, tmp_path / "annotated.jsonl", "--pipeline", pipeline, "--model", model]
    result = run(app, [str(a) for a in args + ["--metrics", m / "annotate.json"]])
    assert result.exit_code == 0, result.output
    corpus = list(srsly.read_jsonl(tmp_path / "annotated.jsonl"))
    assert [x["id"] for x in corpus] == [f"line-{i}" for i in range(1, len(F.TEXTS) + 1)]
    metrics = srsly.read_json(m / "annotate.json")
    assert metrics["usage"]["steps"]["annotate"]["calls"] == len(F.TEXTS) and metrics["texts"] == len(F.TEXTS)
    args = ["correct", F.DOMAIN, tmp_path / "annotated.jsonl", tmp_path / "corrected.jsonl"]
    args += ["--metrics", m / "correct.json", "--threshold", F.CORRECT.threshold, "--max-share", F.CORRECT.max_share]
    args += ["--spans-per-prompt", F.CORRECT.spans_per_prompt, "--model", model]
    result = run(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    args = ["to-docbin", F.DOMAIN, tmp_path / "corrected.jsonl", tmp_path, "--extra", ""]
    result = run(app, [str(a) for a in args + ["--metrics", m / "to_docbin.json"]])
    assert result.exit_code == 0, result.output
    assert srsly.read_json(m / "to_docbin.json")["alignment"]["dropped"] == {}


def test_a_domain_spec_drives_the_pipe_labels_and_library_domain(spec, tmp_path):
    from spacy_progner.ner.domain import spec_domain

    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("reverse_ner", config={"labels": str(F.DOMAIN), "k": 0})
    assert list(pipe.label_set) == list(spec.types)
    assert pipe.build_settings.domain == spec.domain == spec_domain(F.DOMAIN)
    labels_file = tmp_path / "labels.yml"
    labels_file.write_text("PER: a person's name\n", encoding="utf8")
    assert spec_domain(labels_file) == "" and spec_domain({"PER": "a person"}) == ""


def test_tagcheck_marks_what_a_generating_answer_got_otherwise_than_the_tagger(chain):
    """A generated corpus (text-only annotations, as ProgGen writes them) built from the tagger's own recorded
    answers with one entity retyped and one left out: the tagger's second look marks exactly those."""
    annotated, _ = chain
    tagged = [x for x in annotated["samples"] if len(x["entities"]) >= 2]
    assert tagged, "no recorded sentence has two entities: the test would not exercise the check"
    generated = []
    for x in tagged:
        ents = [{"text": e["text"], "label": e["label"]} for e in x["entities"]]
        ents[0]["label"] = next(lab for lab in ("PER", "LOC", "ORG") if lab != ents[0]["label"])
        generated.append({"id": x["id"], "sentence": x["sentence"], "entities": ents[:-1]})
    out = tagcheck(F.pipeline(F.replay_model()), generated, F.ANNOTATE)
    for x, sample in zip(tagged, out["samples"]):
        agree = [e["agree"] for e in sample["entities"] if not e.get("proposed")]
        assert agree == [False] + [True] * (len(x["entities"]) - 2)
        proposed = [(e["text"], e["label"]) for e in sample["entities"] if e.get("proposed")]
        assert proposed == [(x["entities"][-1]["text"], x["entities"][-1]["label"])]
        assert all("start" not in e for e in sample["entities"])
        assert sample["tagger"] == [[e["start"], e["end"], e["label"]] for e in x["entities"]]
    taken = take_tagger(out["samples"])
    placed = [[(e["text"], e["label"], e["start"], e["end"]) for e in x["entities"]] for x in tagged]
    assert [[(e["text"], e["label"], e["start"], e["end"]) for e in x["entities"]] for x in taken] == placed
    with pytest.raises(AnnotateError, match="no tagger annotation"):
        take_tagger(generated)
    m = out["metrics"]
    assert (m["disagree"], m["proposed"]) == (len(tagged), len(tagged))


def test_tagcheck_cli_writes_marks_and_names_bad_input(chain, tmp_path):
    annotated, _ = chain
    model = tmp_path / "model.json"
    model.write_text(json.dumps(F.replay_model()))
    full = tmp_path / "full"
    F.pipeline(F.replay_model()).to_disk(full)
    generated = tmp_path / "generated.jsonl"
    srsly.write_jsonl(
        generated, [{"id": x["id"], "sentence": x["sentence"], "entities": []} for x in annotated["samples"]]
    )
    out, metrics = tmp_path / "tagchecked.jsonl", tmp_path / "tagcheck.json"
    args = ["tagcheck", generated, out, "--pipeline", full, "--model", model, "--metrics", metrics]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    proposed = [(e["text"], e["label"]) for x in srsly.read_jsonl(out) for e in x["entities"] if e["proposed"]]
    assert proposed == [(e["text"], e["label"]) for x in annotated["samples"] for e in x["entities"]]
    assert srsly.read_json(metrics)["proposed"] == len(proposed)
    _fails(["tagcheck", tmp_path / "nope.jsonl", out, "--pipeline", full, "--model", model], "nope.jsonl")
    _fails(
        ["tagcheck", generated, out, "--pipeline", tmp_path / "nothing", "--model", model],
        "not a saved spaCy pipeline",
    )


def test_the_transformer_student_trains_from_the_packaged_embedder_and_loads_without_it(spec, tmp_path):
    """configs/train_minilm.cfg resolves all-MiniLM-L6-v2 from its package (offline), fine-tunes it on a
    small corpus, and the saved pipeline carries the weights: it tags a held-out sentence after loading."""
    from spacy.cli.train import train

    samples = [x for x in F.pattern_corpus(36) if len(x["entities"]) == 2]  # fully labelled sentences only
    to_docbin(spec, samples, tmp_path, seed=0)
    overrides = {
        "paths.train": str(tmp_path / "train.spacy"),
        "paths.dev": str(tmp_path / "dev.spacy"),
        "training.max_steps": 60,
        "training.eval_frequency": 20,
        "training.optimizer.learn_rate.warmup_steps": 5,
        "training.optimizer.learn_rate.total_steps": 60,
    }
    train(F.ROOT / "configs" / "train_minilm.cfg", tmp_path / "model", use_gpu=-1, overrides=overrides)
    nlp = spacy.load(tmp_path / "model" / "model-last")
    assert nlp.pipe_names == ["transformer", "ner"]
    assert nlp.config["components"]["transformer"]["model"]["@architectures"] == "spacy_progner.EmbedderTransformer.v1"
    doc = nlp("Lena Ortiz moved to Oslo last year .")
    assert ("Lena Ortiz", "PER") in [(e.text, e.label_) for e in doc.ents]
    # the second stage: the student labels a texts file (blank lines skipped) into a DocBin to train on
    texts = tmp_path / "texts.txt"
    texts.write_text("Anna Berg moved to Cork last year .\n\nIvan Petrov moved to Graz last year .\n", encoding="utf8")
    args = ["relabel", str(tmp_path / "model" / "model-last"), str(texts), str(tmp_path / "relabelled.spacy")]
    result = CliRunner().invoke(app, [*args, "--metrics", str(tmp_path / "relabel.json")])
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(tmp_path / "relabelled.spacy").get_docs(nlp.vocab))
    assert [d.text for d in docs] == ["Anna Berg moved to Cork last year .", "Ivan Petrov moved to Graz last year ."]
    assert ("Anna Berg", "PER") in [(e.text, e.label_) for e in docs[0].ents]
    assert srsly.read_json(tmp_path / "relabel.json")["docs"] == 2


def test_relabel_names_a_missing_student_or_one_without_ner(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("Anna Berg moved to Cork .\n", encoding="utf8")
    spacy.blank("en").to_disk(tmp_path / "blank")
    (tmp_path / "empty").mkdir()
    for model, expected in [
        (tmp_path / "nothing", "does not exist"),
        (tmp_path / "empty", "no config.cfg"),
        (tmp_path / "blank", "has no ner component"),
    ]:
        result = CliRunner().invoke(app, ["relabel", str(model), str(texts), str(tmp_path / "out.spacy")])
        output = " ".join(result.output.replace("│", " ").split())  # click boxes and wraps its messages
        assert result.exit_code in (1, 2) and expected in output and model.name in output
        assert "Traceback" not in result.output
