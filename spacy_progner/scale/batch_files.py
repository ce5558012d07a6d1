"""OpenAI batch files: every request of an `annotate` run written out, and a finished batch read back.

Why: hosted batch APIs answer at about half the price, and vLLM's `run_batch` reads the same format, so
a large corpus can be tagged with no live connection at all. The requests are the ones the live path
sends, caught where the tagger hands them to its model (so `n` samples, several sentences per text and
grouped prompts are all covered: one line per single-sample call); the answers go back through the
same response parser and the same tagger, so the corpus equals the live path's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.util import minibatch

from ..distill.annotate import AnnotateError, AnnotateSettings, iter_samples, run_settings, tagger_pipe
from ..files import write_jsonl
from ..llm import ChatModel, ChatRequest, Choice, LLMError, Usage, UsageLedger
from ..llm.protocol import parse_openai_response

URL = "/v1/chat/completions"
HASH_CHARS = 16  # of the request hash in a custom_id: unique enough, short enough for any batch API


def custom_id(text_id: str, request: ChatRequest) -> str:
    return f"{text_id}:{request.key()[:HASH_CHARS]}"


def request_hash(cid: str) -> Optional[str]:
    """The request hash of a custom_id written by `write_requests` (None if it is not one)."""
    head, sep, tail = cid.rpartition(":")
    return tail if sep and head and len(tail) == HASH_CHARS else None


# --- writing the requests -------------------------------------------------------------------------------


class _Captured(Exception):
    """Raised by CaptureModel once it holds a batch's requests: nothing is answered."""


class _NoTransport:
    name, max_concurrency, context_length = "batch-file", 1, 8192

    def identity(self) -> str:
        return "batch-file"

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        raise LLMError("a batch file is being written: no model is called")


class CaptureModel(ChatModel):
    """Takes the tagger's requests instead of answering them. Anything else that asks (building an example
    library) gets a clear error: writing a batch file needs a pipeline that is already built."""

    def __init__(self) -> None:
        super().__init__(_NoTransport(), cache=None, ledger=UsageLedger())  # type: ignore[arg-type]
        self.taken: Optional[List[ChatRequest]] = None

    def chat_many(self, requests, progress=None):  # type: ignore[no-untyped-def]
        if self.taken is None:
            raise AnnotateError(
                "--batch-requests writes the tagger's requests only; building an example library needs answers: "
                "build the pipeline first (build-pipeline) and pass it with --pipeline"
            )
        self.taken.extend(requests)
        raise _Captured()


def batch_requests(
    nlp: Language, rows: Sequence[Tuple[str, str]], settings: AnnotateSettings
) -> Iterator[Tuple[str, ChatRequest]]:
    """(text id, single-sample request) of every call the live path makes, in its order. A request that
    serves several texts (reverse_ner `group_size` > 1) is named after the first text of its batch."""
    pipe = tagger_pipe(nlp, "annotate")
    capture = CaptureModel()
    live = (pipe.model, pipe.tagger.model)
    pipe.model = pipe.tagger.model = capture
    try:
        with run_settings(pipe, settings):
            for batch in minibatch(rows, size=settings.batch_size):
                yield from _batch_requests(nlp, pipe, list(batch), capture)
    finally:
        pipe.model, pipe.tagger.model = live


def _batch_requests(nlp: Language, pipe, batch: List[Tuple[str, str]], capture: CaptureModel):
    docs = list(nlp.pipe([text for _, text in batch], disable=[pipe.name]))
    capture.taken = []
    try:
        list(pipe.pipe(docs, batch_size=len(docs)))  # what nlp.pipe(batch_size=...) hands the component
    except _Captured:
        pass
    requests, capture.taken = capture.taken, None
    owners = [text_id for (text_id, _), doc in zip(batch, docs) for _ in pipe.chunks(doc)]
    if len(owners) != len(requests):  # grouped prompts: one request for several sentences
        owners = [batch[0][0]] * len(requests)
    for owner, request in zip(owners, requests):
        for sample in request.samples():
            yield owner, sample


def write_requests(path: Path, requests: Iterator[Tuple[str, ChatRequest]], model_name: str) -> Dict[str, int]:
    """One batch line per distinct single-sample request; the body is what the live transport POSTs."""
    seen = set()
    lines = []
    texts = set()
    for text_id, sample in requests:
        texts.add(text_id)
        key = sample.key()
        if key in seen:  # the same sentence twice: asked once, its answer serves both
            continue
        seen.add(key)
        body = sample.to_openai(model_name)
        lines.append({"custom_id": custom_id(text_id, sample), "method": "POST", "url": URL, "body": body})
    write_jsonl(path, lines)
    return {"requests": len(lines), "texts_with_requests": len(texts)}


