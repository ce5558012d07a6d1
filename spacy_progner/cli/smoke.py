"""`smoke`: the small end-to-end job on the embedded default model.

It runs the same sentences through (1) the LLM layer with the project's zero-shot
JSON-schema NER prompt (reverse_ner with k = 0) and (2) spacy-llm's built-in
`spacy.NER.v3` task on the same model, and writes
what it found and what it cost to a metrics JSON.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import spacy
import typer
from wasabi import msg

from ..llm import make_local_gguf
from ..ner import AnswerError, LabelSet, entity_answer
from ..reverse_ner.prompts import ner_request
from ._app import CACHE, MODEL, app, friendly_errors, gguf_path, write_metrics

# Written for this project (not taken from any dataset).
SENTENCES = [
    "Maria Lopez flew from Lisbon to Toronto to meet the board of Northwind Robotics.",
    "The city council of Graz approved the plan that Peter Hausner presented on Monday.",
]
LABELS = LabelSet(
    {
        "PER": "the name of a person",
        "ORG": "the name of a company, institution or other organisation",
        "LOC": "the name of a place: city, country, region, river",
    }
)


@app.command("smoke")
@friendly_errors
def smoke_cli(
    output: Path = typer.Option(Path("metrics/smoke.json"), "--output", "-o", help="Metrics JSON to write."),
    model: str = MODEL,
    cache_path: Optional[str] = CACHE,
) -> None:
    """Run a few sentences through the embedded model: JSON-schema NER and spacy-llm's spacy.NER.v3."""
    start = time.perf_counter()
    model_path = gguf_path(model, "smoke")
    llm = make_local_gguf(model_path=model_path, cache_path=cache_path)
    with llm.ledger.step("json-schema"):
        results = llm.chat_many([ner_request(LABELS, s) for s in SENTENCES], progress="json-schema NER")
    found: List[dict] = []
    for sentence, result in zip(SENTENCES, results):
        try:
            ents = entity_answer(result.choices[0], LABELS, sentence)
        except AnswerError as err:
            ents = []
            msg.warn(str(err))
        found.append({"sentence": sentence, "json_schema": [{"text": t, "label": lab} for t, lab in ents]})
        msg.text(f"{sentence}\n  JSON schema: " + ", ".join(f"{t} [{lab}]" for t, lab in ents))

    nlp = spacy.blank("en")
    nlp.add_pipe(
        "llm",
        config={
            "task": {"@llm_tasks": "spacy.NER.v3", "labels": list(LABELS), "label_definitions": LABELS.to_dict()},
            "model": {"@llm_models": "spacy_progner.LocalGGUF.v1", "model_path": model_path, "cache_path": cache_path},
            "save_io": False,
        },
    )
    with llm.ledger.step("spacy.NER.v3"):  # one process-wide ledger books both
        docs = list(nlp.pipe(SENTENCES))
    for item, doc in zip(found, docs):
        item["spacy_ner_v3"] = [{"text": e.text, "label": e.label_} for e in doc.ents]
        msg.text(f"{doc.text}\n  spacy.NER.v3: " + ", ".join(f"{e.text} [{e.label_}]" for e in doc.ents))
    write_metrics(
        output, {"sentences": found, "usage": llm.ledger.to_dict(), "seconds": round(time.perf_counter() - start, 2)}
    )
