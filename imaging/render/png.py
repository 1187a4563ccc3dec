"""A minimal PNG encoder (ISO/IEC 15948): 8-bit greyscale, no interlace, filter "None", zlib-compressed.

Enough for the report's pictures without an imaging library: signature, IHDR, one IDAT, IEND, each chunk with
its CRC-32.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

__all__ = ["PNG_SIGNATURE", "encode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GREYSCALE = 0
_BIT_DEPTH = 8


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(*, image: npt.NDArray[np.uint8], compression: int = 6) -> bytes:
    """The PNG file of ``image``, a ``(rows, columns) uint8`` array of grey levels (0 black, 255 white).

    Args:
        compression: zlib level, 0–9.
    """
    if image.ndim != 2 or 0 in image.shape or image.dtype != np.uint8:
        raise ValueError(
            f"Argument 'image' should be a non-empty 2-D uint8 array, got shape {image.shape} and {image.dtype}."
        )
    if not 0 <= compression <= 9:
        raise ValueError(f"Argument 'compression' should be in 0..9, got {compression}.")
    rows, columns = image.shape
    header = struct.pack(">IIBBBBB", columns, rows, _BIT_DEPTH, _GREYSCALE, 0, 0, 0)
    scanlines = np.zeros((rows, columns + 1), dtype=np.uint8)  # each row: filter type 0, then its bytes
    scanlines[:, 1:] = image
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines.tobytes(), compression))
        + _chunk(b"IEND", b"")
    )
