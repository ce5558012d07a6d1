"""An interrupted `generate` resumes through the LLM cache: no repeated model call, no lost sample."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import proggen_fixtures as F
import pytest
from faults import DiesAfter

from spacy_progner.errors import StepError
from spacy_progner.llm import ChatModel, LLMError, ResponseCache, UsageLedger, make_replay
from spacy_progner.llm.replay import ReplayTransport
from spacy_progner.proggen.attributes import build_attributes, load_attributes
from spacy_progner.proggen.entities import build_pools
from spacy_progner.proggen.generate import generate


@pytest.fixture(scope="module")
def inputs():
    model = make_replay(str(F.CASSETTE))
    model.ledger = UsageLedger()
    spec = F.spec()
    dims = load_attributes(build_attributes(model, spec, F.ATTRIBUTES)["attributes"], "attributes")
    pools = build_pools(model, spec, F.ENTITIES, dims["topic"]["values"])["pools"]
    return spec, dims, pools


def test_resume_after_interruption_repeats_no_call_and_loses_no_sample(inputs, tmp_path):
    spec, dims, pools = inputs
    full_ledger = UsageLedger()
    full = generate(ChatModel(ReplayTransport(F.CASSETTE), ledger=full_ledger), spec, F.GENERATE_XY, dims, pools)
    n_calls = full_ledger.total().calls
    assert n_calls >= 3

    cache = tmp_path / "cache.sqlite"
    first = UsageLedger()
    killed = ChatModel(DiesAfter(ReplayTransport(F.CASSETTE), 2), cache=ResponseCache(cache), ledger=first)
    with pytest.raises(LLMError, match="killed"):
        generate(killed, spec, F.GENERATE_XY, dims, pools)
    assert first.total().calls == 2

    second = UsageLedger()
    resumed = ChatModel(ReplayTransport(F.CASSETTE), cache=ResponseCache(cache), ledger=second)
    out = generate(resumed, spec, F.GENERATE_XY, dims, pools)
    assert second.total().cache_hits == 2  # the two answers from before the kill
    assert second.total().calls == n_calls - 2  # and nothing asked twice
    assert out["samples"] == full["samples"]

    third = UsageLedger()
    again = ChatModel(ReplayTransport(F.CASSETTE), cache=ResponseCache(cache), ledger=third)
    assert generate(again, spec, F.GENERATE_XY, dims, pools)["samples"] == full["samples"]
    assert third.total().calls == 0 and third.total().cache_hits == n_calls


def test_resume_from_a_saved_state_needs_no_cache(inputs):
    """A long run on a new machine: its LLM cache is gone, its checkpointed state (committed) is not."""
    spec, dims, pools = inputs
    settings = replace(F.GENERATE_XY, batch=1)  # a state after every call
    full = generate(ChatModel(ReplayTransport(F.CASSETTE), ledger=UsageLedger()), spec, settings, dims, pools)
    saved = []
    killed = ChatModel(DiesAfter(ReplayTransport(F.CASSETTE), 2), ledger=UsageLedger())
    with pytest.raises(LLMError, match="killed"):
        generate(
            killed, spec, settings, dims, pools, checkpoint=lambda state: saved.append(json.loads(json.dumps(state)))
        )
    assert [state["call"] for state in saved] == [1, 2]
    ledger = UsageLedger()
    resumed = ChatModel(ReplayTransport(F.CASSETTE), ledger=ledger)  # no cache
    out = generate(resumed, spec, settings, dims, pools, resume=saved[-1])
    assert out["samples"] == full["samples"] and out["metrics"] == full["metrics"]
    assert ledger.total().calls == full["metrics"]["calls"] - 2
    with pytest.raises(StepError, match="saved state is of other settings"):
        generate(resumed, spec, replace(settings, n_sentences=5), dims, pools, resume=saved[-1])


def test_a_state_saved_by_an_older_package_resumes_and_names_the_new_setting(inputs):
    """A state saved before `script_filter` existed goes on with the value given now (named in the warnings);
    the answer budget is no part of a run's identity; a setting the state has, changed, still refuses."""
    spec, dims, pools = inputs
    settings = replace(F.GENERATE_XY, batch=1)
    saved = []
    killed = ChatModel(DiesAfter(ReplayTransport(F.CASSETTE), 2), ledger=UsageLedger())
    with pytest.raises(LLMError, match="killed"):
        generate(
            killed, spec, settings, dims, pools, checkpoint=lambda state: saved.append(json.loads(json.dumps(state)))
        )
    old = copy.deepcopy(saved[-1])
    del old["settings"]["script_filter"]
    old["settings"]["tokens_per_sentence"] = 60
    full = generate(ChatModel(ReplayTransport(F.CASSETTE), ledger=UsageLedger()), spec, settings, dims, pools)
    out = generate(
        ChatModel(ReplayTransport(F.CASSETTE), ledger=UsageLedger()), spec, settings, dims, pools, resume=old
    )
    assert out["samples"] == full["samples"]
    named = "resumed a state saved before script_filter=True existed: it applies from call 2"
    assert named in out["metrics"]["warnings"]["first"]
    off = generate(
        ChatModel(ReplayTransport(F.CASSETTE), ledger=UsageLedger()),
        *(spec, replace(settings, script_filter=False), dims, pools),
        resume=old,
    )
    assert "resumed a state saved before script_filter=False existed" in off["metrics"]["warnings"]["first"][-1]
    with pytest.raises(StepError, match="saved state is of other settings"):
        generate(killed, spec, replace(settings, max_demos=2), dims, pools, resume=old)


