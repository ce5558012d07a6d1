"""Requests the LLM-layer tests replay. The cassette was recorded from the real embedded model
by `python tests/record.py llm`; change a request here and re-record, or replay misses."""

from __future__ import annotations

from spacy_progner.llm import ChatRequest

CASSETTE = "cassettes/llm_layer.jsonl"
NER_V3_CASSETTE = "cassettes/spacy_ner_v3.jsonl"

# Sentences written for this project (never copied from an evaluation set).
SENTENCES = [
    "Maria Lopez flew from Lisbon to Toronto to meet the board of Northwind Robotics.",
    "The city council of Graz approved the plan that Peter Hausner presented on Monday.",
    "Kenji Watanabe left Osaka Gas in 2019 and joined the Red Cross in Nairobi.",
]
LABELS = {
    "PER": "a person's name",
    "ORG": "a company, institution or other organisation",
    "LOC": "a place: city, country, region, river",
}
SCHEMA = {
    "type": "object",
    "properties": {
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "label": {"type": "string", "enum": list(LABELS)}},
                "required": ["text", "label"],
            },
        }
    },
    "required": ["entities"],
}
SYSTEM = "Extract named entities. Types:\n" + "\n".join(f"{k}: {v}" for k, v in LABELS.items())


def ner_request(sentence: str, **kwargs) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": sentence}],
        json_schema=SCHEMA,
        max_tokens=kwargs.pop("max_tokens", 200),
        **kwargs,
    )


def all_requests() -> dict:
    """Named requests: plain NER, with log-probs, sampled (n=3), and two cut short by max_tokens
    (one before its first item is complete, one after some are)."""
    return {
        "ner": [ner_request(s) for s in SENTENCES],
        "logprobs": ner_request(SENTENCES[0], logprobs=True),
        "sampled": ner_request(SENTENCES[2], n=3, temperature=0.9, seed=11),
        "truncated": ner_request(SENTENCES[1], max_tokens=6),
        "cut_off": ner_request(SENTENCES[2], max_tokens=40),
    }


NER_V3_SENTENCES = SENTENCES[:2]


def ner_v3_config(model_block: dict) -> dict:
    return {"task": {"@llm_tasks": "spacy.NER.v3", "labels": list(LABELS)}, "model": model_block, "save_io": True}
