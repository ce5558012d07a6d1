"""The review page's web server (standard library only). It binds to the loopback address unless told
otherwise, and every request must carry the session's random token (`?token=` or an `X-Review-Token`
header), as Jupyter does: another user of the machine, or a web page in the same browser, can neither
read the corpus nor write decisions. Bodies are bounded; only the page and its JSON API are served; the
only file it writes is the decision log (through the session)."""

from __future__ import annotations

import errno
import hmac
import json
import secrets
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from ..errors import ProgNERError, SettingsError
from .session import Session

MAX_BODY = 64 * 1024  # bytes: an answer is a few entities; anything larger is not one
LOOPBACK = "127.0.0.1"


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf8")


def page(colors: Dict[str, str], nonce: str) -> str:
    """The page: one HTML document with its style and script inlined (no build step, one request)."""
    html = _asset("review.html")
    config = json.dumps({"colors": colors}).replace("</", "<\\/")
    return (
        html.replace("/*STYLE*/", _asset("review.css"))
        .replace("/*SCRIPT*/", _asset("review.js"))
        .replace("/*CONFIG*/", config)
        .replace("NONCE", nonce)
    )


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, session: Session, colors: Dict[str, str], host: str = LOOPBACK, port: int = 0):
        self.session = session
        self.colors = colors
        self.token = secrets.token_urlsafe(24)
        try:
            super().__init__((host, port), Handler)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise SettingsError(f"port {port} on {host} is taken; choose another --port (0: any free one)") from err
            raise SettingsError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/?token={self.token}"


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet: the CLI prints progress)
        return

    def _authorized(self) -> bool:
        query = parse_qs(urlsplit(self.path).query)
        given = self.headers.get("X-Review-Token") or (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.server.token.encode())

    def _send(self, status: int, body: bytes, content_type: str, extra: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode("utf8"), "application/json")

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._json(status, {"error": message})

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorized():
            return self._refuse(403, "missing or wrong token: open the URL the review command printed")
        route = urlsplit(self.path).path
        if route == "/":
            nonce = secrets.token_urlsafe(12)
            # scripts need the nonce; styles are inline (the label colours are style attributes, and a nonce
            # would switch 'unsafe-inline' off); connections only back to this server
            csp = (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            )
            body = page(self.server.colors, nonce).encode("utf8")
            return self._send(200, body, "text/html; charset=utf-8", {"Content-Security-Policy": csp})
        if route == "/api/task":
            return self._json(200, self.server.session.task())
        self._refuse(404, "not found")

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorized():
            return self._refuse(403, "missing or wrong token")
        data, problem = self._body()
        if problem is not None:
            return self._refuse(*problem)
        session, route = self.server.session, urlsplit(self.path).path
        try:
            if route == "/api/answer":
                return self._json(200, session.answer(data.get("id"), data.get("entities")))
            if route == "/api/skip":
                return self._json(200, session.skip(data.get("id")))
            if route == "/api/undo":
                return self._json(200, session.undo())
        except ProgNERError as err:
            return self._json(409, {"error": str(err)})
        self._refuse(404, "not found")

    def _body(self) -> Tuple[Dict[str, Any], Optional[Tuple[int, str]]]:
        """The request's JSON object, or the status and reason to refuse it (size checked before reading)."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return {}, (400, "bad Content-Length")
        if length > MAX_BODY or length < 0:
            return {}, (413, f"request body over {MAX_BODY} bytes")
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return {}, (400, "the body is not JSON")
        if not isinstance(data, dict):
            return {}, (400, "the body must be a JSON object")
        return data, None
