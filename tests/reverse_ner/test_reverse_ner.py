"""reverse_ner on real model output replayed from tests/cassettes/reverse_ner.jsonl, plus bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import reverse_ner_fixtures as F
import spacy

from spacy_progner.llm import ChatModel, Choice, Usage, UsageLedger
from spacy_progner.reverse_ner import ExampleLibrary


@pytest.fixture(scope="module")
def built():
    nlp = F.make_nlp(F.replay_block())
    nlp.get_pipe("reverse_ner").initialize(texts=F.TASK_TEXTS)
    return nlp


def test_library_examples_hold_their_entities_verbatim(built):
    lib = built.get_pipe("reverse_ner").library
    assert len(lib) > 0 and len(lib.features) <= F.BUILD["n_clusters"]
    for ex in lib.examples:
        for text, label in ex["entities"]:
            assert text in ex["sentence"] and label in F.LABELS
        assert 0 <= ex["feature"] < len(lib.features)
    assert lib.example_vectors.shape == (len(lib), 384)


def test_build_counts_account_for_every_generated_example(built):
    meta = built.get_pipe("reverse_ner").library.meta
    counts = meta["counts"]["examples"]
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    base = F.BUILD["n_clusters"] * F.BUILD["expansions_per_feature"]
    assert counts["generated"] == base + counts.get("top_up_calls", 0)
    assert counts["generated"] == counts["kept"] + dropped
    pools = meta["pools"]
    assert set(pools) == set(F.LABELS) and all(pools.values())
    assert meta["usage"] and meta["model"].startswith("replay|")


def test_tagging_sets_ents_and_scored_spans(built):
    docs = list(built.pipe(F.TAG_TEXTS))
    assert any(doc.ents for doc in docs)
    for doc in docs:
        group = doc.spans["reverse_ner"]
        assert len(group.attrs["scores"]) == len(group)
        assert {(e.start, e.end, e.label_) for e in doc.ents} <= {(s.start, s.end, s.label_) for s in group}
        assert all(e.label_ in F.LABELS for e in doc.ents)


def test_prompts_carry_k_retrieved_demos(built):
    pipe = built.get_pipe("reverse_ner")
    [request] = pipe.tagger.requests([F.TAG_TEXTS[0]])
    assert len(request.messages) == 1 + 2 * 2 + 1
    demo_sentences = {m["content"] for m in request.messages[1:-1:2]}
    assert demo_sentences <= {ex["sentence"] for ex in pipe.library.examples}
    for answer in request.messages[2:-1:2]:
        json.loads(answer["content"])


def test_self_consistency_scores_are_vote_shares(built):
    nlp = F.make_nlp(F.replay_block(), n_samples=3)
    pipe = nlp.get_pipe("reverse_ner")
    pipe.set_library(built.get_pipe("reverse_ner").library)
    for doc in nlp.pipe(F.TAG_TEXTS[:2]):
        scores = doc.spans["reverse_ner"].attrs["scores"]
        assert scores and all(round(s * 3) / 3 == pytest.approx(s) for s in scores)
        kept = {(e.start, e.end, e.label_) for e in doc.ents}
        keys = [(s.start, s.end, s.label_) for s in doc.spans["reverse_ner"]]
        assert len(set(keys)) == len(keys), "two spellings of one name must be one scored span"
        for span, score in zip(doc.spans["reverse_ner"], scores):
            if score < 0.5:
                assert (span.start, span.end, span.label_) not in kept


def test_round_trip_needs_no_model_call(built, tmp_path):
    built.to_disk(tmp_path / "pipeline")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf8")  # a model that cannot answer anything
    nlp = spacy.load(tmp_path / "pipeline", config={"components": {"reverse_ner": {"model": {"path": str(empty)}}}})
    before, after = built.get_pipe("reverse_ner").library, nlp.get_pipe("reverse_ner").library
    assert after.examples == before.examples and after.features == before.features
    assert (after.example_vectors == before.example_vectors).all()
    # With the real cassette again, the reloaded pipe tags exactly as before.
    nlp = spacy.load(tmp_path / "pipeline")
    assert [(e.text, e.label_) for e in nlp(F.TAG_TEXTS[0]).ents] == [
        (e.text, e.label_) for e in built(F.TAG_TEXTS[0]).ents
    ]


def test_library_from_disk_refuses_a_broken_folder(tmp_path):
    with pytest.raises(ValueError, match="not a reverse_ner example library"):
        ExampleLibrary.from_disk(tmp_path)


# --- bad input: a fixed-answer model stands in for the LLM, the pipe's own handling is under test ---------------
class FixedAnswers:
    """A transport that answers every request with the same text and records the requests."""

    name = "fixed"
    context_length = 4096

    def __init__(self, text: str, max_concurrency: int = 1):
        self.text = text
        self.max_concurrency = max_concurrency
        self.requests = []

    def identity(self) -> str:
        return "fixed"

    def complete(self, request):
        self.requests.append(request)
        return Choice(self.text), Usage(prompt_tokens=1, completion_tokens=1)


def zero_shot(answer: str, **config):
    nlp = F.make_nlp(F.replay_block(), k=0, **config)
    pipe = nlp.get_pipe("reverse_ner")
    transport = FixedAnswers(answer)
    pipe.model = pipe.tagger.model = ChatModel(transport, ledger=UsageLedger())
    return nlp, pipe, transport


def test_empty_and_whitespace_docs_cost_nothing():
    nlp, _, transport = zero_shot('{"entities":[{"text":"X","label":"PER"}]}')
    for text in ["", "   ", "\n\t "]:
        doc = nlp(text)
        assert not doc.ents and len(doc.spans["reverse_ner"]) == 0
    assert transport.requests == []


def test_answer_that_is_not_json_gives_no_entities_and_is_counted(caplog):
    nlp, pipe, _ = zero_shot("Sure! The entities are Jonas and Innsbruck.")
    with caplog.at_level(logging.WARNING, logger="spacy_progner"):
        doc = nlp("Jonas lives in Innsbruck.")
    assert not doc.ents
    assert pipe.tagger.stats["bad_answer"] == 1 and pipe.tagger.stats["sentences_without_valid_answer"] == 1
    assert "not JSON" in caplog.text


def test_mentions_not_in_the_sentence_and_unknown_labels_are_dropped():
    answer = {
        "entities": [
            {"text": "Jonas", "label": "PER"},
            {"text": "Vienna", "label": "LOC"},
            {"text": "Innsbruck", "label": "CITY"},
        ]
    }
    nlp, _, _ = zero_shot(json.dumps(answer))
    doc = nlp("Jonas lives in Innsbruck.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Jonas", "PER")]


def test_emoji_and_mixed_scripts():
    answer = {
        "entities": [
            {"text": "Zoë", "label": "PER"},
            {"text": "Zürich", "label": "LOC"},
            {"text": "東京", "label": "LOC"},
            {"text": "Юлия", "label": "PER"},
        ]
    }
    nlp, _, _ = zero_shot(json.dumps(answer, ensure_ascii=False))
    doc = nlp("Zoë 👋 met Юлия in Zürich 🇨🇭 and flew to 東京 🗼.")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Zoë", "PER"),
        ("Юлия", "PER"),
        ("Zürich", "LOC"),
        ("東京", "LOC"),
    ]


def test_a_20000_word_doc_is_split_into_bounded_chunks():
    nlp, pipe, transport = zero_shot('{"entities":[{"text":"Anna","label":"PER"}]}', max_sentence_tokens=64)
    sentence = "Anna walked along the river and counted the boats that passed under the old bridge today"
    words = (sentence + " ").split() * (20000 // 16)
    text = " ".join(words[:20000])  # one run-on "sentence" of 20,000 words: no full stop anywhere
    doc = nlp(text)
    assert len(doc) == 20000
    assert len(transport.requests) == -(-20000 // 64)
    assert all(len(r.messages[-1]["content"].split()) <= 64 for r in transport.requests)
    assert sum(1 for e in doc.ents if e.text == "Anna") == text.count("Anna")


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="needs labels with a definition"):
        spacy.blank("en").add_pipe("reverse_ner", config={"model": F.replay_block()})
    with pytest.raises(ValueError, match="must be a name"):
        spacy.blank("en").add_pipe("reverse_ner", config={"labels": {"per son": "x"}, "model": F.replay_block()})
    nlp = F.make_nlp(F.replay_block())
    with pytest.raises(ValueError, match="no example library yet"):
        nlp("Jonas lives in Innsbruck.")
    with pytest.raises(ValueError, match="needs unlabelled text"):
        nlp.get_pipe("reverse_ner").initialize()
    lib = ExampleLibrary(examples=[{"sentence": "A b", "entities": [["A", "DATE"]], "feature": 0}], features=["A b"])
    with pytest.raises(ValueError, match=r"labels \['DATE'\] not in"):
        nlp.get_pipe("reverse_ner").set_library(lib)


def test_spacy_llm_task_runs_with_the_built_library(built, tmp_path):
    """`spacy_progner.ReverseNER.v1` in spacy-llm's `llm` component: text prompts, lenient JSON parsing."""
    built.get_pipe("reverse_ner").library.to_disk(tmp_path / "library")
    nlp = F.make_task_nlp(tmp_path / "library", F.replay_block(F.TASK_CASSETTE))
    docs = list(nlp.pipe(F.TAG_TEXTS))
    assert [d.text for d in docs] == F.TAG_TEXTS
    assert any(doc.ents for doc in docs)
    prompt = docs[0].user_data["llm_io"]["llm"]["prompt"][0]
    assert prompt.count("Text: ") == 3 and prompt.rstrip().endswith("Answer:")  # 2 demos + the sentence
    for doc in docs:
        assert all(e.label_ in F.LABELS for e in doc.ents)


