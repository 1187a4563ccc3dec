"""``multipart/related`` bodies of DICOMweb (PS3.18 §8.6.1): the one writer, and a reader of complete bodies.

Writer: :func:`multipart_chunks` frames parts lazily (WADO-RS streams stored files through it), :func:`multipart_body`
joins whole parts (the delivery STOW-RS client, tests), :func:`related_content_type` is the matching header value.
Each part is ``--{boundary}`` CRLF, its Content-Type, a blank line, the payload, CRLF; the body ends with
``--{boundary}--`` CRLF.

Reader: :func:`split_parts` splits a complete body (a client's WADO-RS answer, a test's received request) with the
standard library's MIME parser. The gateway reads STOW-RS requests with its own streaming spooler
(:mod:`service.dicomweb.multipart`), part by part onto disk; this one holds the whole body in memory.

Dependency-free (standard library only), so that the gateway, the workers, clients and tests share it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser

__all__ = [
    "DICOM",
    "RELATED",
    "Part",
    "multipart_body",
    "multipart_chunks",
    "new_boundary",
    "related_content_type",
    "split_parts",
]

DICOM = "application/dicom"
"""The media type of a DICOM file (PS3.10) part."""
RELATED = "multipart/related"
_CRLF = b"\r\n"


@dataclass(frozen=True, kw_only=True)
class Part:
    """One part of a multipart body: its Content-Type header value (with parameters, '' when absent) and its
    payload bytes."""

    content_type: str
    payload: bytes


def new_boundary() -> str:
    """A fresh random boundary (32 hex digits: needs no quoting, never a prefix of a DICOM file's bytes by chance)."""
    return uuid.uuid4().hex


def related_content_type(*, boundary: str, media: str = DICOM, quote: bool = False) -> str:
    """The Content-Type header value of a body of ``media`` parts: ``multipart/related; type="..."; boundary=...``
    (the boundary in double quotes when ``quote``)."""
    value = f'"{boundary}"' if quote else boundary
    return f'{RELATED}; type="{media}"; boundary={value}'


def multipart_chunks(*, parts: Iterable[tuple[str, Iterable[bytes]]], boundary: str) -> Iterator[bytes]:
    """The body of ``parts``, chunk by chunk, each part given as ``(Content-Type value, its payload's chunks)``.

    Chunks are produced as the parts' chunks are consumed (a generator), so a large part need not be in memory.
    The payloads are not searched for the boundary: the caller's boundary is random (:func:`new_boundary`).
    """
    delimiter = f"--{boundary}".encode("ascii")
    for content_type, chunks in parts:
        yield delimiter + _CRLF + f"Content-Type: {content_type}".encode("ascii") + _CRLF + _CRLF
        yield from chunks
        yield _CRLF
    yield delimiter + b"--" + _CRLF


def multipart_body(*, parts: Sequence[bytes], boundary: str, media: str = DICOM) -> bytes:
    """A ``multipart/related`` body of ``parts``, each of Content-Type ``media``, delimited by ``boundary``.

    Raises:
        ValueError: ``boundary`` occurs in a part (the body could not be split back into those parts).
    """
    marker = boundary.encode("ascii")
    if any(marker in part for part in parts):
        raise ValueError(f"Argument 'boundary' should not occur in the parts: {boundary!r} does.")
    return b"".join(multipart_chunks(parts=((media, (part,)) for part in parts), boundary=boundary))


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def split_parts(*, content_type: str, body: bytes) -> list[Part]:
    """The parts of a complete ``multipart/*`` ``body`` sent with the header value ``content_type`` (its
    ``boundary`` parameter, quoted or not), in order; [] when the body is not multipart for that header."""
    head = f"Content-Type: {content_type}".encode("latin-1") + _CRLF + _CRLF
    message = BytesParser().parsebytes(head + body)  # the compat32 policy: header values as sent
    parts = message.get_payload() if message.is_multipart() else []
    return [
        Part(content_type=str(part.get("Content-Type", "")), payload=_payload(part))
        for part in parts
        if isinstance(part, Message)
    ]
