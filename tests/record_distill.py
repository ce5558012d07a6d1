"""Record tests/cassettes/distill.jsonl from the real embedded model: `python tests/record_distill.py`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import distill_fixtures as F  # noqa: E402

from spacy_progner.ner.domain import DomainSpec  # noqa: E402


def main() -> None:
    annotated, corrected = F.run_all(F.pipeline(F.replay_model("record")), DomainSpec.load(F.DOMAIN))
    for sample in annotated["samples"]:
        print(sample["sentence"], [(e["text"], e["label"], e["start"], e["logprob"]) for e in sample["entities"]])
    print(corrected["metrics"]["choices"], corrected["metrics"]["outcomes"])


if __name__ == "__main__":
    main()