def test_spacy_llm_task_needs_a_library_for_k_above_zero():
    with pytest.raises(ValueError, match="needs `library_path`"):
        spacy.blank("en").add_pipe(
            "llm",
            config={
                "task": {"@llm_tasks": "spacy_progner.ReverseNER.v1", "labels": F.LABELS},
                "model": F.replay_block(),
            },
        )


def test_headline_features_get_headline_examples():
    from spacy_progner.reverse_ner.expand import match_shape
    from spacy_progner.reverse_ner.pools import plausible_name

    sentence, ents = match_shape("SOCCER - HARBOUR CITY WIN AWAY", "Soccer - Lyon beat Nantes", [("Lyon", "ORG")])
    assert sentence == "SOCCER - LYON BEAT NANTES" and ents == [("LYON", "ORG")]
    assert match_shape("Lena Ortiz scored twice.", "Ana won.", [("Ana", "PER")]) == ("Ana won.", [("Ana", "PER")])
    assert plausible_name("Rio de Janeiro", "LOC")
    assert not plausible_name("Paris is the capital. It is big", "LOC")
    assert not plausible_name("LOC", "LOC") and not plausible_name("", "PER")


def test_shape_filter_learns_from_the_library_and_drops_unlike_answers(built):
    from spacy_progner.ner.shapes import fits_shape

    lib = built.get_pipe("reverse_ner").library
    shapes = lib.shapes()  # from the pools and examples the real model made
    assert shapes["PER"] == {"letter": True, "capital": True}
    assert fits_shape("1996-12-06", "LOC", shapes) == "shape_no_letter"
    assert fits_shape("the crowd", "PER", shapes) == "shape_lowercase"
    assert fits_shape("Vienna", "LOC", shapes) == ""
    # A type whose self-made entities are lower case (a cuisine) keeps lower-case answers.
    own = ExampleLibrary(
        examples=[
            {"sentence": f"some {c} food", "entities": [[c, "CUISINE"]], "feature": 0}
            for c in "thai greek sushi tapas ramen".split()
        ]
    )
    assert own.shapes()["CUISINE"] == {"letter": True, "capital": False}
    assert fits_shape("vegan", "CUISINE", own.shapes()) == ""


