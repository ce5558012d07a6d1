"""The demo workflow's first steps on the real embedded model, at a tiny size (about a minute or two)."""

from __future__ import annotations

import proggen_fixtures as F
import pytest

from spacy_progner.llm import UsageLedger
from spacy_progner.ner.align import find_occurrences
from spacy_progner.proggen.attributes import AttributeSettings, build_attributes, load_attributes
from spacy_progner.proggen.entities import EntitySettings, build_pools
from spacy_progner.proggen.generate import GenerateSettings, generate

pytestmark = pytest.mark.real_model


def test_demo_first_steps_on_the_embedded_model(local_model):
    local_model.ledger = UsageLedger()
    spec = F.spec()
    attrs = build_attributes(local_model, spec, AttributeSettings(n_dimensions=1, n_values=4, calls_per_dimension=1))
    dims = load_attributes(attrs["attributes"], "attributes")
    assert dims["topic"]["values"]
    pools = build_pools(
        local_model,
        spec,
        EntitySettings(n_per_call=4, calls_per_type=1, n_per_topic=3, max_topics=1),
        dims["topic"]["values"],
    )["pools"]
    assert all(pools["vanilla"][lab] for lab in spec.types)
    out = generate(
        local_model, spec, GenerateSettings(variant="diversify-x+y", n_sentences=3, max_calls=3), dims, pools
    )
    assert out["metrics"]["kept_sentences"] >= 1
    for x in out["samples"]:
        for e in x["entities"]:
            assert find_occurrences(x["sentence"], e["text"]) and e["label"] in spec.types
            assert e["logprob"] is not None
    assert local_model.ledger.total().calls >= 3
