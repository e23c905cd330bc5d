"""A tiny threaded HTTP server on 127.0.0.1 for HTTP task tests (no sleeps: slow responses block on an event)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # clients that hang up early (timeouts, size limits) are expected here


class LocalHttp:
    """Routes: /json, /text, /num, /empty, /echo, /status/<code>, /redirect?to=<url>, /slow, /big,
    /dribble (200 body bytes, one every 50 ms)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # /slow answers once this is set
        self.stopping = threading.Event()  # paces /dribble (set only when the server stops)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                url = urlsplit(self.path)
                owner.requests.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        "headers": dict(self.headers.items()),
                        "header_items": list(self.headers.items()),
                        "body": body,
                    }
                )
                if url.path == "/json":
                    self._send(200, json.dumps({"a": 1, "list": [1, 2]}), "application/json", {"X-Extra": "yes"})
                elif url.path == "/text":
                    self._send(200, "hello world", "text/plain")
                elif url.path == "/num":
                    self._send(200, "42", "text/plain")
                elif url.path == "/empty":
                    self._send(204, "", None)
                elif url.path == "/echo":
                    echo = {"method": self.command, "headers": dict(self.headers.items()), "body": body}
                    self._send(201, json.dumps(echo), "application/json")
                elif url.path.startswith("/status/"):
                    self._send(int(url.path.rsplit("/", 1)[1]), "nope", "text/plain")
                elif url.path == "/redirect":
                    self._send(302, "", None, {"Location": parse_qs(url.query)["to"][0]})
                elif url.path == "/slow":
                    owner.release.wait(10)
                    self._send(200, "late", "text/plain")
                elif url.path == "/dribble":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", "200")
                    self.end_headers()
                    with suppress(BrokenPipeError, ConnectionResetError):
                        for _ in range(200):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            if owner.stopping.wait(0.05):
                                return
                elif url.path == "/big":
                    self._send(200, "x" * (11 * 2**20), "text/plain")
                else:
                    self._send(404, "no route", "text/plain")

            def _send(self, code: int, text: str, ctype: str | None, extra: dict[str, str] | None = None) -> None:
                data = text.encode()
                self.send_response(code)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data and self.command != "HEAD":
                    with suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LocalHttp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


@contextmanager
def local_http() -> Iterator[LocalHttp]:
    srv = LocalHttp().start()
    try:
        yield srv
    finally:
        srv.stop()