def test_tagger_applies_the_shape_filter_and_counts_drops(built):
    pipe = built.get_pipe("reverse_ner")
    tagger = pipe.tagger
    choice = Choice(
        text=json.dumps({"entities": [{"text": "3-1", "label": "LOC"}, {"text": "Vienna", "label": "LOC"}]})
    )
    before = tagger.stats["dropped_shape_no_letter"]
    assert tagger.vote("Vienna won 3-1 .", [choice]) == [("Vienna", "LOC", 1.0, None)]  # no log-probs asked
    assert tagger.stats["dropped_shape_no_letter"] == before + 1


def test_shape_filter_follows_the_library_not_k(built):
    """The benchmark's k0+filter and library-nofilter rows: the filter comes with a library, at any k, and
    only the setting turns it off."""
    from spacy_progner.reverse_ner.infer import Tagger, TagSettings

    pipe = built.get_pipe("reverse_ner")
    answer = Choice(text=json.dumps({"entities": [{"text": "3-1", "label": "LOC"}]}))
    at_k0 = Tagger(pipe.tagger.labels, None, pipe.library, TagSettings(k=0))
    assert at_k0.vote("Vienna won 3-1 .", [answer]) == []
    assert at_k0.stats["dropped_shape_no_letter"] == 1
    off = Tagger(pipe.tagger.labels, None, pipe.library, TagSettings(shape_filter=False))
    assert off.vote("Vienna won 3-1 .", [answer]) == [("3-1", "LOC", 1.0, None)]
    assert Tagger(pipe.tagger.labels, None, None, TagSettings(k=0)).shapes == {}  # plain zero-shot: no library


