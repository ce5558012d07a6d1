"""`serve`: share one loaded model among processes over llama.cpp's OpenAI-compatible HTTP API."""

from __future__ import annotations

import time

import typer
from wasabi import msg

from ..llm.local import N_CTX, N_PARALLEL, LocalGGUFTransport
from ._app import MODEL, app, friendly_errors, gguf_path


def start_http_server(transport: LocalGGUFTransport, host: str, port: int):
    """Start llama.cpp's HTTP server (POST /v1/chat/completions) in this process; returns the Server."""
    import xllamacpp

    params = transport.make_params()
    params.hostnames = [host]
    params.port = port
    return xllamacpp.Server(params)


@app.command("serve")
@friendly_errors
def serve_cli(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on (0: any free port)."),
    model: str = MODEL,
    n_parallel: int = typer.Option(N_PARALLEL, help="Concurrent sequences."),
    n_ctx: int = typer.Option(N_CTX, help="Context tokens per sequence."),
) -> None:
    """Serve the model at http://HOST:PORT/v1 for `spacy_progner.OpenAICompatible.v1` (Ctrl-C stops)."""
    transport = LocalGGUFTransport(model_path=gguf_path(model, "serve"), n_ctx=n_ctx, n_parallel=n_parallel)
    server = start_http_server(transport, host, port)
    msg.good(f"Serving {transport.identity()} at {server.listening_address}/v1 (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        msg.info("Stopped")
