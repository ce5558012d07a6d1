"""Record tests/cassettes/reverse_ner.jsonl from the real embedded model: `python tests/record_reverse_ner.py`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import reverse_ner_fixtures as F  # noqa: E402


def main() -> None:
    local = {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False}
    nlp = F.make_nlp(F.replay_block(mode="record", inner=local))
    nlp.get_pipe("reverse_ner").initialize(texts=F.TASK_TEXTS)
    for doc in nlp.pipe(F.TAG_TEXTS):
        print(doc.text, [(e.text, e.label_) for e in doc.ents])
    sampled = F.make_nlp(F.replay_block(mode="record", inner=local), n_samples=3)
    sampled.get_pipe("reverse_ner").set_library(nlp.get_pipe("reverse_ner").library)
    for doc in sampled.pipe(F.TAG_TEXTS[:2]):
        print(doc.text, [(e.text, e.label_) for e in doc.ents], doc.spans["reverse_ner"].attrs["scores"])
    with tempfile.TemporaryDirectory() as tmp:
        nlp.get_pipe("reverse_ner").library.to_disk(tmp)
        task_nlp = F.make_task_nlp(tmp, F.replay_block(F.TASK_CASSETTE, mode="record", inner=local))
        for doc in task_nlp.pipe(F.TAG_TEXTS):
            print("task:", doc.text, [(e.text, e.label_) for e in doc.ents])


if __name__ == "__main__":
    main()
