"""A scripted DICOMweb destination for the delivery tests, as an httpx transport or a loopback HTTP server.

It records each STOW-RS request (path, headers, the parts of its multipart body) and answers from a script of
(status, DICOM JSON body, headers); once the script is used up it answers 200 with every instance referenced.
:func:`hanging_destination` is a PACS that accepts connections and never answers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.workers.http_helpers import multipart_parts

__all__ = ["Answer", "FakePacs", "Received", "failed_sop_body", "hanging_destination", "serve"]


@dataclass(frozen=True)
class Answer:
    """One scripted answer."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    """One request the destination received."""

    path: str
    headers: dict[str, str]
    parts: list[bytes]


def failed_sop_body(*uids: str, reason: int = 0xC000) -> dict[str, Any]:
    """A STOW-RS answer whose FailedSOPSequence lists ``uids`` with FailureReason ``reason``."""
    items = [{"00081155": {"vr": "UI", "Value": [uid]}, "00081197": {"vr": "US", "Value": [reason]}} for uid in uids]
    return {"00081198": {"vr": "SQ", "Value": items}}


@dataclass
class FakePacs:
    """The destination: ``script`` answered in order, ``received`` the requests (thread-safe)."""

    script: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *, path: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = multipart_parts(content_type=headers["content-type"], body=body)
        with self.lock:
            self.received.append(Received(path=path, headers=headers, parts=parts))
            if self.script:
                return self.script.pop(0)
        return Answer(200, {"00081199": {"vr": "SQ", "Value": [{} for _ in parts]}})

    def transport(self) -> httpx.MockTransport:
        """This destination as an httpx transport."""

        def handle(request: httpx.Request) -> httpx.Response:
            headers = {key.lower(): value for key, value in request.headers.items()}
            answer = self.answer(path=request.url.path, headers=headers, body=request.read())
            return httpx.Response(answer.status, json=answer.body, headers=answer.headers)

        return httpx.MockTransport(handle)


@contextmanager
def serve(pacs: FakePacs) -> Iterator[str]:
    """``pacs`` on a loopback HTTP server in a thread; yields its DICOMweb base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {key.lower(): value for key, value in self.headers.items()}
            answer = pacs.answer(path=self.path, headers=headers, body=body)
            payload = json.dumps(answer.body).encode() if answer.body is not None else b""
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def hanging_destination() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers; yields its DICOMweb base URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/dicom-web"