def test_shipped_config_agrees_with_the_defaults():
    """configs/reverse_ner.cfg spells out every setting; each must equal the default its dataclass owns."""
    import inspect
    from pathlib import Path

    from spacy_progner.llm.models import make_local_gguf
    from spacy_progner.reverse_ner.component import DEFAULT_CONFIG

    cfg = spacy.util.load_config(Path(__file__).resolve().parents[2] / "configs" / "reverse_ner.cfg")
    component = cfg["components"]["reverse_ner"]
    for key, value in DEFAULT_CONFIG.items():
        if key not in ("labels", "model"):
            assert component[key] == value, key
    assert set(component) - {"factory"} == set(DEFAULT_CONFIG)
    defaults = inspect.signature(make_local_gguf).parameters
    for key, value in component["model"].items():
        if key != "@llm_models":
            assert value == defaults[key].default, key
    ner_v3 = spacy.util.load_config(Path(__file__).resolve().parents[2] / "configs" / "spacy_ner_v3_local.cfg")
    for key, value in ner_v3["components"]["llm"]["model"].items():
        if key in defaults:
            assert value == defaults[key].default, f"spacy_ner_v3_local.cfg: {key}"


def test_spacy_llm_task_and_pipe_read_the_same_answers_alike(built, tmp_path):
    """The task wraps the pipe's Tagger: given the pipe's own replayed answers, it sets the same entities."""
    from spacy_progner.reverse_ner.task import make_reverse_ner_task

    pipe = built.get_pipe("reverse_ner")
    pipe.library.to_disk(tmp_path / "library")
    task = make_reverse_ner_task(F.LABELS, str(tmp_path / "library"), k=2)
    answers = [r.choices[0].text for r in pipe.model.chat_many(pipe.tagger.requests(F.TAG_TEXTS))]
    docs = [spacy.blank("en")(t) for t in F.TAG_TEXTS]
    prompts, shards = zip(*task.generate_prompts(docs))
    assert [len(p) for p in prompts] == [1, 1, 1]  # one sentence each
    assert [p[0] for p in prompts] == pipe.tagger.prompt_texts(F.TAG_TEXTS)
    from_task = list(task.parse_responses(shards, [[a] for a in answers]))
    from_pipe = list(built.pipe(F.TAG_TEXTS))
    expected = [[(e.text, e.label_) for e in d.ents] for d in from_pipe]
    assert [[(e.text, e.label_) for e in d.ents] for d in from_task] == expected
    assert any(expected)


