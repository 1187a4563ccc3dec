"""One display window for the images of a report: chosen on the input, applied to the input and the output alike,
so that a denoiser that lowers a hot spot shows it as paler, not re-stretched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_PERCENTILE", "Window", "apply_window", "shared_window"]

DEFAULT_PERCENTILE = 99.9
"""The window's top, as a percentile of the input's voxels: a few hottest voxels saturate, the rest keeps grey."""


@dataclass(frozen=True, kw_only=True)
class Window:
    """Voxel values from ``low`` (white, when inverted) to ``high`` (black), in the volume's unit."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.high > self.low):
            raise ValueError(
                f"Arguments 'low' and 'high' should be finite with high > low, got {self.low}, {self.high}."
            )


def shared_window(*, voxels: npt.NDArray[np.floating], percentile: float = DEFAULT_PERCENTILE) -> Window:
    """``0 .. percentile`` of ``voxels`` (the input, ``(z, y, x)`` any unit); the maximum when that percentile is
    not above 0, and ``0 .. 1`` for a volume with nothing above 0."""
    if not 0 < percentile <= 100:
        raise ValueError(f"Argument 'percentile' should be in (0, 100], got {percentile}.")
    finite = np.asarray(voxels, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return Window(low=0.0, high=1.0)
    high = float(np.percentile(finite, percentile))
    if high <= 0:
        high = float(np.max(finite))
    return Window(low=0.0, high=high if high > 0 else 1.0)


def apply_window(*, image: npt.NDArray[np.floating], window: Window, invert: bool = True) -> npt.NDArray[np.uint8]:
    """``image`` (any shape, the window's unit) as ``uint8`` grey levels: ``low`` → 0 and ``high`` → 255, clipped;
    ``invert`` (as PET readers like: hot is black on white) maps ``low`` → 255 and ``high`` → 0. NaN is ``low``."""
    scaled = (np.nan_to_num(np.asarray(image, dtype=np.float64), nan=window.low) - window.low) / (
        window.high - window.low
    )
    levels = np.rint(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.asarray(255 - levels, dtype=np.uint8) if invert else levels