def test_a_checkpoint_killed_mid_write_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    """generate's state is written through a temporary file: a write cut short keeps the last good state."""
    from pathlib import Path

    from spacy_progner.files import write_json_atomic

    state = tmp_path / "generate.state.json"
    write_json_atomic(state, {"call": 8, "samples": ["a"]})

    def killed(self, text, encoding=None):
        with open(self, "w", encoding=encoding) as f:
            f.write(text[: len(text) // 2])
        raise KeyboardInterrupt  # the run is killed half way through the write

    monkeypatch.setattr(Path, "write_text", killed)
    try:
        write_json_atomic(state, {"call": 16, "samples": ["a", "b"]})
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert json.loads(state.read_text(encoding="utf8")) == {"call": 8, "samples": ["a"]}


def test_generate_in_legs_resumes_from_its_state_file_without_a_cache(inputs, tmp_path):
    """What the `generate` command runs: its state lies beside the output; a killed run goes on from it with
    no cache and no repeated call, the state file goes once the run is done, and the metrics count both legs."""
    from spacy_progner.proggen.checkpoint import generate_in_legs, state_path

    spec, dims, pools = inputs
    settings = replace(F.GENERATE_XY, batch=1)
    full = generate(ChatModel(ReplayTransport(F.CASSETTE), ledger=UsageLedger()), spec, settings, dims, pools)
    state = state_path(tmp_path / "corpus" / "generated.jsonl")
    assert state == tmp_path / "corpus" / "generated.state.json"
    killed = ChatModel(DiesAfter(ReplayTransport(F.CASSETTE), 2), ledger=UsageLedger())
    with pytest.raises(LLMError, match="killed"):
        generate_in_legs(killed, spec, settings, dims, pools, state)
    assert json.loads(state.read_text(encoding="utf8"))["call"] == 2
    ledger = UsageLedger()
    out = generate_in_legs(ChatModel(ReplayTransport(F.CASSETTE), ledger=ledger), spec, settings, dims, pools, state)
    assert out["samples"] == full["samples"] and not state.exists()
    assert ledger.total().calls == full["metrics"]["calls"] - 2
    assert out["metrics"]["earlier_legs"]["legs"] == 1 and out["metrics"]["earlier_legs"]["usage"]["calls"] == 2
