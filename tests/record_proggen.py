"""Record the ProgGen cassette from the real embedded model: `python tests/record_proggen.py [--cache-path P]`.

Requests already in the cassette are kept; new ones go to the model (through the LLM cache, so
whatever the demo workflow already asked with the same seeds costs nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    sys.path.insert(0, str(HERE))
    import proggen_fixtures as F

    from spacy_progner.llm import make_local_gguf, make_replay

    parser = argparse.ArgumentParser()
    parser.add_argument("--cache-path", default=str(HERE.parent / ".cache" / "llm-cache.sqlite"))
    args = parser.parse_args()
    local = make_local_gguf(cache_path=args.cache_path)
    recorder = make_replay(str(F.CASSETTE), mode="record", model=local)
    out = F.run_all(recorder)
    for x in out["xy"]["samples"] + out["simple"]["samples"]:
        print(x["sentence"], [(e["text"], e["label"], e["logprob"]) for e in x["entities"]])
    print(json.dumps(out["corrected"]["metrics"], indent=1))
    print(json.dumps(recorder.ledger.to_dict(), indent=1))


if __name__ == "__main__":
    main()