# --- reading the results --------------------------------------------------------------------------------


@dataclass
class BatchProblem:
    kind: str  # failed (the API says so) | malformed (unreadable line) | missing (no line for a request)
    line: Optional[int]
    custom_id: Optional[str]
    reason: str

    def describe(self, path: Path) -> str:
        where = f"{path} line {self.line}" if self.line is not None else str(path)
        return f"{where} ({self.custom_id or 'no custom_id'}): {self.kind}: {self.reason}"


@dataclass
class BatchResults:
    path: Path
    answers: Dict[str, Tuple[Choice, Usage]] = field(default_factory=dict)  # by request hash
    problems: List[BatchProblem] = field(default_factory=list)
    lines: int = 0

    def summary(self, limit: int = 20) -> Dict[str, Any]:
        kinds = {k: sum(p.kind == k for p in self.problems) for k in ("failed", "malformed", "missing")}
        return {
            "file": str(self.path),
            "lines": self.lines,
            "answers": len(self.answers),
            **kinds,
            "problems": [p.describe(self.path) for p in self.problems[:limit]],
        }


def read_results(path: Path) -> BatchResults:
    """Answers by request hash, and every line that failed or cannot be read (named by line and custom_id)."""
    if not path.is_file():
        raise AnnotateError(f"--batch-results {path} does not exist")
    out = BatchResults(path)
    with path.open(encoding="utf8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                out.lines += 1
                _read_line(out, number, line)
    return out


def _read_line(out: BatchResults, number: int, line: str) -> None:
    try:
        row = json.loads(line)
    except ValueError as err:
        return out.problems.append(BatchProblem("malformed", number, None, f"not JSON ({err})"))
    cid = row.get("custom_id") if isinstance(row, dict) else None
    key = request_hash(cid) if isinstance(cid, str) else None
    if key is None:
        reason = f"custom_id {cid!r} is not one --batch-requests writes (text_id:hash)"
        return out.problems.append(BatchProblem("malformed", number, cid if isinstance(cid, str) else None, reason))
    if row.get("error"):
        return out.problems.append(BatchProblem("failed", number, cid, str(row["error"])[:300]))
    response = row.get("response")
    if not isinstance(response, dict):
        return out.problems.append(BatchProblem("malformed", number, cid, "no 'response' object"))
    if response.get("status_code") != 200:
        reason = f"HTTP {response.get('status_code')}: {json.dumps(response.get('body'))[:300]}"
        return out.problems.append(BatchProblem("failed", number, cid, reason))
    try:
        out.answers[key] = parse_openai_response(response.get("body"), f"{out.path} line {number} ({cid})")  # type: ignore[arg-type]
    except LLMError as err:
        out.problems.append(BatchProblem("malformed", number, cid, str(err)))


class MissingAnswer(LLMError):
    def __init__(self, key: str):
        super().__init__(f"no answer in the batch results for request {key}")
        self.key = key


class ResultsTransport:
    """Answers from a finished batch, by request hash: the live path's tagger, with the batch's answers."""

    name = "batch-results"
    max_concurrency = 1
    context_length = 8192

    def __init__(self, results: BatchResults):
        self.results = results

    def identity(self) -> str:
        return f"batch:{self.results.path.name}"

    def complete(self, request: ChatRequest) -> Tuple[Choice, Usage]:
        key = request.key()[:HASH_CHARS]
        answer = self.results.answers.get(key)
        if answer is None:
            raise MissingAnswer(key)
        choice, usage = answer
        return choice, Usage(**usage.to_dict())


def tag_from_results(results: BatchResults):
    """An `annotate_stream` tagger that leaves out (and names, as `missing`) the texts the batch lacks an
    answer for: a batch at a time, and text by text in a batch that lacks one."""

    def tag(nlp: Language, rows: Sequence[Tuple[str, str]], settings: AnnotateSettings):
        for batch in minibatch(rows, size=settings.batch_size):
            try:
                yield from list(iter_samples(nlp, batch, settings))
            except MissingAnswer:
                yield from _one_by_one(nlp, batch, settings, results)

    return tag


def _one_by_one(nlp: Language, batch, settings: AnnotateSettings, results: BatchResults):
    for text_id, text in batch:
        try:
            yield from list(iter_samples(nlp, [(text_id, text)], settings))
        except MissingAnswer as err:
            reason = "no results line for this request (text not annotated)"
            results.problems.append(BatchProblem("missing", None, f"{text_id}:{err.key}", reason))
