"""`review`: a person checks the least certain texts of a corpus in a local web page; `review-export` and
`review-import`: the same ranked texts to and from Label Studio, Prodigy and doccano. See docs/review.md."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any, Optional

import spacy
import typer
from wasabi import msg

from ..files import write_jsonl
from ..review.colors import label_colors
from ..review.corpus import read_corpus
from ..review.decisions import DecisionLog, Lock
from ..review.formats import FORMATS, export_tasks, import_file, write_export
from ..review.server import LOOPBACK, ReviewServer
from ..review.session import Session
from ._app import DOMAIN, app, friendly_errors, read_spec


def _tokenizer(lang: str):
    nlp = spacy.blank(lang)
    return lambda text: [(t.idx, t.idx + len(t)) for t in nlp.make_doc(text)]


def _stop(*_: Any) -> None:
    raise KeyboardInterrupt


@app.command("review")
@friendly_errors
def review_cli(
    domain: Path = DOMAIN,
    corpus: Path = typer.Argument(
        ..., help="Samples JSONL to review (ids, sentences, entities with offsets).", exists=True, dir_okay=False
    ),
    output: Path = typer.Argument(..., help="Review log JSONL: one line per finished text; a rerun resumes it."),
    host: str = typer.Option(LOOPBACK, help="Address to listen on (loopback: only this machine)."),
    port: int = typer.Option(0, help="Port (0: any free one; the URL is printed)."),
    limit: Optional[int] = typer.Option(None, help="Ask at most this many texts, the least certain."),
) -> None:
    """Review the least certain texts in the browser; every decision is written to OUTPUT as it is made."""
    spec = read_spec(domain)
    samples = read_corpus(corpus, list(spec.types))
    lock = Lock(output)
    lock.acquire()
    log = None
    try:
        log = DecisionLog(output)
        session = Session(samples, log, list(spec.types), limit, _tokenizer(spec.language))
        server = ReviewServer(session, label_colors(list(spec.types)), host, port)
        if host != LOOPBACK:
            msg.warn(f"listening on {host}: anyone who can reach it and has the URL can review")
        msg.info(f"{session.asked} texts to ask, {session.earlier} reviewed earlier; decisions go to {output}")
        print(f"Review at {server.url}", flush=True)
        signal.signal(signal.SIGTERM, _stop)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        p = session.progress()
        msg.good(f"Reviewed {p['reviewed']} of {p['asked']} texts this session ({p['skipped']} skipped): {output}")
    finally:
        if log is not None:
            log.close()
        lock.release()


@app.command("review-export")
@friendly_errors
def review_export_cli(
    corpus: Path = typer.Argument(..., help="Samples JSONL.", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="Tasks file for the other tool (Label Studio: JSON; else JSONL)."),
    format: str = typer.Option(..., "--format", "-f", help=" | ".join(FORMATS)),
    domain: Optional[Path] = typer.Option(None, "--domain", "-d", help="Domain spec: check the corpus's types."),
    limit: Optional[int] = typer.Option(None, help="Only the N least certain texts."),
) -> None:
    """Export the texts least certain first, with their labels and confidences, as another tool's tasks."""
    spec = read_spec(domain) if domain else None
    samples = read_corpus(corpus, list(spec.types) if spec else None)
    tasks = export_tasks(samples, format, limit, _tokenizer(spec.language if spec else "en"))
    write_export(output, tasks, format)
    msg.good(f"Wrote {output}: {len(tasks)} {format} tasks, least certain first")


@app.command("review-import")
@friendly_errors
def review_import_cli(
    source: Path = typer.Argument(
        ..., help="The other tool's export of finished annotations.", exists=True, dir_okay=False
    ),
    output: Path = typer.Argument(..., help="Reviewed samples JSONL (what `to-docbin --reviewed` reads)."),
    format: str = typer.Option(..., "--format", "-f", help=" | ".join(FORMATS)),
    domain: Optional[Path] = typer.Option(None, "--domain", "-d", help="Domain spec: check the annotations' types."),
) -> None:
    """Import finished annotations back into the sample format, marked reviewed."""
    labels = list(read_spec(domain).types) if domain else None
    rows, counts = import_file(source, format, labels)
    write_jsonl(output, rows)
    msg.good(f"Wrote {output}: {len(rows)} reviewed texts; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
