"""Stored pixel values to activity: decode each slice and apply its own RescaleSlope/RescaleIntercept.

Vendors differ: GE writes a different slope on every slice, Siemens one for the whole series. The rescale is
done per slice in float64, then the volume is stored as float32.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydicom.uid import UID

from imaging.dicom.checks import float_values
from imaging.dicom.sources import SourceFile
from imaging.errors import NotDicomError, SeriesError

__all__ = ["decode_slice", "decode_volume", "rescale"]

Float32Array = npt.NDArray[np.float32]
_NOT_DECODER_FAILURES = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)
"""Let through; anything else a decoder raises is damaged data, including the ``pyo3_runtime.PanicException``
(a BaseException) of the Rust decoders (pylibjpeg-rle panics on some malformed RLE segments)."""


def rescale(*, stored: npt.NDArray[np.generic], slope: float, intercept: float) -> npt.NDArray[np.float64]:
    """``stored * slope + intercept`` in float64 (any shape, stored values as decoded)."""
    result: npt.NDArray[np.float64] = stored.astype(np.float64) * slope + intercept
    return result


def _integer(file: SourceFile, keyword: str, uid: str) -> int:
    return int(float_values(file=file, keyword=keyword, count=1, uid=uid)[0])


def _check_length(*, file: SourceFile, uid: str, rows: int, columns: int) -> None:
    """Native (uncompressed) PixelData shorter than the frame it declares means a truncated file."""
    samples = int(file.dataset.get("SamplesPerPixel") or 1)  # absent or empty: the decoder names it
    expected = rows * columns * samples * _integer(file, "BitsAllocated", uid) // 8
    actual = len(file.dataset.PixelData)
    if actual < expected:
        raise NotDicomError(
            f"File {file.name} is truncated: PixelData holds {actual} bytes, {expected} expected.",
            check="truncated",
            uid=uid,
            path=file.name,
        )


def _stored_values(*, file: SourceFile, uid: str) -> npt.NDArray[np.generic]:
    dataset = file.dataset
    syntax = UID(str(dataset.file_meta.TransferSyntaxUID))
    rows, columns = _integer(file, "Rows", uid), _integer(file, "Columns", uid)
    if not syntax.is_encapsulated:
        _check_length(file=file, uid=uid, rows=rows, columns=columns)
    try:
        stored: npt.NDArray[np.generic] = dataset.pixel_array
    except _NOT_DECODER_FAILURES:
        raise
    except BaseException as error:  # a decoder's failure on damaged data, whatever pydicom or its plugin raises
        raise SeriesError(
            f"PixelData of {file.name} ({syntax.name}) cannot be decoded: {error}.",
            check="pixel_data",
            uid=uid,
            path=file.name,
        ) from error
    if stored.shape != (rows, columns):
        raise SeriesError(
            f"PixelData of {file.name} should decode to one {rows}x{columns} frame, got shape {stored.shape}.",
            check="pixel_data",
            uid=uid,
            path=file.name,
        )
    return stored


def decode_slice(*, file: SourceFile, uid: str) -> Float32Array:
    """One slice as ``(y, x) float32`` in the series' units: stored values rescaled with this slice's own slope."""
    stored = _stored_values(file=file, uid=uid)
    slope = float_values(file=file, keyword="RescaleSlope", count=1, uid=uid)[0]
    intercept = float_values(file=file, keyword="RescaleIntercept", count=1, uid=uid)[0]
    return rescale(stored=stored, slope=slope, intercept=intercept).astype(np.float32)


def decode_volume(*, files: Sequence[SourceFile], uid: str) -> Float32Array:
    """The slices ``files`` (already in z order) as one ``(z, y, x) float32`` volume in the series' units."""
    return np.stack([decode_slice(file=file, uid=uid) for file in files]).astype(np.float32, copy=False)
