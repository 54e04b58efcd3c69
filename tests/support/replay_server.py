"""A real HTTP server on 127.0.0.1 that replays a script of recorded responses, for tests of HTTP clients.

Each request takes the next `Reply` of the script. A reply may say what it expects (method, path, query
parameters); a request that does not match, or that comes after the script is exhausted, is answered
418 with the reason as text, and the reason is kept in `mismatches`. Leaving the `with` block raises if there
were any (unless the block is already raising), so a client that asks for the wrong thing fails its test even
when it swallows the error. Every request received is kept in `requests` (method, path, query parameters,
headers) so that tests can assert on what the client asked for.

Besides normal answers a reply can: cut its body short and close the connection (with a `Content-Length`
that promises the whole body, or with none so that the cut body looks complete), close the connection
without answering, or wait before answering (to trip a client's read timeout).

    with ReplayServer([Reply.file(page1), Reply.json({"studies": []})]) as server:
        ...  # point the client at server.url
    assert server.requests[1].params["pageToken"] == "..."

The server joins its handler threads when it stops; close the client first (inner `with`) so that its
kept-alive connections end; otherwise stopping waits for them, up to IDLE_TIMEOUT seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ABSENT", "IDLE_TIMEOUT", "RecordedRequest", "ReplayServer", "Reply"]

# Seconds a kept-alive connection may stay idle before the server closes it.
IDLE_TIMEOUT = 5.0
MISMATCH_STATUS = 418


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""In `Reply.params`: this query parameter must not be sent."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer, and optionally what the request it answers must look like."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    # Expectations; None means any.
    method: str | None = "GET"
    path: str | None = None
    params: Mapping[str, str | Any] | None = None  # a subset: each named parameter has this single value, or ABSENT
    # Faults.
    cut_at: int | None = None  # send only body[:cut_at], then close the connection
    content_length: bool = True  # declare the full body's length; False: the body ends when the connection closes
    disconnect: bool = False  # close the connection without sending anything
    delay: float = 0.0  # seconds to wait before answering

    @classmethod
    def json(cls, data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status=status, body=body, headers={"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def file(cls, path: Path | str, status: int = 200, content_type: str = "application/json") -> Reply:
        """A recorded body, sent byte for byte."""
        return cls(status=status, body=Path(path).read_bytes(), headers={"Content-Type": content_type})

    @classmethod
    def text(cls, text: str, status: int, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status=status,
            body=text.encode(),
            headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
        )

    @classmethod
    def dropped(cls) -> Reply:
        """The connection closes before any answer (what a reset or a crashed proxy looks like to the client)."""
        return cls(disconnect=True)

    def expect(
        self, path: str | None = None, params: Mapping[str, str | Any] | None = None, method: str | None = "GET"
    ) -> Reply:
        return replace(self, path=path, params=params, method=method)

    def truncated(self, at: int, *, content_length: bool = True) -> Reply:
        """The same answer cut after `at` bytes of body, the connection then closed."""
        if not 0 <= at < len(self.body):
            raise ValueError(f"cut at {at} is not inside a body of {len(self.body)} bytes")
        return replace(self, cut_at=at, content_length=content_length)

    def delayed(self, seconds: float) -> Reply:
        """The same answer, sent after `seconds` (to trip a client's read timeout)."""
        return replace(self, delay=seconds)

    def with_headers(self, **headers: str) -> Reply:
        """Extra headers; underscores in names become hyphens (`Retry_After="3"`)."""
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return replace(self, headers={**self.headers, **extra})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]  # every value of every parameter, decoded
    headers: Mapping[str, str]  # names in lower case

    @property
    def params(self) -> dict[str, str]:
        """Each parameter's value (the last one, if it was sent more than once)."""
        return {name: values[-1] for name, values in self.query.items()}

    def describe(self) -> str:
        query = "&".join(f"{name}={value}" for name, values in self.query.items() for value in values)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


