"""Record the test cassettes from the real embedded model:
`python tests/record.py [llm|reverse_ner|forms|other|selfcheck|proggen|distill|all]`.

Each part runs exactly the steps its tests replay (from the *_fixtures.py modules); requests already in a
cassette are kept and only new ones go to the model. Re-record a part after changing what it asks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import srsly

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

LOCAL = {"@llm_models": "spacy_progner.LocalGGUF.v1", "cache": False}


def record_llm() -> None:
    import llm_requests as R
    import spacy

    from spacy_progner.llm import make_local_gguf, make_replay

    recorder = make_replay(str(HERE / R.CASSETTE), mode="record", model=make_local_gguf(cache=False))
    reqs = R.all_requests()
    flat = reqs["ner"] + [reqs["logprobs"], reqs["sampled"], reqs["truncated"], reqs["cut_off"]]
    recorder.chat_many(flat, progress="recording llm_layer")
    nlp = spacy.blank("en")
    block = {"@llm_models": "spacy_progner.Replay.v1", "path": str(HERE / R.NER_V3_CASSETTE), "mode": "record"}
    nlp.add_pipe("llm", config=R.ner_v3_config({**block, "model": LOCAL}))
    for doc in nlp.pipe(R.NER_V3_SENTENCES):
        print(doc.text, [(e.text, e.label_) for e in doc.ents])


def record_reverse_ner() -> None:
    import reverse_ner_fixtures as F

    nlp = F.make_nlp(F.replay_block(mode="record", inner=LOCAL))
    nlp.get_pipe("reverse_ner").initialize(texts=F.TASK_TEXTS)
    for doc in nlp.pipe(F.TAG_TEXTS):
        print(doc.text, [(e.text, e.label_) for e in doc.ents])
    sampled = F.make_nlp(F.replay_block(mode="record", inner=LOCAL), n_samples=3)
    sampled.get_pipe("reverse_ner").set_library(nlp.get_pipe("reverse_ner").library)
    for doc in sampled.pipe(F.TAG_TEXTS[:2]):
        print(doc.text, [(e.text, e.label_) for e in doc.ents], doc.spans["reverse_ner"].attrs["scores"])
    record_many_types()
    record_forms(nlp.get_pipe("reverse_ner").library)
    with tempfile.TemporaryDirectory() as tmp:
        nlp.get_pipe("reverse_ner").library.to_disk(tmp)
        task_nlp = F.make_task_nlp(tmp, F.replay_block(F.TASK_CASSETTE, mode="record", inner=LOCAL))
        for doc in task_nlp.pipe(F.TAG_TEXTS):
            print("task:", doc.text, [(e.text, e.label_) for e in doc.ents])


def record_forms(library=None) -> None:
    """The compact answer forms (by_type, pairs) on the recorded library (replayed when not given)."""
    import reverse_ner_fixtures as F

    if library is None:
        built = F.make_nlp(F.replay_block())
        built.get_pipe("reverse_ner").initialize(texts=F.TASK_TEXTS)
        library = built.get_pipe("reverse_ner").library
    for form in ("by_type", "pairs"):
        nlp = F.form_nlp(F.replay_block(mode="record", inner=LOCAL), library, form)
        for doc in nlp.pipe(F.TAG_TEXTS):
            print(
                f"{form}:", doc.text, [(e.text, e.label_) for e in doc.ents], doc.spans["reverse_ner"].attrs["logprobs"]
            )
        grouped = F.form_nlp(F.replay_block(mode="record", inner=LOCAL), library, form, group_size=F.GROUP_SIZE)
        for doc in grouped.pipe(F.TAG_TEXTS):
            print(f"{form} grouped:", doc.text, [(e.text, e.label_) for e in doc.ents])


def record_many_types() -> None:
    import reverse_ner_fixtures as F

    from spacy_progner.llm import make_local_gguf
    from spacy_progner.ner import LabelSet
    from spacy_progner.reverse_ner import prompts

    recorder = F.many_types_model("record", make_local_gguf(cache=False))
    builder, library = F.build_many(recorder)
    print(json.dumps(library.meta["counts"], indent=1))
    print("given up, kept:", [ex["sentence"] for ex in F.check_given_up(builder, library.meta["pools"])])
    [result] = recorder.chat_many([F.cut_off_request()])
    print("cut off:", result.choices[0].truncated, result.choices[0].text)
    [result] = recorder.chat_many([prompts.check_request(LabelSet(F.MUSIC_LABELS), F.LONG_CHECK_SENTENCE)])
    print("long check:", result.usage.completion_tokens, result.choices[0].truncated, result.choices[0].text)


def record_other() -> None:
    """The same texts tagged with and without the OTHER outlet, and zero-shot with the kind check."""
    import reverse_ner_fixtures as F

    runs = ((False, 0, False), (True, 0, False), (True, 2, False), (False, 0, True), (True, 2, True))
    for other_names, k, kinds in runs:
        nlp = F.other_nlp(F.replay_block(F.OTHER_CASSETTE, mode="record", inner=LOCAL), other_names, k, kinds)
        for doc in nlp.pipe(F.OTHER_TEXTS):
            found = [(e.text, e.label_) for e in doc.ents]
            print(f"other_names={other_names} k={k} kind_check={kinds}:", doc.text, found)
        pipe = nlp.get_pipe("reverse_ner")
        print(dict(pipe.tagger.stats), pipe.library and pipe.library.meta["pools"])
    from spacy_progner.llm import make_local_gguf

    print("outlet pool by kind:", F.outlet_by_kind({"mode": "record", "model": make_local_gguf(cache=False)}))


def record_selfcheck() -> None:
    """`check-build` on the recorded library: each example tagged with the other examples as demos."""
    import reverse_ner_fixtures as F

    from spacy_progner.llm import make_local_gguf
    from spacy_progner.reverse_ner.selfcheck import SelfCheckSettings, self_check

    nlp = F.selfcheck_nlp("record", make_local_gguf(cache=False))
    print(json.dumps(self_check(nlp.get_pipe("reverse_ner").tagger, SelfCheckSettings()), indent=1))


def record_proggen(cache_path: str) -> None:
    """Through the LLM cache: whatever the demo workflow already asked with the same seeds costs nothing."""
    import proggen_fixtures as F

    from spacy_progner.llm import make_local_gguf, make_replay

    recorder = make_replay(str(F.CASSETTE), mode="record", model=make_local_gguf(cache_path=cache_path))
    out = F.run_all(recorder)
    print("answers no longer asked for, dropped:", recorder.transport.prune_unused())
    for x in out["xy"]["samples"] + out["simple"]["samples"]:
        print(x["sentence"], [(e["text"], e["label"], e["logprob"]) for e in x["entities"]])
    print(json.dumps(out["corrected"]["metrics"], indent=1))


def record_distill() -> None:
    import distill_fixtures as F

    from spacy_progner.ner.domain import DomainSpec

    annotated, corrected = F.run_all(F.pipeline(F.replay_model("record")), DomainSpec.load(F.DOMAIN))
    for sample in annotated["samples"]:
        print(sample["sentence"], [(e["text"], e["label"], e["start"], e["logprob"]) for e in sample["entities"]])
    print(corrected["metrics"]["choices"], corrected["metrics"]["outcomes"])
    with tempfile.TemporaryDirectory() as tmp:
        passes = F.two_pass(Path(tmp), F.replay_model("record"))
        for line in srsly.read_jsonl(passes["paths"]["annotated.jsonl"]):
            print("two passes:", line["sentence"], [(e["text"], e["label"]) for e in line["entities"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "part",
        nargs="?",
        default="all",
        choices=["llm", "reverse_ner", "forms", "other", "selfcheck", "proggen", "distill", "all"],
    )
    parser.add_argument("--cache-path", default=str(HERE.parent / ".cache" / "llm-cache.sqlite"), help="proggen only")
    args = parser.parse_args()
    parts = {
        "llm": record_llm,
        "reverse_ner": record_reverse_ner,
        "forms": record_forms,
        "other": record_other,
        "selfcheck": record_selfcheck,
        "proggen": lambda: record_proggen(args.cache_path),
        "distill": record_distill,
    }
    for name, record in parts.items():
        if args.part in (name, "all"):
            print(f"--- recording {name}")
            record()


if __name__ == "__main__":
    main()
