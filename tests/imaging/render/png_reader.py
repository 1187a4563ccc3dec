"""A minimal, independent PNG reader for the tests: 8-bit greyscale, not interlaced, every CRC checked.

Rows may use filter 0 (None), 1 (Sub) or 2 (Up); anything else fails the test that meets it.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

__all__ = ["read_grey_png"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == SIGNATURE, "not a PNG signature"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in chunk {kind!r}"
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b""), [kind for kind, _ in chunks]
    return chunks


def read_grey_png(data: bytes) -> npt.NDArray[np.uint8]:
    """The ``(rows, columns) uint8`` image of the PNG file ``data``."""
    chunks = _chunks(data)
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 0, 0, 0, 0)
    raw = np.frombuffer(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")), dtype=np.uint8)
    assert raw.size == height * (width + 1), "IDAT does not hold rows x (columns + 1) bytes"
    rows = raw.reshape(height, width + 1)
    image = np.zeros((height, width), dtype=np.uint8)
    previous = np.zeros(width, dtype=np.uint8)
    for index in range(height):
        kind, line = int(rows[index, 0]), rows[index, 1:]
        assert kind in (0, 1, 2), f"filter type {kind} not handled by this reader"
        if kind == 1:
            line = (np.cumsum(line, dtype=np.uint64) % 256).astype(np.uint8)
        elif kind == 2:
            line = line + previous
        image[index] = previous = line
    return image
