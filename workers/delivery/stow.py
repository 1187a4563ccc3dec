"""The STOW-RS client (PS3.18 §10.5) that forwards a job's DICOM files to a destination, with httpx.

Files go in ``multipart/related; type="application/dicom"`` requests of at most ``max_request_bytes`` each (a
file bigger than that goes alone), in order, to ``{base}/studies/{study}``. The destination's answer decides:

- 200, or 202 without a FailedSOPSequence (warnings only): every instance sent is stored;
- 202 with a FailedSOPSequence, 409, or 200 with a FailedSOPSequence: a partial (or total) failure,
  :class:`DeliveryError` naming how many were stored and the first FailureReason;
- no connection, a timeout, 5xx, 408, 429: :class:`DestinationUnavailableError` (transient, with the
  ``Retry-After`` delay when given); any other status: :class:`DeliveryError`.

An error's message quotes the start of the destination's answer; the Authorization value sent (and its
credentials after the scheme) is replaced there by ``REDACTED``, should the destination echo it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from core.logs import REDACTED
from core.multipart import multipart_body, new_boundary, related_content_type
from workers.delivery.errors import DeliveryError, DestinationUnavailableError

__all__ = [
    "batches",
    "multipart_body",
    "read_answer",
    "stow_files",
    "without_authorization",
]  # multipart_body: core.multipart's

_FAILED_SOP_SEQUENCE = "00081198"
_FAILURE_REASON = "00081197"
_REFERENCED_SOP_INSTANCE_UID = "00081155"
_EXCERPT_CHARS = 200


def batches(*, sizes: Sequence[int], max_bytes: int) -> list[list[int]]:
    """Indices of ``sizes`` (bytes per file) in consecutive groups of at most ``max_bytes`` in all (a file
    larger than ``max_bytes`` alone in its group); order kept."""
    if max_bytes <= 0:
        raise ValueError(f"Argument 'max_bytes' should be positive, got {max_bytes}.")
    groups: list[list[int]] = []
    total = 0
    for index, size in enumerate(sizes):
        if groups and total + size <= max_bytes:
            groups[-1].append(index)
            total += size
        else:
            groups.append([index])
            total = size
    return groups


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:_EXCERPT_CHARS]
    return f": {text}" if text else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _failed_items(response: httpx.Response) -> list[dict[str, Any]]:
    """The FailedSOPSequence items of a DICOM JSON answer; [] when it has none or is not DICOM JSON."""
    try:
        answer = response.json()
    except ValueError:
        return []
    element = answer.get(_FAILED_SOP_SEQUENCE) if isinstance(answer, dict) else None
    items = element.get("Value", []) if isinstance(element, dict) else []
    return [item for item in items if isinstance(item, dict)]


def _first_reason(items: list[dict[str, Any]]) -> str:
    if not items:
        return ""
    reasons = items[0].get(_FAILURE_REASON, {}).get("Value", [])
    uids = items[0].get(_REFERENCED_SOP_INSTANCE_UID, {}).get("Value", [])
    reason = f"FailureReason 0x{int(reasons[0]):04X}" if reasons else "no FailureReason"
    return f"; first: {reason}" + (f" for {uids[0]}" if uids else "")


def read_answer(*, response: httpx.Response, sent: int) -> int:
    """The number of the ``sent`` instances the destination stored, from its answer (module docstring).

    Raises:
        DestinationUnavailableError: 5xx, 408 or 429.
        DeliveryError: another status, or some instances not stored.
    """
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise DestinationUnavailableError(
            f"The destination answered HTTP {status}{_excerpt(response)}",
            check="http_status",
            retry_after_s=_retry_after(response),
        )
    if status not in (200, 202, 409):
        message = f"The destination refused the request: HTTP {status}{_excerpt(response)}"
        raise DeliveryError(message, check="http_status")
    failed = _failed_items(response)
    if status == 409 or failed:
        stored = 0 if status == 409 else max(0, sent - len(failed))
        message = f"The destination stored {stored} of {sent} instances (HTTP {status}){_first_reason(failed)}"
        raise DeliveryError(message, instances_stored=stored, check="failed_sop")
    return sent


def _post(*, client: httpx.Client, url: str, headers: dict[str, str], parts: list[bytes]) -> httpx.Response:
    boundary = new_boundary()
    content_type = related_content_type(boundary=boundary)
    body = multipart_body(parts=parts, boundary=boundary)
    try:
        return client.post(url, content=body, headers={**headers, "Content-Type": content_type})
    except httpx.TransportError as error:
        reason = str(error) or type(error).__name__
        raise DestinationUnavailableError(f"The destination cannot be reached: {reason}", check="connection") from error


def without_authorization(*, text: str, authorization: str | None) -> str:
    """``text`` with ``authorization`` (``Bearer abc``) and its credentials (``abc``) replaced by ``REDACTED``."""
    if authorization is None:
        return text
    scheme, _, credentials = authorization.strip().partition(" ")
    for secret in sorted({authorization.strip(), credentials.strip() or scheme}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def stow_files(
    *,
    client: httpx.Client,
    base_url: str,
    authorization: str | None,
    study_uid: str,
    files: Sequence[Path],
    max_request_bytes: int,
) -> int:
    """STOW-RS ``files`` (DICOM Part 10, all of study ``study_uid``) to the DICOMweb service at ``base_url``;
    returns the number of instances stored (all of them).

    Raises:
        DestinationUnavailableError, DeliveryError: as :func:`read_answer`; ``instances_stored`` counts every
            instance stored by the earlier requests too.
        OSError: a file could not be read.
    """
    url = f"{base_url.rstrip('/')}/studies/{study_uid}"
    headers = {"Accept": "application/dicom+json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    stored = 0
    groups = batches(sizes=[path.stat().st_size for path in files], max_bytes=max_request_bytes)
    for number, group in enumerate(groups, start=1):
        parts = [files[index].read_bytes() for index in group]
        try:
            response = _post(client=client, url=url, headers=headers, parts=parts)
            stored += read_answer(response=response, sent=len(parts))
        except DeliveryError as error:
            error.message = without_authorization(text=error.message, authorization=authorization)
            error.instances_stored += stored
            if len(groups) > 1:
                in_all = f"{error.instances_stored} of {len(files)} instances stored in all"
                error.message = f"{error.message} (request {number} of {len(groups)}; {in_all})"
            error.args = (error.message,)  # what repr() shows, e.g. in Celery's retry log line
            raise
    return stored