class ReplayServer:
    """A `ThreadingHTTPServer` on 127.0.0.1 (a free port) replaying `replies` in order; a context manager."""

    def __init__(self, replies: Iterable[Reply] = (), *, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque(replies)
        self._requests: list[RecordedRequest] = []
        self._mismatches: list[str] = []
        self._errors: list[str] = []
        self._host = host
        self._httpd: _Server | None = None
        self._address: tuple[str, int] | None = None
        self._thread: threading.Thread | None = None

    # --- the script ---

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def mismatches(self) -> list[str]:
        with self._lock:
            return list(self._mismatches + self._errors)

    @property
    def pending(self) -> int:
        """Replies not yet sent."""
        with self._lock:
            return len(self._script)

    def assert_all_used(self) -> None:
        if self.pending:
            raise AssertionError(f"replay server: {self.pending} scripted replies were never asked for")

    # --- lifecycle ---

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`; still known after the server stopped (a closed port, to refuse connections)."""
        if self._address is None:
            raise RuntimeError("the replay server was never started")
        host, port = self._address
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        if self._httpd is not None:
            raise RuntimeError("the replay server is already running")
        self._httpd = _Server((self._host, 0), _Handler, self)
        self._address = self._httpd.server_address[:2]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="replay-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        httpd.shutdown()
        httpd.server_close()  # closes the listening socket and joins the handler threads
        assert thread is not None
        thread.join()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.stop()
        if exc_type is None and self.mismatches:
            raise AssertionError("replay server: " + "; ".join(self.mismatches))

    # --- called by the handler threads ---

    def _take(self, request: RecordedRequest) -> tuple[Reply | None, str | None]:
        with self._lock:
            self._requests.append(request)
            number = len(self._requests)
            if not self._script:
                problem = f"request {number} {request.describe()} came after the script was exhausted"
                self._mismatches.append(problem)
                return None, problem
            reply = self._script.popleft()
            problem = _mismatch(reply, request)
            if problem is not None:
                problem = f"request {number} {request.describe()} does not match the script: {problem}"
                self._mismatches.append(problem)
                return None, problem
            return reply, None

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)


def _mismatch(reply: Reply, request: RecordedRequest) -> str | None:
    if reply.method is not None and request.method != reply.method:
        return f"expected method {reply.method}"
    if reply.path is not None and request.path != reply.path:
        return f"expected path {reply.path}"
    for name, expected in (reply.params or {}).items():
        values = request.query.get(name)
        if expected is ABSENT:
            if values is not None:
                return f"expected no {name}, got {values!r}"
        elif values != [expected]:
            return f"expected {name}={expected!r}, got {values!r}"
    return None


class _Server(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so none outlives the server.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], replay: ReplayServer) -> None:
        self.replay = replay
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        # A client that timed out or hung up leaves a broken pipe behind: expected, not a failure of the test.
        if isinstance(error, ConnectionError | TimeoutError):
            return
        self.replay._error(f"replay server handler failed: {type(error).__name__}: {error}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real service
    timeout = IDLE_TIMEOUT
    server: _Server

    def do_GET(self) -> None:
        self._replay()

    def do_POST(self) -> None:
        self._replay()

    def do_PUT(self) -> None:
        self._replay()

    def do_DELETE(self) -> None:
        self._replay()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the test's assertions say what matters; access logs would only clutter its output

    def _replay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        reply, problem = self.server.replay._take(request)
        if reply is None:
            body = f"replay server: {problem}".encode()
            self.send_response(MISMATCH_STATUS)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if reply.delay:
            time.sleep(reply.delay)
        if reply.disconnect:
            self.close_connection = True
            return
        sent = reply.body if reply.cut_at is None else reply.body[: reply.cut_at]
        names = {name.lower() for name in reply.headers}
        self.send_response_only(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        if reply.content_length and "content-length" not in names:
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.cut_at is not None or not reply.content_length:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        self.wfile.write(sent)
        self.wfile.flush()
