"""End to end on the real embedded model (a few short calls; runs in CI)."""

from __future__ import annotations

import json

import llm_requests as R
import pytest
import spacy

from spacy_progner.llm import UsageLedger, make_openai_compatible
from spacy_progner.llm.default_model import status
from spacy_progner.llm.local import reload_local_model

pytestmark = pytest.mark.real_model


def test_default_model_checksum_holds(local_model):
    local_model.transport.resolved_path()  # assembled on first use
    info = status(verify=True)
    assert info["exists"] and info["checksum_ok"], info


def test_json_schema_answer_with_logprobs(local_model):
    result = local_model.chat(R.ner_request(R.SENTENCES[0], logprobs=True, max_tokens=120))
    answer = json.loads(result.text)
    texts = {e["text"] for e in answer["entities"]}
    assert texts & {"Maria Lopez", "Lisbon", "Toronto", "Northwind Robotics"}, answer
    assert result.choices[0].logprobs and result.usage.completion_tokens > 0
    assert result.usage.calls == 1


def test_reloaded_model_starts_with_an_empty_prompt_cache(local_model):
    """Benchmarks time each configuration on a reloaded model: llama.cpp keeps past prompts in RAM,
    so a prompt seen before would come back cached and be timed too fast."""
    request = R.ner_request(R.SENTENCES[1], max_tokens=8)
    local_model.chat(request)
    assert local_model.chat(request).usage.cached_tokens > 0
    reload_local_model(n_parallel=2)
    assert local_model.chat(request).usage.cached_tokens == 0


def test_spacy_llm_ner_v3_on_local_gguf():
    """spacy-llm's own NER.v3 task with `spacy_progner.LocalGGUF.v1` as its model, by registered name."""
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "llm",
        config=R.ner_v3_config(
            {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False, "n_parallel": 2, "max_tokens": 160}
        ),
    )
    doc = nlp(R.SENTENCES[0])
    responses = doc.user_data["llm_io"]["llm"]["response"]  # one answer per shard
    assert responses and all(isinstance(r, str) and r.strip() for r in responses)
    assert doc.ents, responses  # an answer that parses to nothing is a failure, not a pass
    assert all(ent.label_ in R.LABELS for ent in doc.ents)
    assert {e.text for e in doc.ents} & {"Maria Lopez", "Lisbon", "Toronto", "Northwind Robotics"}, doc.ents


def test_openai_compatible_against_a_real_llama_server(local_model):
    """The HTTP transport against llama.cpp's own OpenAI server on loopback (what `serve` runs)."""
    from spacy_progner.cli.serve import start_http_server

    server = start_http_server(local_model.transport, "127.0.0.1", 0)
    address = server.listening_address
    model = make_openai_compatible(
        base_url=f"{address}/v1", model="default", api_key_env=None, cache=False, timeout=120
    )
    model.ledger = UsageLedger()
    result = model.chat(R.ner_request(R.SENTENCES[0], max_tokens=120))  # the JSON schema goes over HTTP too
    answer = json.loads(result.text)
    assert {e["text"] for e in answer["entities"]} & {"Maria Lopez", "Lisbon", "Toronto", "Northwind Robotics"}
    assert all(e["label"] in R.LABELS for e in answer["entities"])
    assert result.usage.completion_tokens > 0 and model.ledger.total().calls == 1
