"""A scriptable fake OpenAI-compatible server on 127.0.0.1 for the transport fault and scaling tests.

Each request takes the next behaviour from `script` (or `default` once the script is used up):
"ok" (the `responder`'s answer: by default an echo of the last user message), "429" (Retry-After: 0),
"500", "400", "hang" (sleep `hang_seconds`, then try to answer ok) or "not_json" (200 with body "oops").
An "ok" answer takes `ok_delay` seconds (a fixed per-request latency). With `cap` set, at most `cap`
requests are answered at once: beyond it a request *queues* (cap_mode "queue", as vLLM's scheduler
does) or gets HTTP 429 with Retry-After: 0 (cap_mode "429", as a hosted API does).
It records every request (method, path, headers, JSON body), the body of every request answered 200
(`answered`: the request log that shows whether anything was asked twice), and the most requests in
flight at once. `answer_batch` answers an OpenAI batch file the way the HTTP route answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

BEHAVIOURS = ("ok", "429", "500", "400", "401_echo_key", "hang", "not_json")
CAP_MODES = ("queue", "429")

Responder = Callable[[Dict[str, Any]], Tuple[str, Optional[List[Tuple[str, float]]]]]


def echo(text: str) -> str:
    return f"echo: {text}"


def echo_responder(body: Dict[str, Any]) -> Tuple[str, None]:
    messages = body.get("messages") or []
    last_user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    return echo(last_user), None


def cassette_responder(path: Path) -> Responder:
    """Answers what a Replay cassette recorded for the request in the body (the request is rebuilt from
    the body, so the key is the one the live path would look up); an unknown request is a test bug."""
    from spacy_progner.llm import ChatRequest

    entries = {}
    for line in Path(path).read_text(encoding="utf8").splitlines():
        if line.strip():
            entry = json.loads(line)
            entries[entry["key"]] = entry["choice"]

    def respond(body: Dict[str, Any]) -> Tuple[str, Optional[List[Tuple[str, float]]]]:
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
        request = ChatRequest(
            messages=body["messages"], temperature=body["temperature"], seed=body["seed"],
            max_tokens=body["max_tokens"], json_schema=schema, logprobs=bool(body.get("logprobs")),
            stop=list(body.get("stop") or []),
        )  # fmt: skip
        choice = entries[request.key()]
        return choice["text"], choice.get("logprobs")

    return respond


def completion(body: Dict[str, Any], content: str, logprobs: Optional[List[Tuple[str, float]]]) -> Dict[str, Any]:
    """A chat.completion answer as OpenAI and vLLM write it."""
    choice: Dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    if logprobs is not None:
        choice["logprobs"] = {"content": [{"token": t, "logprob": lp, "top_logprobs": []} for t, lp in logprobs]}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": body.get("model", ""),
        "choices": [choice],
        "usage": {
            "prompt_tokens": 7,
            "completion_tokens": 3,
            "total_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 2},
        },
    }


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: Deque[str] = deque()
        self.default = "ok"
        self.ok_delay = 0.0
        self.hang_seconds = 1.0
        self.responder: Responder = echo_responder
        self.cap: Optional[int] = None
        self.cap_mode = "queue"
        self.requests: List[Dict[str, Any]] = []
        self.answered: List[str] = []
        self.arrived_at: List[float] = []  # time.perf_counter() of each request's arrival
        self.answered_at: List[float] = []  # and of each 200 answer
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._slots: Optional[threading.BoundedSemaphore] = None
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        host, port = self._httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self.url = f"{self.base_url}/chat/completions"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-openai", daemon=True)
        self._thread.start()

    # --- scripting ---------------------------------------------------------------
    def set_script(self, *behaviours: str, default: str = "ok") -> None:
        for b in (*behaviours, default):
            if b not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {b!r}")
        with self._lock:
            self.script = deque(behaviours)
            self.default = default

    def set_cap(self, cap: Optional[int], mode: str = "queue") -> None:
        """Answer at most `cap` requests at once (None: no cap); beyond it queue or answer 429."""
        if mode not in CAP_MODES:
            raise ValueError(f"unknown cap mode {mode!r}")
        with self._lock:
            self.cap, self.cap_mode = cap, mode
            self._slots = threading.BoundedSemaphore(cap) if cap else None

    def reset(self) -> None:
        """Forget the recorded traffic (the port, hence the base_url and cache scope, stays the same)."""
        with self._lock:
            self.requests = []
            self.answered = []
            self.arrived_at = []
            self.answered_at = []
            self.max_in_flight = 0

    def answer_batch(self, requests_path: Path, results_path: Path) -> int:
        """Answer an OpenAI batch input file as the HTTP route answers each of its lines (what a hosted batch
        or vLLM's run_batch writes); returns how many lines."""
        out = []
        for line in Path(requests_path).read_text(encoding="utf8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            content, logprobs = self.responder(row["body"])
            with self._lock:
                self.answered.append(json.dumps(row["body"], sort_keys=True))
            response = {
                "status_code": 200,
                "request_id": f"req-{len(out)}",
                "body": completion(row["body"], content, logprobs),
            }
            out.append(
                {"id": f"batch_req_{len(out)}", "custom_id": row["custom_id"], "response": response, "error": None}
            )
        Path(results_path).write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf8")
        return len(out)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the (non-daemon) handler threads; every handler is bounded
        self._thread.join(timeout=10)

    # --- called by the handler -----------------------------------------------------
    def _enter(self, record: Dict[str, Any]) -> str:
        with self._lock:
            self.requests.append(record)
            self.arrived_at.append(time.perf_counter())
            behaviour = self.script.popleft() if self.script else self.default
            if self.cap and self.cap_mode == "429" and self.in_flight >= self.cap:
                behaviour = "429"
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return behaviour

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for the handler threads
    block_on_close = True
    fake: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive thread outlives the test
    timeout = 10  # socket timeout: a handler never blocks forever on a silent client
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Optional[Any] = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if self.path.startswith("/_control/"):
            return self._control(fake)
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "raw": raw,
        }
        slots = fake._slots if fake.cap_mode == "queue" else None
        if slots is not None:
            slots.acquire()  # queued: not in flight until a slot is free
        self._left = False
        try:
            behaviour = fake._enter(record)
            self._answer(fake, behaviour, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before we answered
        finally:
            self._leave_once()
            if slots is not None:
                slots.release()

    def _control(self, fake: FakeOpenAI) -> None:
        """GET /_control/log: the traffic so far (for a server in another process); POST /_control/reset."""
        self._left = True  # never counted as in flight
        if self.path == "/_control/reset":
            fake.reset()
            return self._send_raw(200, b"{}", "application/json")
        with fake._lock:
            log = {"arrived_at": fake.arrived_at, "answered_at": fake.answered_at, "answered": len(fake.answered),
                   "distinct_answered": len(set(fake.answered)), "max_in_flight": fake.max_in_flight}  # fmt: skip
        self._send(200, log)

    def _leave_once(self) -> None:
        # A request stops counting as in flight once its answer is ready, before it is written: the client
        # may send its next request the moment it has read this answer.
        if not self._left:
            self._left = True
            self.server.fake._leave()

    def _answer(self, fake: FakeOpenAI, behaviour: str, body: Optional[Any]) -> None:
        if self.command != "POST" or self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": f"no route {self.command} {self.path}"}})
        if behaviour == "429":
            return self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
        if behaviour == "500":
            return self._send(500, {"error": {"message": "internal error"}})
        if behaviour == "400":
            return self._send(400, {"error": {"message": "bad request"}})
        if behaviour == "401_echo_key":  # a careless proxy that repeats the caller's credentials
            auth = self.headers.get("Authorization", "")
            return self._send(401, {"error": {"message": f"invalid credentials: {auth}"}})
        if behaviour == "not_json":
            return self._send_raw(200, b"oops", "text/plain")
        if behaviour == "hang":
            time.sleep(fake.hang_seconds)
        elif fake.ok_delay:
            time.sleep(fake.ok_delay)
        content, logprobs = fake.responder(body or {})
        with fake._lock:
            fake.answered.append(json.dumps(body, sort_keys=True))
            fake.answered_at.append(time.perf_counter())
        return self._send(200, completion(body or {}, content, logprobs))

    def _send(self, status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        self._send_raw(status, json.dumps(payload).encode("utf8"), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, ctype: str, headers: Optional[Dict[str, str]] = None) -> None:
        self._leave_once()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def main() -> None:
    """Serve in a process of its own (so a benchmarked client does not share its interpreter): prints the
    base_url, answers every request with `--answer` after `--latency` seconds, at most `--cap` at once,
    until stdin closes."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--cap", type=int, default=0)
    parser.add_argument("--cap-mode", default="queue", choices=CAP_MODES)
    parser.add_argument("--answer", default='{"entities": []}')
    args = parser.parse_args()
    fake = FakeOpenAI()
    fake.ok_delay = args.latency
    fake.set_cap(args.cap or None, args.cap_mode)
    fake.responder = lambda body: (args.answer, None)
    print(fake.base_url, flush=True)
    try:
        sys.stdin.read()
    finally:
        fake.close()


if __name__ == "__main__":
    main()