def test_name_types_get_the_names_only_prompt_and_descriptive_types_the_definitions_prompt():
    from spacy_progner.ner import LabelSet
    from spacy_progner.reverse_ner.prompts import names_only, ner_system

    news = LabelSet(F.LABELS)
    assert names_only(news) and "Only label names of these types" in ner_system(news)
    food = LabelSet({"Restaurant_Name": "the name of a restaurant", "Price": "what it costs: cheap, under 20 dollars"})
    assert not names_only(food)
    assert "Label only what a type's definition covers" in ner_system(food) and "names of" not in ner_system(food)
    assert names_only(LabelSet({"ALBUM": "the title of an album", "ARTIST": "a musician's name"}))


def test_a_descriptive_set_tells_the_model_its_text_is_data_of_the_pipes_domain():
    """With no demo, a spoken query reads as addressed to the model, which then answers nothing (tuning
    split, benchmarks/reverse_ner_tune_variants): a descriptive set's request names the text's domain (the
    pipe's `domain` setting, or a domain spec's) and labels the sentence as data; a news set's is unchanged."""
    food = {"Restaurant_Name": "the name of a restaurant", "Price": "what it costs: cheap, under 20 dollars"}
    query = "is there a cheap diner near me"

    def request(labels, domain):
        config = {"labels": labels, "k": 0, "domain": domain, "model": F.replay_block()}
        pipe = spacy.blank("en").add_pipe("reverse_ner", config=config)
        return pipe.tagger.requests([query])[0].messages

    system, user = request(food, "spoken queries about restaurants")
    assert system["content"].startswith("Text domain: spoken queries about restaurants\n")
    assert "not a request to you" in system["content"] and user["content"] == f"Text to annotate: {query}"
    assert request(F.LABELS, "news stories") == request(F.LABELS, "")
    assert request(F.LABELS, "news stories")[-1]["content"] == query
    spec = Path(__file__).parents[2] / "configs" / "domains" / "mit_restaurant.yml"
    config = {"labels": str(spec), "k": 0, "model": F.replay_block()}
    assert spacy.blank("en").add_pipe("reverse_ner", config=config).tagger.domain == "spoken queries about restaurants"


def test_build_answer_budgets_fit_pretty_printed_answers():
    """The type check used to get 16 tokens a verdict and lost most answers; each verdict now gets room for a
    pretty-printed item holding its name and the longest label (more for longer names)."""
    from spacy_progner.ner import LabelSet
    from spacy_progner.ner.answers import ITEM_OVERHEAD
    from spacy_progner.reverse_ner.prompts import expansion_request, typecheck_request

    labels = LabelSet(F.MUSIC_LABELS)
    short = typecheck_request(labels, [f"Abba {i}" for i in range(12)])
    long = typecheck_request(labels, [f"The Rust Orchard Trio {i}" for i in range(12)])
    assert short.max_tokens >= 12 * ITEM_OVERHEAD and long.max_tokens > short.max_tokens
    assert short.json_schema["required"] == [f"Abba {i}" for i in range(12)]  # every name must be answered
    few = expansion_request(labels, "Mira Solberg released Glass Harbour.", [("Abba", "BAND")], seed=0)
    many = expansion_request(labels, "Mira Solberg released Glass Harbour.", [("Abba", "BAND")] * 3, seed=0)
    assert many.max_tokens > few.max_tokens and many.json_schema["properties"]["entities"]["maxItems"] == 5
