"""In-process calls to the embedded moto server: the same WSGI application, without a socket per call.

moto's server is werkzeug's development server: it answers every request with ``Connection: close``
and serves each connection on a new thread, so every AWS call of a handler or poller in the runtime's
own process paid a TCP connect, an accept, a thread start and HTTP parsing on both sides (about half
of the runtime's CPU at 200 events/s, where everything shares one interpreter).

``InProcessTransport`` is a botocore ``before-send`` hook: a request addressed to a registered
embedded endpoint is handed to that server's WSGI application in the calling thread, with the
environment werkzeug's request handler would have built, and its response comes back to botocore as
if it had been read from the socket. Clients still sign, serialize and parse exactly as they do
against AWS, and moto runs the very same dispatch; only the loopback hop is skipped. Requests the
hook does not recognise (other endpoints, streamed bodies, headers with underscores that moto's
handler treats specially) return None and go over HTTP as before; so do other processes
(``floorwatch send --endpoint-url``).
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSResponse, HeadersDict

_ERROR_BODY = b'{"__type": "InternalFailure", "message": "moto raised while serving the request"}'


class _Body(io.BytesIO):
    """A response body that botocore can ``read()`` or ``stream()`` (urllib3's raw response API)."""

    def stream(self, **_: Any) -> Iterable[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


class InProcessTransport:
    """Routes botocore requests for registered endpoints to their WSGI applications."""

    def __init__(self) -> None:
        self._apps: dict[str, Any] = {}  # "127.0.0.1:PORT" -> moto's DomainDispatcherApplication
        self._lock = threading.Lock()
        self.calls = 0

    def register(self, endpoint_url: str, app: Any) -> None:
        with self._lock:
            self._apps[urlsplit(endpoint_url).netloc] = app

    def unregister(self, endpoint_url: str) -> None:
        with self._lock:
            self._apps.pop(urlsplit(endpoint_url).netloc, None)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        url = urlsplit(request.url)
        app = self._apps.get(url.netloc)
        if app is None:
            return None
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None and not isinstance(body, bytes | bytearray):
            return None  # a streamed body (S3 uploads): leave it to HTTP
        headers = list(request.headers.items())
        if any("_" in name for name, _ in headers):
            return None
        environ = _environ(request.method, url, headers, bytes(body or b""))
        self.calls += 1
        status, response_headers, content = _serve(app, environ)
        return AWSResponse(request.url, status, HeadersDict(response_headers), _Body(content))


def _environ(method: str, url: Any, headers: list[tuple[str, Any]], body: bytes) -> dict[str, Any]:
    """What werkzeug's WSGIRequestHandler.make_environ builds for this request."""
    raw_path = url.path + (f"?{url.query}" if url.query else "")
    host, _, port = url.netloc.rpartition(":")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(url.path)),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": _latin1(raw_path),
        "RAW_URI": _latin1(raw_path),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    for name, value in headers:
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                text = f"{environ[key]},{text}"
        environ[key] = text.replace("\r\n", "")
    environ.setdefault("CONTENT_LENGTH", str(len(body)))
    environ["HTTP_HOST"] = url.netloc
    return environ


def _latin1(text: str) -> str:
    """PEP 3333 strings: the UTF-8 bytes seen as latin-1 (werkzeug's ``_wsgi_encoding_dance``)."""
    return text.encode("utf-8").decode("latin-1")


def _serve(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return chunks.append

    chunks: list[bytes] = []
    try:
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
    except Exception:  # noqa: BLE001 - the HTTP server would answer 500 too (botocore retries it)
        return 500, [("Content-Type", "application/x-amz-json-1.0")], _ERROR_BODY
    status, headers = started
    return int(status.split(" ", 1)[0]), headers, b"".join(chunks)


TRANSPORT = InProcessTransport()
_installed = False


def install() -> None:
    """Hook the transport into every botocore session created from now on, and boto3's default one."""
    global _installed  # noqa: PLW0603 - once per process
    if _installed:
        return
    _installed = True
    import boto3  # noqa: PLC0415
    from botocore.handlers import BUILTIN_HANDLERS  # noqa: PLC0415

    BUILTIN_HANDLERS.append(("before-send", TRANSPORT))
    default = boto3.DEFAULT_SESSION
    if default is not None:
        default._session.register("before-send", TRANSPORT)
