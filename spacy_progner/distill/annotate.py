"""`annotate`: a `reverse_ner` pipeline labels a texts file and writes the sample format that
`correct`, `to-docbin` and `report` read, with character offsets and a confidence per entity.

Every answer goes through the LLM cache, so a killed run resumes by replaying what it has and asking
only for the rest. `annotate` holds the corpus in memory; `annotate_stream` appends each sample to the
output as it is tagged, skips on a rerun the ids already written, and puts the file in input order at
the end, so no text is lost or written twice even without the cache.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm
from wasabi import msg

from ..errors import ProgNERError
from ..files import sha256_file, write_json_atomic
from ..llm.protocol import canonical_json, sha256_hex
from ..reverse_ner.component import ReverseNER
from ..scale import shards

LONG_TEXT_WORDS = 2000  # a text this long is tagged sentence by sentence: warn, it costs many calls


class AnnotateError(ProgNERError, ValueError):
    """The pipeline or the texts cannot be annotated; the message names the place."""


@dataclass
class AnnotateSettings:
    # ask for token log-probs: each entity's `logprob`, a confidence without extra calls where the
    # transport gives them (llama.cpp, vLLM, OpenAI); others leave it null
    logprobs: bool = True
    batch_size: int = 32  # texts per tagging batch (the model sees a batch's sentences at once)
    # samples of an earlier pass of the same texts (a JSONL corpus `annotate` wrote, e.g. before `add-demos`
    # enlarged the library): copied into the output as they are, their texts not tagged again
    keep: Optional[str] = None


def tagger_pipe(nlp: Language, where: str) -> ReverseNER:
    """The pipeline's `reverse_ner` component, with its library (k = 0 needs none)."""
    pipes = [pipe for _, pipe in nlp.pipeline if isinstance(pipe, ReverseNER)]
    if not pipes:
        raise AnnotateError(f"{where}: the pipeline has no reverse_ner component (pipes: {nlp.pipe_names})")
    pipe = pipes[0]
    if pipe.tagger.s.k > 0 and (pipe.library is None or not len(pipe.library)):
        raise AnnotateError(
            f"{where}: the reverse_ner component has no example library (no {pipe.name}/library folder); "
            "build the pipeline with `build-pipeline`, or give a domain spec and texts to build one"
        )
    return pipe


def check_texts(nlp: Language, texts: Sequence[Tuple[str, str]], where: str) -> Counter:
    """Fail on a text spaCy cannot hold; count (and warn about) very long ones."""
    counts: Counter = Counter()
    for text_id, text in texts:
        if len(text) > nlp.max_length:
            raise AnnotateError(
                f"{where}, {text_id}: {len(text):,} characters, more than the pipeline's max_length "
                f"({nlp.max_length:,}); split the text into several lines"
            )
        words = len(text.split())
        if words > LONG_TEXT_WORDS:
            counts["long_texts"] += 1
            msg.warn(f"{where}, {text_id}: {words:,} words; tagged sentence by sentence (many model calls)")
    return counts


def iter_samples(
    nlp: Language, texts: Sequence[Tuple[str, str]], settings: Optional[AnnotateSettings] = None
) -> Iterator[Dict[str, Any]]:
    """The sample of each (id, text), in order, as soon as its batch is tagged: what both the in-memory
    and the streaming paths (and each Ray worker) write."""
    s = settings or AnnotateSettings()
    pipe = tagger_pipe(nlp, "annotate")
    with run_settings(pipe, s):
        docs = nlp.pipe([text for _, text in texts], batch_size=s.batch_size)
        for (text_id, _), doc in zip(texts, tqdm(docs, total=len(texts), desc="annotate", unit="text")):
            yield {"id": text_id, "sentence": doc.text, "entities": entities_of(doc, pipe.name)}


@contextmanager
def run_settings(pipe: ReverseNER, settings: AnnotateSettings) -> Iterator[None]:
    """The tagger asks for log-probs as `settings` say for this run only (the saved pipe is unchanged)."""
    before = pipe.tagger.s
    pipe.tagger.s = replace(before, logprobs=settings.logprobs)
    try:
        yield
    finally:
        pipe.tagger.s = before


