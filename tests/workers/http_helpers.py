"""Helpers of the worker tests that drive the gateway: STOW-RS a folder, poll a job, parse WADO-RS responses."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

__all__ = ["AUTH", "multipart_parts", "poll_job", "stow_body"]

AUTH = {"Authorization": "Bearer worker-test-key"}


def stow_body(folder: Path, *, boundary: str = "b0undary") -> tuple[bytes, dict[str, str]]:
    """A STOW-RS body with every ``*.dcm`` of ``folder`` and its headers (with ``AUTH``)."""
    body = b"".join(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + path.read_bytes() + b"\r\n"
        for path in sorted(folder.glob("*.dcm"))
    )
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return body + f"--{boundary}--\r\n".encode(), {**AUTH, "Content-Type": content_type}


def poll_job(get: Callable[[], dict[str, Any]], *, timeout_s: float = 120.0) -> dict[str, Any]:
    """Call ``get`` (a job's JSON) until the job is finished; AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = get()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout_s} s: {job}"
        time.sleep(0.2)


def multipart_parts(*, content_type: str, body: bytes) -> list[bytes]:
    """The payloads of a ``multipart/related`` response body."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return [part.get_payload(decode=True) for part in message.iter_parts()]
