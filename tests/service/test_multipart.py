"""The streaming multipart/related reader and the media-type rules of STOW-RS and WADO-RS."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest

from core.errors import MalformedRequestError, NotAcceptableError, TooLargeError, UnsupportedMediaError
from service.dicomweb.media import EXPLICIT_VR_LE, IMPLICIT_VR_LE, boundary_of, wado_transfer_syntax
from service.dicomweb.multipart import MultipartSpooler
from tests.service.helpers import BOUNDARY, related_body

PARTS = [b"first part \r\n--not-the-boundary", bytes(range(256)) * 40, b"third"]


def _feed(spooler: MultipartSpooler, body: bytes, *, chunk: int) -> MultipartSpooler:
    for start in range(0, len(body), chunk):
        spooler.write(body[start : start + chunk])
    return spooler


def _spooler(directory: Path, max_bytes: int = 10**9) -> MultipartSpooler:
    return MultipartSpooler(boundary=BOUNDARY.encode(), directory=directory, max_bytes=max_bytes)


@pytest.mark.parametrize("chunk", [1, 7, 64, 10**6])
def test_parts_survive_any_chunking(tmp_path: Path, chunk: int) -> None:
    with _spooler(tmp_path) as spooler:
        files = _feed(spooler, related_body(PARTS, leading_crlf=chunk == 7), chunk=chunk).finish()
        assert [file.path.read_bytes() for file in files] == PARTS
        assert [file.sha256 for file in files] == [hashlib.sha256(part).hexdigest() for part in PARTS]
        assert [file.size for file in files] == [len(part) for part in PARTS]
        assert {file.content_type for file in files} == {"application/dicom"}
    assert not any(tmp_path.iterdir())


def test_header_pieces_are_accumulated(tmp_path: Path) -> None:
    body = f'--{BOUNDARY}\r\nContent-Type: application/dicom; transfer-syntax="1.2.840.10008.1.2.1"\r\n'
    body += f"Content-Location: x\r\n\r\npayload\r\n--{BOUNDARY}--"
    with _spooler(tmp_path) as spooler:
        files = _feed(spooler, body.encode(), chunk=3).finish()
        assert files[0].content_type == 'application/dicom; transfer-syntax="1.2.840.10008.1.2.1"'
        assert files[0].path.read_bytes() == b"payload"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (related_body(PARTS)[:-20], "closing boundary"),
        (f"--{BOUNDARY}--\r\n".encode(), "no part"),
        (b"--another-boundary\r\n\r\nx\r\n--another-boundary--", "malformed"),
    ],
)
def test_broken_bodies_are_malformed(tmp_path: Path, body: bytes, words: str) -> None:
    with pytest.raises(MalformedRequestError, match=words) as caught, _spooler(tmp_path) as spooler:
        _feed(spooler, body, chunk=100).finish()
    assert caught.value.check == "multipart"
    assert not any(tmp_path.iterdir())


def test_size_limit_counts_streamed_bytes(tmp_path: Path) -> None:
    body = related_body(PARTS)
    with pytest.raises(TooLargeError, match="max_request_bytes"), _spooler(tmp_path, len(body) - 1) as spooler:
        _feed(spooler, body, chunk=1000)
    assert not any(tmp_path.iterdir())  # the part spooled before the limit was passed is gone
    with _spooler(tmp_path, len(body)) as spooler:
        assert len(_feed(spooler, body, chunk=1000).finish()) == len(PARTS)


def test_a_large_body_is_never_held_in_memory(tmp_path: Path) -> None:
    part = bytes(range(256)) * (32 * 1024 * 1024 // 256)  # 32 MiB part, fed in 64 KiB chunks
    head = f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    chunk = 64 * 1024
    view = memoryview(part)
    with _spooler(tmp_path) as spooler:
        tracemalloc.start()
        try:
            spooler.write(head)
            for start in range(0, len(part), chunk):
                spooler.write(bytes(view[start : start + chunk]))
            spooler.write(tail)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert spooler.finish()[0].size == len(part)
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes while streaming {len(part)}"


@pytest.mark.parametrize(
    "content_type",
    [
        f'multipart/related; type="application/dicom"; boundary="{BOUNDARY}"',
        f"multipart/related; type=application/dicom; boundary={BOUNDARY}",
        f'Multipart/Related; boundary={BOUNDARY}; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1',
        f"multipart/related; boundary={BOUNDARY}",
    ],
)
def test_stow_content_types_accepted(content_type: str) -> None:
    assert boundary_of(content_type=content_type) == BOUNDARY.encode()


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/dicom",
        "multipart/form-data; boundary=x",
        'multipart/related; type="application/dicom+json"; boundary=x',
    ],
)
def test_stow_other_media_types_are_unsupported(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaError, match="multipart/related"):
        boundary_of(content_type=content_type)


def test_stow_without_boundary_is_malformed() -> None:
    with pytest.raises(MalformedRequestError, match="boundary"):
        boundary_of(content_type='multipart/related; type="application/dicom"')


@pytest.mark.parametrize(
    ("accept", "syntax"),
    [
        (None, EXPLICIT_VR_LE),
        ("*/*", EXPLICIT_VR_LE),
        ('multipart/related; type="application/dicom"', EXPLICIT_VR_LE),
        (f'multipart/related; type="application/dicom"; transfer-syntax={IMPLICIT_VR_LE}', IMPLICIT_VR_LE),
        ('multipart/related; type="application/dicom"; transfer-syntax=*', None),
        ('multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50, */*', EXPLICIT_VR_LE),
        ('application/json, multipart/related; type="application/dicom"; q=0, multipart/*', EXPLICIT_VR_LE),
    ],
)
def test_wado_accept_negotiation(accept: str | None, syntax: str | None) -> None:
    assert wado_transfer_syntax(accept=accept) == syntax


@pytest.mark.parametrize(
    "accept",
    [
        "application/dicom",
        'multipart/related; type="application/octet-stream"',
        'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50',
        'multipart/related; type="application/dicom"; q=0',
    ],
)
def test_wado_unservable_accept_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptableError, match="transfer-syntax"):
        wado_transfer_syntax(accept=accept)
