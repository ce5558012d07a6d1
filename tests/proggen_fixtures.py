"""What the ProgGen tests replay. `python tests/record.py proggen` records the cassettes from the real embedded
model by running these exact steps; change a setting here and re-record (requests already recorded are kept)."""

from __future__ import annotations

from pathlib import Path

from spacy_progner.ner.domain import DomainSpec
from spacy_progner.proggen.attributes import AttributeSettings
from spacy_progner.proggen.correct import CorrectSettings
from spacy_progner.proggen.entities import EntitySettings
from spacy_progner.proggen.generate import GenerateSettings

ROOT = Path(__file__).resolve().parents[1]
CASSETTE = Path(__file__).parent / "cassettes" / "proggen_conll2003.jsonl"
DOMAIN = ROOT / "configs" / "domains" / "conll2003.yml"

# The demo workflow's first steps at smaller sizes (same seeds: the demo's cache answers most of them).
ATTRIBUTES = AttributeSettings(n_dimensions=2, n_values=6, calls_per_dimension=1)
ENTITIES = EntitySettings(n_per_call=8, calls_per_type=1, n_per_topic=4, max_topics=2)
GENERATE_XY = GenerateSettings(variant="diversify-x+y", n_sentences=12, seed=1)
GENERATE_SIMPLE = GenerateSettings(variant="simple", n_sentences=6, per_call=3)
# Small corpora have few annotations per type: a laxer threshold and a larger share, so prompts happen.
CORRECT = CorrectSettings(threshold=-0.01, max_share=0.5, spans_per_prompt=3)


def spec() -> DomainSpec:
    return DomainSpec.load(DOMAIN)


def run_all(model):
    """attributes -> entities -> generate (x+y and simple) -> correct (by log-prob alone, and with the pool
    types of the required names checked first), as the tests replay them."""
    from spacy_progner.proggen.attributes import build_attributes, load_attributes
    from spacy_progner.proggen.correct import correct
    from spacy_progner.proggen.entities import build_pools
    from spacy_progner.proggen.generate import generate

    s = spec()
    attrs = build_attributes(model, s, ATTRIBUTES)
    dims = load_attributes(attrs["attributes"], "attributes")
    pools = build_pools(model, s, ENTITIES, dims["topic"]["values"])
    xy = generate(model, s, GENERATE_XY, dims, pools["pools"])
    simple = generate(model, s, GENERATE_SIMPLE)
    corrected = correct(model, s, xy["samples"], CORRECT)
    pool_checked = correct(model, s, xy["samples"], CORRECT, pools=pools["pools"])
    return {
        "attributes": attrs,
        "dims": dims,
        "pools": pools,
        "xy": xy,
        "simple": simple,
        "corrected": corrected,
        "pool_checked": pool_checked,
    }


def replayed_run() -> dict:
    """Every ProgGen step on the replayed cassette, with the ledger that booked them (`run` fixtures)."""
    from spacy_progner.llm import UsageLedger, make_replay

    model = make_replay(str(CASSETTE))
    model.ledger = UsageLedger()
    out = run_all(model)
    out["ledger"] = model.ledger
    return out
