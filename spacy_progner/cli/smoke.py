"""`smoke`: the small end-to-end job on the embedded default model.

It runs the same sentences through (1) the LLM layer with a JSON-schema answer
and (2) spacy-llm's built-in `spacy.NER.v3` task on the same model, and writes
what it found and what it cost to a metrics JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import spacy
import typer
from wasabi import msg

from ..llm import ChatRequest, make_local_gguf
from ._app import app, friendly_errors, write_metrics

# Written for this project (not taken from any dataset).
SENTENCES = [
    "Maria Lopez flew from Lisbon to Toronto to meet the board of Northwind Robotics.",
    "The city council of Graz approved the plan that Peter Hausner presented on Monday.",
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


def json_ner_request(sentence: str) -> ChatRequest:
    defs = "\n".join(f"{k}: {v}" for k, v in LABELS.items())
    return ChatRequest(
        messages=[
            {
                "role": "system",
                "content": f"Extract named entities. Types:\n{defs}\n"
                "Copy each entity's text exactly. Answer compact JSON.",
            },
            {"role": "user", "content": sentence},
        ],
        max_tokens=200,
        json_schema=SCHEMA,
    )


@app.command("smoke")
@friendly_errors
def smoke_cli(
    output: Path = typer.Option(Path("metrics/smoke.json"), "--output", "-o", help="Metrics JSON to write."),
    model_path: Optional[str] = typer.Option(None, help="Another GGUF file instead of the embedded default."),
    cache_path: Optional[str] = typer.Option(None, help="LLM cache file (default: user cache dir)."),
) -> None:
    """Run a few sentences through the embedded model: JSON-schema NER and spacy-llm's spacy.NER.v3."""
    start = time.perf_counter()
    model = make_local_gguf(model_path=model_path, cache_path=cache_path)
    with model.ledger.step("json-schema"):
        results = model.chat_many([json_ner_request(s) for s in SENTENCES], progress="json-schema NER")
    found: List[dict] = []
    for sentence, result in zip(SENTENCES, results):
        try:
            ents = json.loads(result.text)["entities"]
        except (ValueError, KeyError, TypeError):
            ents = []
            msg.warn(f"Unparseable answer for {sentence!r}: {result.text[:80]!r}")
        found.append({"sentence": sentence, "json_schema": ents})
        msg.text(f"{sentence}\n  JSON schema: " + ", ".join(f"{e['text']} [{e['label']}]" for e in ents))

    nlp = spacy.blank("en")
    nlp.add_pipe(
        "llm",
        config={
            "task": {"@llm_tasks": "spacy.NER.v3", "labels": list(LABELS)},
            "model": {"@llm_models": "spacy_progner.LocalGGUF.v1", "model_path": model_path, "cache_path": cache_path},
            "save_io": False,
        },
    )
    with model.ledger.step("spacy.NER.v3"):  # one process-wide ledger books both
        docs = list(nlp.pipe(SENTENCES))
    for item, doc in zip(found, docs):
        item["spacy_ner_v3"] = [{"text": e.text, "label": e.label_} for e in doc.ents]
        msg.text(f"{doc.text}\n  spacy.NER.v3: " + ", ".join(f"{e.text} [{e.label_}]" for e in doc.ents))
    write_metrics(
        output, {"sentences": found, "usage": model.ledger.to_dict(), "seconds": round(time.perf_counter() - start, 2)}
    )
