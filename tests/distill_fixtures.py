"""What the distillation tests replay. `python tests/record.py distill` records tests/cassettes/distill.jsonl
from the real embedded model by running these exact steps (all sentences written for this project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import reverse_ner_fixtures as RF
import srsly

from spacy_progner.distill.annotate import AnnotateSettings, annotate
from spacy_progner.proggen.correct import CorrectSettings, correct

ROOT = Path(__file__).resolve().parents[1]
CASSETTE = Path(__file__).parent / "cassettes" / "distill.jsonl"
DOMAIN = ROOT / "configs" / "domains" / "conll2003.yml"

# "Paris" and "Keller" occur twice, once inside a longer name: offsets must keep the labelled occurrence.
TEXTS = [
    "Paris Hilton flew from Paris to Lagos on Monday .",
    "Marta Keller said Keller Logistics would move its offices to Graz .",
    "Dynamo Ferrol signed striker Ivan Petrov from Atletico Lugo for two million euros .",
    "The council will meet again on Thursday to discuss the budget .",
    "Prime Minister Helga Norrby arrived in Oslo for talks with Nordic Air .",
    "Rain delayed the final between Ana Silva and Mia Chen in Melbourne .",
    "Shares in Vortex Labs rose 4 percent in Frankfurt after the results .",
    "Police in Cork arrested two men after the robbery at Harbour Bank .",
]
ANNOTATE = AnnotateSettings(logprobs=True, batch_size=4)
# A small corpus: a lax threshold and a large share, so correction prompts happen.
CORRECT = CorrectSettings(threshold=-0.001, max_share=0.5, spans_per_prompt=3)


def replay_model(mode: str = "replay") -> dict:
    inner = {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False} if mode == "record" else None
    return RF.replay_block(CASSETTE, mode=mode, inner=inner)


def pipeline(model: dict):
    """The reverse_ner tests' pipeline (its library replayed from their cassette) on `model`."""
    built = RF.make_nlp(RF.replay_block())
    built.get_pipe("reverse_ner").initialize(texts=RF.TASK_TEXTS)
    nlp = RF.make_nlp(model)
    nlp.get_pipe("reverse_ner").set_library(built.get_pipe("reverse_ner").library)
    return nlp


def rows():
    return [(f"line-{i}", t) for i, t in enumerate(TEXTS, 1)]


def run_all(nlp, spec):
    """annotate -> correct, as the tests replay them."""
    annotated = annotate(nlp, rows(), ANNOTATE)
    corrected = correct(nlp.get_pipe("reverse_ner").model, spec, annotated["samples"], CORRECT)
    return annotated, corrected


def pattern_corpus(n: int):
    """A hand-made corpus with fixed patterns (so students learn it) and one missed name per sentence."""
    people, towns = ["Anna Berg", "Omar Haddad", "Lena Ortiz", "Ivan Petrov"], ["Graz", "Lagos", "Oslo", "Cork"]
    out = []
    for i in range(n):
        p, t = people[i % 4], towns[(i // 4) % 4]
        sentence = f"{p} moved to {t} last year ."
        ents = [{"text": p, "label": "PER", "start": 0, "end": len(p)}]
        if i % 3:  # the "tagger" missed the town in a third of the sentences
            start = sentence.index(t)
            ents.append({"text": t, "label": "LOC", "start": start, "end": start + len(t)})
        out.append({"id": f"s{i}", "sentence": sentence, "entities": ents})
    return out


FIRST_PASS = 4  # texts the first pass tags; their sure labels join the library that tags the rest


def two_pass(tmp: Path, model: dict) -> Dict[str, Any]:
    """The distill workflow's two passes through the CLI, as the tests replay them (and `tests/record.py
    distill` records them): the first texts are annotated, their labels join the library (`add-demos`), and
    the larger library tags the other texts into one corpus (`annotate --keep`). Every first-pass label
    is marked as agreed, as `crosscheck` marks a label its student also found (it trains spaCy students, too
    slow here; its own tests cover it). Returns the paths and each command's result."""
    from typer.testing import CliRunner

    from spacy_progner.cli import app

    paths = {name: tmp / name for name in ("texts.txt", "model.json", "pipeline", "first.jsonl", "marked.jsonl")}
    paths.update({name: tmp / name for name in ("with-demos", "annotated.jsonl", "annotate.json", "demos.json")})
    paths["texts.txt"].write_text("\n".join(TEXTS), encoding="utf8")
    paths["model.json"].write_text(json.dumps(model), encoding="utf8")
    pipeline(model).to_disk(paths["pipeline"])
    runs = {}

    def cli(name: str, *args: Any) -> None:
        runs[name] = CliRunner().invoke(app, [str(a) for a in args])
        assert runs[name].exit_code == 0, runs[name].output

    cli("first", "annotate", paths["texts.txt"], paths["first.jsonl"], "--pipeline", paths["pipeline"],
        "--first-pass", FIRST_PASS, "--model", paths["model.json"], "--metrics", tmp / "first.json")  # fmt: skip
    marked = [
        {**x, "entities": [{**e, "agree": True} for e in x["entities"]]} for x in srsly.read_jsonl(paths["first.jsonl"])
    ]
    srsly.write_jsonl(paths["marked.jsonl"], marked)
    cli("add-demos", "add-demos", paths["pipeline"], paths["marked.jsonl"], paths["with-demos"],
        "--min-confidence", 0, "--metrics", paths["demos.json"])  # fmt: skip
    cli("second", "annotate", paths["texts.txt"], paths["annotated.jsonl"], "--pipeline", paths["with-demos"],
        "--keep", paths["first.jsonl"], "--model", paths["model.json"],
        "--metrics", paths["annotate.json"])  # fmt: skip
    return {"paths": paths, "runs": runs}
