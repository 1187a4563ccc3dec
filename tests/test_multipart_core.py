"""core.multipart: the one multipart/related writer and the reader of complete bodies, against each other and the
gateway's streaming spooler."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import multipart
from core.multipart import Part, multipart_body, multipart_chunks, related_content_type, split_parts
from service.dicomweb.media import boundary_of
from service.dicomweb.multipart import MultipartSpooler

PARTS = [b"first\r\n--not-the-boundary", bytes(range(256)) * 8, b"", b"last"]


@pytest.mark.parametrize("quote", [False, True])
def test_a_written_body_splits_back_into_its_parts(quote: bool) -> None:
    boundary = multipart.new_boundary()
    content_type = related_content_type(boundary=boundary, quote=quote)
    parts = split_parts(content_type=content_type, body=multipart_body(parts=PARTS, boundary=boundary))
    assert parts == [Part(content_type="application/dicom", payload=payload) for payload in PARTS]


def test_the_gateway_spooler_reads_what_the_writer_writes(tmp_path: Path) -> None:
    content_type = related_content_type(boundary="b-1", quote=True)
    body = multipart_body(parts=PARTS, boundary="b-1")
    with MultipartSpooler(
        boundary=boundary_of(content_type=content_type), directory=tmp_path, max_bytes=1 << 20
    ) as spooler:
        spooler.write(body)
        assert [part.path.read_bytes() for part in spooler.finish()] == PARTS


def test_chunks_frame_lazy_parts_with_their_content_types() -> None:
    parts = [("application/dicom; transfer-syntax=1.2.840.10008.1.2", iter([b"ab", b"cd"]))]
    body = b"".join(multipart_chunks(parts=parts, boundary="x"))
    assert body == b"--x\r\nContent-Type: application/dicom; transfer-syntax=1.2.840.10008.1.2\r\n\r\nabcd\r\n--x--\r\n"
    (part,) = split_parts(content_type=related_content_type(boundary="x"), body=body)
    assert part.content_type.endswith("transfer-syntax=1.2.840.10008.1.2") and part.payload == b"abcd"


def test_a_boundary_inside_a_part_is_refused_and_a_non_multipart_body_has_no_parts() -> None:
    with pytest.raises(ValueError, match="Argument 'boundary'"):
        multipart_body(parts=[b"..xyz.."], boundary="xyz")
    assert split_parts(content_type="application/json", body=b"{}") == []
    assert sorted(multipart.__all__) == sorted(
        [
            "DICOM",
            "RELATED",
            "Part",
            "multipart_body",
            "multipart_chunks",
            "new_boundary",
            "related_content_type",
            "split_parts",
        ]
    )
