"""Per-slice int16 encoding of float voxels with Rescale Slope, as PET Image storage needs it.

Each slice gets its own Rescale Slope ``max|slice| / 32767`` and Rescale Intercept 0 (the PET Image module requires
an intercept of 0; it also lets negative values survive). The slope is first written as the Decimal String that
goes into the file, and the stored integers are computed with the value parsed back from that string, so a reader
applying the DS gets exactly what the writer meant. Worst-case error per voxel: half a slope step, i.e.
``max|slice| / 65534`` (more than 4 significant digits of the slice maximum), plus float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.dicom.modules import ds_string

__all__ = ["INT16_MAX", "EncodedSlices", "decode_slices", "encode_slices"]

INT16_MAX = 32767


@dataclass(frozen=True, kw_only=True)
class EncodedSlices:
    """Stored values and their per-slice rescale.

    Attributes:
        stored: ``(z, y, x) int16`` stored pixel values.
        slopes: ``(z,) float64`` Rescale Slope of each slice, exactly the value of ``slope_strings``.
        slope_strings: the Rescale Slope of each slice as written (DS, at most 16 characters).
        intercepts: ``(z,) float64`` Rescale Intercept of each slice (always 0).
    """

    stored: npt.NDArray[np.int16]
    slopes: npt.NDArray[np.float64]
    slope_strings: tuple[str, ...]
    intercepts: npt.NDArray[np.float64]


def _slice_slope(*, peak: float) -> tuple[str, float]:
    """The DS string and its exact value for a slice whose largest magnitude is ``peak`` (pixel units)."""
    if peak == 0.0:
        return "1", 1.0
    text = ds_string(peak / INT16_MAX)
    return text, float(text)


def encode_slices(*, voxels: npt.NDArray[np.float32]) -> EncodedSlices:
    """Encode ``voxels`` as int16 with one Rescale Slope per slice.

    Args:
        voxels: ``(z, y, x) float32`` pixel values in their units (e.g. Bq/ml); finite, may be negative.

    Returns:
        The int16 stored values with per-slice slopes (intercepts 0): ``stored * slope ≈ voxels`` within
        ``max|slice| / 65534`` per voxel (plus float32 rounding).
    """
    if not isinstance(voxels, np.ndarray) or voxels.ndim != 3:
        raise ValueError(f"Argument 'voxels' should be a 3D (z, y, x) array, got {getattr(voxels, 'shape', voxels)}.")
    if voxels.dtype != np.float32:
        raise ValueError(f"Argument 'voxels' should be float32, got {voxels.dtype}.")
    if not np.all(np.isfinite(voxels)):
        raise ValueError("Argument 'voxels' should hold finite values only, found NaN or infinity.")
    peaks = np.max(np.abs(voxels), axis=(1, 2)).astype(np.float64) if voxels.size else np.zeros(voxels.shape[0])
    pairs = [_slice_slope(peak=float(peak)) for peak in peaks]
    slopes = np.array([slope for _, slope in pairs], dtype=np.float64)
    scaled = np.rint(voxels.astype(np.float64) / slopes[:, None, None])
    # A 16-character DS keeps >= 10 significant digits, so |scaled| exceeds 32767 by far less than 0.5: the clip
    # only guards the cast.
    stored = np.clip(scaled, -INT16_MAX, INT16_MAX).astype(np.int16)
    return EncodedSlices(
        stored=stored,
        slopes=slopes,
        slope_strings=tuple(text for text, _ in pairs),
        intercepts=np.zeros(voxels.shape[0], dtype=np.float64),
    )


def decode_slices(*, encoded: EncodedSlices) -> npt.NDArray[np.float32]:
    """Inverse of :func:`encode_slices`: ``(z, y, x) float32`` pixel values ``stored * slope + intercept``."""
    values = encoded.stored.astype(np.float64) * encoded.slopes[:, None, None] + encoded.intercepts[:, None, None]
    return values.astype(np.float32)