def sample_counts(samples: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """Texts, entities and entities per type of a corpus (read once, so it may be a stream)."""
    per_type: Counter = Counter()
    texts = empty = with_logprob = 0
    for sample in samples:
        texts += 1
        empty += not sample["entities"]
        per_type.update(e["label"] for e in sample["entities"])
        with_logprob += sum(e["logprob"] is not None for e in sample["entities"])
    return {
        "texts": texts,
        "texts_without_entities": empty,
        "entities": sum(per_type.values()),
        "entities_per_type": dict(sorted(per_type.items())),
        "entities_with_logprob": with_logprob,
    }


def tagger_metrics(pipe: ReverseNER, stats: Dict[str, int], seconds: float) -> Dict[str, Any]:
    """What the tagger did in this run (its answer statistics); warns about cut-off answers."""
    if stats.get("cut_off_items_kept"):
        msg.warn(
            f"annotate: {stats['cut_off_items_kept']} answers were cut off at max_tokens "
            "(they kept their complete items)"
        )
    return {
        "tagger": dict(stats),
        "k": pipe.tagger.s.k,
        "library_examples": len(pipe.library) if pipe.library is not None else 0,
        "tag_seconds": round(seconds, 2),
    }


def annotate(
    nlp: Language, texts: Sequence[Tuple[str, str]], settings: Optional[AnnotateSettings] = None, where: str = "texts"
) -> Dict[str, Any]:
    """Samples {"id", "sentence", "entities": [{"text", "label", "start", "end", "score", "logprob",
    "confidence"}]} for (id, text) pairs, and metrics (counts, the tagger's answer statistics).
    Holds the corpus in memory; `annotate_stream` writes it to a file as it goes."""
    pipe = tagger_pipe(nlp, "annotate")
    counts = check_texts(nlp, texts, where)
    start = time.perf_counter()
    samples = list(iter_samples(nlp, texts, settings))
    tagging = tagger_metrics(pipe, pipe.tagger.stats, time.perf_counter() - start)
    return {"samples": samples, "metrics": {**sample_counts(samples), **counts, **tagging}}


def annotate_stream(
    nlp: Language,
    texts: Sequence[Tuple[str, str]],
    output: Union[str, Path],
    settings: Optional[AnnotateSettings] = None,
    where: str = "texts",
    tag: Optional[Callable[..., Iterator[Dict[str, Any]]]] = None,
) -> Dict[str, Any]:
    """`annotate`, each sample appended to `output` (flushed) as it is tagged; memory does not grow with the
    corpus. A rerun skips every id already in `output` (resume without the LLM cache); at the end `output`
    is rewritten once in input order, identical to what `annotate` returns. Returns the metrics. `tag`
    (default `iter_samples`) may leave out texts it cannot tag: they are counted as `not_tagged`."""
    output = Path(output)
    pipe = tagger_pipe(nlp, "annotate")
    counts = check_texts(nlp, texts, where)
    settings = settings or AnnotateSettings()
    claim_output(output, tagging_fingerprint(pipe, settings))
    present, _ = shards.scan([output])
    shards.check_against(present, texts, f"output {output}", "sentence")
    kept = keep_earlier(output, settings.keep, texts, present)
    done = shards.scan([output])[0] if kept else present
    todo = [(text_id, text) for text_id, text in texts if text_id not in done]
    if done:
        msg.info(f"annotate: {len(done)} texts already in {output}; tagging the other {len(todo)}")
    stats_before = Counter(pipe.tagger.stats)
    start = time.perf_counter()
    with shards.ShardWriter(output) as writer:
        for sample in (tag or iter_samples)(nlp, todo, settings):
            writer.write(sample)
    seconds = time.perf_counter() - start
    index, _ = shards.scan([output])
    ids = [text_id for text_id, _ in texts if text_id in index]
    shards.merge(index, ids, output)
    stats = dict(Counter(pipe.tagger.stats) - stats_before)
    written = sample_counts(row for _, _, _, row in shards.iter_lines(output))
    extra = {"not_tagged": len(texts) - len(ids)} if len(ids) < len(texts) else {}
    resumed = {"resumed": len(done) - kept, **({"kept": kept} if settings.keep else {})}
    return {**written, **counts, **resumed, **extra, **tagger_metrics(pipe, stats, seconds)}


def keep_earlier(
    output: Path, keep: Optional[str], texts: Sequence[Tuple[str, str]], written: Dict[str, shards.Loc]
) -> int:
    """Append to `output` the samples of an earlier pass (`keep`) that are not `written` yet (the caller's
    index of the output, checked against the texts); how many. Why: a long run tags a first share, lets
    the texts it labelled surely join the library (`add-demos`), and tags the rest with the larger library
    into one corpus, without paying for the first share twice."""
    if not keep:
        return 0
    path = Path(keep)
    if not path.is_file():
        raise AnnotateError(f"--keep {keep}: no such file (the corpus of the earlier pass)")
    wanted = {text_id for text_id, _ in texts}  # a first pass longer than this run's --limit keeps its share
    earlier = {text_id: loc for text_id, loc in shards.scan([path])[0].items() if text_id in wanted}
    shards.check_against(earlier, texts, f"--keep {keep}", "sentence")
    new = [text_id for text_id in earlier if text_id not in written]
    with shards.ShardWriter(output) as writer:
        for row in shards.read_rows(earlier, new):
            writer.write(row)
    if new:
        msg.info(f"annotate: kept {len(new)} texts of the earlier pass {keep} as they are")
    return len(new)


def tagging_fingerprint(pipe: ReverseNER, settings: AnnotateSettings) -> str:
    """What decides the tagger's questions: labels, domain, tag settings and the example library, and the
    earlier pass's samples it keeps. A resumed run must ask the same questions as the run whose samples it
    keeps."""
    library = pipe.library
    data = {
        "labels": list(pipe.label_set),
        "domain": pipe.tagger.domain,
        "tag": {**asdict(pipe.tagger.s), "logprobs": settings.logprobs},
        "library": [library.examples, library.features] if library is not None else None,
    }
    if settings.keep and Path(settings.keep).is_file():  # only then: the fingerprints of other runs stay as they were
        data["keep"] = sha256_file(Path(settings.keep))
    return sha256_hex(canonical_json(data))


def claim_output(output: Path, fingerprint: str) -> None:
    """Record which tagging writes `output` (`OUTPUT.run.json`), refusing an output that another pipeline or
    other settings began: resuming it would mix two taggers' samples in one corpus."""
    record = output.with_name(output.name + ".run.json")
    if output.exists() and record.is_file():
        before = json.loads(record.read_text(encoding="utf8")).get("fingerprint")
        if before != fingerprint:
            raise AnnotateError(
                f"{output} was written by another pipeline, other tag settings or another --keep corpus "
                f"({record} differs); "
                "move it away, or delete it to annotate again"
            )
    output.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(record, {"fingerprint": fingerprint})


def entities_of(doc: Doc, group: str) -> List[Dict[str, Any]]:
    """The doc's entities with character offsets and their tagger scores (share of samples, mean token
    log-prob). `confidence` is exp(logprob) where there is one, else the share of samples."""
    spans = doc.spans[group] if group in doc.spans else None
    scores = {}
    if spans is not None:
        lps = spans.attrs.get("logprobs") or [None] * len(spans)
        for span, score, lp in zip(spans, spans.attrs.get("scores", []), lps):
            scores[(span.start, span.end, span.label_)] = (score, lp)
    out = []
    for ent in doc.ents:
        score, lp = scores.get((ent.start, ent.end, ent.label_), (1.0, None))
        out.append(
            {
                "text": ent.text,
                "label": ent.label_,
                "start": ent.start_char,
                "end": ent.end_char,
                "score": round(score, 4),
                "logprob": lp,
                "confidence": round(math.exp(lp), 4) if lp is not None else round(score, 4),
            }
        )
    return out
