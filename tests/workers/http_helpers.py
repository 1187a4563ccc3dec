"""Helpers of the worker tests that drive the gateway: STOW-RS a folder, poll a job, parse WADO-RS responses."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.multipart import multipart_body, related_content_type, split_parts

__all__ = ["AUTH", "multipart_parts", "poll_job", "stow_body"]

AUTH = {"Authorization": "Bearer worker-test-key"}


def stow_body(folder: Path, *, boundary: str = "b0undary") -> tuple[bytes, dict[str, str]]:
    """A STOW-RS body with every ``*.dcm`` of ``folder`` and its headers (with ``AUTH``)."""
    body = multipart_body(parts=[path.read_bytes() for path in sorted(folder.glob("*.dcm"))], boundary=boundary)
    return body, {**AUTH, "Content-Type": related_content_type(boundary=boundary)}


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
    return [part.payload for part in split_parts(content_type=content_type, body=body)]
