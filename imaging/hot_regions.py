"""The hottest separated spots of a volume, each with its region: where the uncertainty summary reads the map.

1. ``smoothed = G_σ(voxels)``, σ = 1 voxel, so that a single noisy voxel does not make a peak.
2. Candidates: voxels of ``body`` where ``smoothed`` is positive and equals its maximum over the 3×3×3
   neighbourhood (local maxima; a flat top gives several, which step 3 thins out).
3. From the hottest candidate down, a candidate is taken unless it lies within ``half_box`` voxels (along every
   axis) of a peak already taken; at most ``count`` are taken.
4. Each peak's region: the voxels of ``smoothed ≥ fraction × peak`` connected (faces) to the peak, inside the
   box of ``±half_box`` voxels around it and inside ``body``. The box keeps a large hot organ (bladder, brain)
   from becoming one region of thousands of voxels; a hot spot bigger than the box is cut at it.

The volume is typically the denoised output (Bq/ml); the spots are its hottest structures, lesions or hot organs.
Pure numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

__all__ = ["HALF_BOX_VOXELS", "PEAK_FRACTION", "PEAK_SIGMA_VOXELS", "HotRegion", "hottest_regions"]

PEAK_SIGMA_VOXELS = 1.0
"""σ of the Gaussian that smooths the volume before peaks are looked for, voxels."""
PEAK_FRACTION = 0.5
"""A region holds the connected voxels at or above this fraction of its (smoothed) peak."""
HALF_BOX_VOXELS = 7
"""Half side of the box around a peak that bounds its region, and the least separation of two peaks, voxels."""


@dataclass(frozen=True, kw_only=True)
class HotRegion:
    """One hot spot.

    Attributes:
        peak_voxel: ``(z, y, x)`` index of its peak.
        peak: the smoothed volume's value there (the volume's unit).
        box: the ``(z, y, x)`` slices of the box around the peak, clipped to the volume.
        mask: bool, the shape of the box: the region's voxels within it.
    """

    peak_voxel: tuple[int, int, int]
    peak: float
    box: tuple[slice, slice, slice]
    mask: npt.NDArray[np.bool_]

    @property
    def voxels(self) -> int:
        """Number of voxels in the region."""
        return int(np.count_nonzero(self.mask))

    def values(self, volume: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
        """The region's voxels of ``volume`` (any ``(z, y, x)`` array of the searched volume's shape), 1D."""
        return np.asarray(volume[self.box][self.mask])


def _check(voxels: npt.NDArray[np.floating], body: npt.NDArray[np.bool_]) -> None:
    if voxels.ndim != 3:
        raise ValueError(f"Argument 'voxels' should be a 3D (z, y, x) array, got shape {voxels.shape}.")
    if body.shape != voxels.shape:
        raise ValueError(f"Argument 'body' should have the shape of 'voxels' {voxels.shape}, got {body.shape}.")


def _candidates(smoothed: npt.NDArray[np.float32], body: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Flat indices of the local maxima of ``smoothed`` in ``body``, hottest first (ties by index)."""
    peaks = (smoothed == ndi.maximum_filter(smoothed, size=3, mode="nearest")) & body & (smoothed > 0)
    found = np.flatnonzero(peaks)
    return found[np.argsort(-smoothed.ravel()[found], kind="stable")]


def _box(peak: tuple[int, int, int], half_box: int) -> tuple[slice, slice, slice]:
    z, y, x = (slice(max(0, c - half_box), c + half_box + 1) for c in peak)
    return z, y, x


def _region(
    *, smoothed: npt.NDArray[np.float32], body: npt.NDArray[np.bool_], peak: tuple[int, int, int], fraction: float,
    half_box: int,
) -> HotRegion:  # fmt: skip
    """The connected voxels of ``smoothed ≥ fraction × peak value`` holding ``peak``, within its box and ``body``."""
    box = _box(peak, half_box)
    inside = (smoothed[box] >= fraction * smoothed[peak]) & body[box]
    labels, _ = ndi.label(inside)
    local = tuple(c - part.start for c, part in zip(peak, box, strict=True))
    return HotRegion(peak_voxel=peak, peak=float(smoothed[peak]), box=box, mask=labels == labels[local])


def hottest_regions(
    *,
    voxels: npt.NDArray[np.floating],
    body: npt.NDArray[np.bool_],
    count: int = 5,
    sigma_voxels: float = PEAK_SIGMA_VOXELS,
    fraction: float = PEAK_FRACTION,
    half_box: int = HALF_BOX_VOXELS,
) -> list[HotRegion]:
    """Up to ``count`` hottest separated spots of ``voxels`` ``(z, y, x)`` (any unit) inside ``body`` (same shape,
    bool), hottest first, each with its region (module docstring). Fewer when the body has fewer separated peaks;
    none for a volume with nothing above 0 in the body."""
    _check(voxels, body)
    if count < 0 or not 0 < fraction <= 1 or half_box < 1:
        raise ValueError(
            f"Arguments need count ≥ 0, 0 < fraction ≤ 1 and half_box ≥ 1, got {count}, {fraction}, {half_box}."
        )
    smoothed = ndi.gaussian_filter(np.asarray(voxels, dtype=np.float32), sigma_voxels, mode="nearest")
    regions: list[HotRegion] = []
    for flat in _candidates(smoothed, body):
        if len(regions) == count:
            break
        z, y, x = (int(c) for c in np.unravel_index(int(flat), smoothed.shape))
        if any(max(abs(z - a), abs(y - b), abs(x - c)) <= half_box for a, b, c in (r.peak_voxel for r in regions)):
            continue
        regions.append(_region(smoothed=smoothed, body=body, peak=(z, y, x), fraction=fraction, half_box=half_box))
    return regions
