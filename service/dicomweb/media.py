"""Media types of the DICOMweb routes: the STOW-RS request's Content-Type and the WADO-RS Accept header.

STOW-RS takes ``multipart/related; type="application/dicom"; boundary=...`` (PS3.18 §10.5); the boundary may be
quoted and extra parameters (``transfer-syntax=``, ``start=``) are ignored. A missing ``type`` is taken as
``application/dicom``; every part is judged by its bytes, not by its own Content-Type.

WADO-RS answers ``multipart/related; type="application/dicom"`` with the transfer syntax asked for: Explicit VR
Little Endian when none is named (PS3.18 §8.7.3 default), Implicit VR Little Endian on request, or the stored
bytes untouched for ``transfer-syntax=*``. Anything else is 406.
"""

from __future__ import annotations

from python_multipart.multipart import parse_options_header

from core.errors import MalformedRequestError, NotAcceptableError, UnsupportedMediaError
from core.multipart import DICOM, RELATED

__all__ = ["DICOM", "EXPLICIT_VR_LE", "IMPLICIT_VR_LE", "boundary_of", "wado_transfer_syntax"]

EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
_RETRIEVABLE = (EXPLICIT_VR_LE, IMPLICIT_VR_LE)


def boundary_of(*, content_type: str | None) -> bytes:
    """The multipart boundary of a STOW-RS request's ``content_type``.

    Raises:
        UnsupportedMediaError: not ``multipart/related`` with ``type="application/dicom"`` (415).
        MalformedRequestError: no boundary parameter (400).
    """
    media, parameters = parse_options_header(content_type or "")
    kind = parameters.get(b"type", DICOM.encode()).decode("latin-1").strip().lower()
    if media != RELATED.encode() or kind != DICOM:
        raise UnsupportedMediaError(
            f'Content-Type should be multipart/related; type="application/dicom", got {content_type!r}.',
            check="content_type",
        )
    boundary = parameters.get(b"boundary", b"")
    if not boundary:
        raise MalformedRequestError(
            "Content-Type multipart/related should carry a boundary parameter.", check="boundary"
        )
    return boundary


def _syntax_for(media: bytes, parameters: dict[bytes, bytes]) -> str | None:
    """The transfer syntax one media range asks for ('' when it cannot be served, None for 'as stored')."""
    if media in (b"*/*", b"multipart/*"):
        return EXPLICIT_VR_LE
    kind = parameters.get(b"type", DICOM.encode()).decode("latin-1").strip().lower()
    if media != RELATED.encode() or kind != DICOM:
        return ""
    syntax = parameters.get(b"transfer-syntax", EXPLICIT_VR_LE.encode()).decode("latin-1").strip()
    if syntax == "*":
        return None
    return syntax if syntax in _RETRIEVABLE else ""


def wado_transfer_syntax(*, accept: str | None) -> str | None:
    """The transfer syntax to send for the ``accept`` header; None means the stored bytes as they are.

    Media ranges are tried in the order given; ``q=0`` ranges are skipped.

    Raises:
        NotAcceptableError: no range can be served (406).
    """
    if not accept or not accept.strip():
        return EXPLICIT_VR_LE
    for media_range in accept.split(","):
        media, parameters = parse_options_header(media_range.strip())
        if parameters.get(b"q", b"1").strip() in (b"0", b"0.0", b"0.00", b"0.000"):
            continue
        syntax = _syntax_for(media, parameters)
        if syntax != "":
            return syntax
    raise NotAcceptableError(
        'Accept should allow multipart/related; type="application/dicom" with transfer-syntax '
        f"{EXPLICIT_VR_LE} (default), {IMPLICIT_VR_LE} or *; got {accept!r}.",
        check="accept",
    )
