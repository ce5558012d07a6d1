"""A scriptable fake OpenAI-compatible server on 127.0.0.1 for the transport fault tests.

Each request takes the next behaviour from `script` (or `default` once the script is used up):
"ok" (echo the last user message), "429" (Retry-After: 0), "500", "400", "hang" (sleep
`hang_seconds`, then try to answer ok) or "not_json" (200 with body "oops").
It records every request (method, path, headers, JSON body) and the most requests in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Optional

BEHAVIOURS = ("ok", "429", "500", "400", "401_echo_key", "hang", "not_json")


def echo(text: str) -> str:
    return f"echo: {text}"


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: Deque[str] = deque()
        self.default = "ok"
        self.ok_delay = 0.0
        self.hang_seconds = 1.0
        self.requests: List[Dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
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

    def reset(self) -> None:
        """Forget the recorded traffic (the port, hence the base_url and cache scope, stays the same)."""
        with self._lock:
            self.requests = []
            self.max_in_flight = 0

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
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.script.popleft() if self.script else self.default

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
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "raw": raw,
        }
        behaviour = fake._enter(record)
        self._left = False
        try:
            self._answer(fake, behaviour, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before we answered
        finally:
            self._leave_once()

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
        messages = (body or {}).get("messages") or []
        last_user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        answer = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": (body or {}).get("model", ""),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": echo(last_user)}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": 7,
                "completion_tokens": 3,
                "total_tokens": 10,
                "prompt_tokens_details": {"cached_tokens": 2},
            },
        }
        return self._send(200, answer)

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
