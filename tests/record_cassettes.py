"""Record the test cassettes from the real embedded model: `python tests/record_cassettes.py`.

Requests already in a cassette are kept; only new ones go to the model.
"""

from __future__ import annotations

from pathlib import Path

import spacy

from spacy_progner.llm import make_local_gguf, make_replay

HERE = Path(__file__).parent


def main() -> None:
    import llm_requests as R

    local = make_local_gguf(cache=False)
    recorder = make_replay(str(HERE / R.CASSETTE), mode="record", model=local)
    reqs = R.all_requests()
    flat = reqs["ner"] + [reqs["logprobs"], reqs["sampled"], reqs["truncated"], reqs["cut_off"]]
    recorder.chat_many(flat, progress="recording llm_layer")
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "llm",
        config=R.ner_v3_config(
            {
                "@llm_models": "spacy_progner.Replay.v1",
                "path": str(HERE / R.NER_V3_CASSETTE),
                "mode": "record",
                "model": {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False},
            }
        ),
    )
    for doc in nlp.pipe(R.NER_V3_SENTENCES):
        print(doc.text, [(e.text, e.label_) for e in doc.ents])


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    main()
