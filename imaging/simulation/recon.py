"""OSEM reconstruction with attenuation, an additive background and optional resolution modelling.

Forward model per slice (column layout, see :mod:`imaging.simulation.projector`)::

    ȳ = a · (G_s A x) + b

with ``x`` the activity (Bq/ml), ``a`` the multiplicative factor (the level's fraction × ``norm`` × attenuation,
counts per Bq/ml·mm), ``G_s`` the modelled PSF applied in sinogram space and ``b`` the background estimate
(scatter + randoms, counts). The OSEM update for subset ``S`` is::

    x ← x / (Aᵀ_S G_s a_S) · Aᵀ_S G_s (a_S · y_S / ȳ_S)

which keeps ``x ≥ 0``. Because ``a`` includes the level's dose fraction, the output is in Bq/ml at every count
level and for each half-count split: images are quantitatively comparable to the truth and to each other.

The background estimate is the exact expected scatter + randoms of the level (an ideal estimate: no scatter-model
error is simulated). As with any OSEM, non-negativity biases very low-count images: measured at the 1 % level, the
centre of a uniform 20-cm water cylinder reads 7–10 % below its noise-free value (activity moves into the empty
surroundings), while a torso's liver reads up to ~4 % high (v2, up to ~8 % at 0.5 %); at ≥ 5 % the bias is within
about 1–3 %.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.simulation.acquisition import ExpectedData
from imaging.simulation.filters import gaussian_postfilter
from imaging.simulation.projector import Projector, Subset, psf_blur_columns
from imaging.simulation.protocols import ReconProtocol

__all__ = ["osem", "reconstruct"]

FloatArray = npt.NDArray[np.float32]
EPS = np.float32(1e-12)


def reconstruct(
    *, prompts: npt.NDArray[np.int32] | FloatArray, expected: ExpectedData, fraction: float, protocol: ReconProtocol
) -> FloatArray:
    """Reconstruct one dataset of the phantom whose noise-free sinograms are ``expected``.

    Args:
        prompts: ``(z, angles, bins)`` counts of the dataset (int32, or float32 expected counts for a noise-free
            reference).
        expected: the full-count noise-free sinograms (their attenuation, ``norm`` and background are the
            reconstruction's system model and background estimate).
        fraction: the dataset's fraction of the full count level (e.g. 0.25, or 0.125 for a half of 0.25).
        protocol: iterations, subsets, PSF and post-filter.

    Returns:
        ``(z, y, x) float32`` activity concentration, Bq/ml, post-filtered.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"Argument 'fraction' should be in (0, 1], got {fraction}.")
    multiplicative = (fraction * expected.norm) * expected.attenuation
    image = osem(
        prompts=prompts,
        multiplicative=multiplicative,
        background=fraction * expected.background,
        projector=expected.projector,
        protocol=protocol,
        slice_mm=expected.slice_mm,
    )
    spacing = (expected.slice_mm, expected.projector.pixel_mm, expected.projector.pixel_mm)
    return gaussian_postfilter(images=image, fwhm_mm=protocol.postfilter_fwhm_mm, spacing_mm=spacing)


def osem(
    *,
    prompts: npt.NDArray[np.int32] | FloatArray,
    multiplicative: FloatArray,
    background: FloatArray,
    projector: Projector,
    protocol: ReconProtocol,
    slice_mm: float,
) -> FloatArray:
    """OSEM (no post-filter) of ``(z, angles, bins)`` prompts with factors ``a`` and background ``b`` (same shape).

    Returns ``(z, y, x) float32`` in the units that make ``a · A x`` counts (Bq/ml for :func:`reconstruct`).
    """
    shape = (projector.n_angles, projector.n_bins)
    for name, array in (("prompts", prompts), ("multiplicative", multiplicative), ("background", background)):
        if array.ndim != 3 or array.shape[1:] != shape or array.shape[0] != prompts.shape[0]:
            raise ValueError(f"Argument '{name}' should have shape (z, {shape[0]}, {shape[1]}), got {array.shape}.")
    y, a, b = (_columns(array) for array in (prompts, multiplicative, background))
    x = _initial_image(projector=projector, y=y, a=a, b=b)
    subsets = projector.subsets(n_subsets=protocol.subsets)
    blur = _Blur(projector=projector, fwhm_mm=protocol.psf_fwhm_mm, slice_mm=slice_mm)
    sensitivities = [np.asarray(s.matrix_t @ blur.back(a[s.rows]), dtype=np.float32) for s in subsets]
    for _ in range(protocol.iterations):
        for subset, sensitivity in zip(subsets, sensitivities, strict=True):
            x = _update(subset=subset, x=x, y=y, a=a, b=b, sensitivity=sensitivity, blur=blur)
    nz = prompts.shape[0]
    return np.ascontiguousarray(x.T).reshape(nz, *projector.image_shape)


def _update(
    *, subset: Subset, x: FloatArray, y: FloatArray, a: FloatArray, b: FloatArray, sensitivity: FloatArray, blur: _Blur
) -> FloatArray:
    a_s = a[subset.rows]
    ybar = a_s * blur.forward(subset.matrix @ x) + b[subset.rows]
    ratio = a_s * y[subset.rows] / np.maximum(ybar, EPS)
    correction = subset.matrix_t @ blur.back(ratio)
    return np.asarray(x * correction / np.maximum(sensitivity, EPS), dtype=np.float32)


def _initial_image(*, projector: Projector, y: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """A uniform image per slice whose predicted trues match the measured net counts."""
    ones = np.ones((projector.matrix.shape[1], y.shape[1]), dtype=np.float32)
    predicted = (a * (projector.matrix @ ones)).sum(axis=0)
    net = np.maximum((y - b).sum(axis=0), 0.0)
    level = np.where(predicted > 0, net / np.maximum(predicted, EPS), 0.0)
    return (ones * np.maximum(level, 1e-6)[None, :]).astype(np.float32)


def _columns(array: npt.NDArray[np.generic]) -> FloatArray:
    """``(z, angles, bins)`` → ``(angles * bins, z) float32`` column layout."""
    return np.ascontiguousarray(array.reshape(array.shape[0], -1).T, dtype=np.float32)


class _Blur:
    """The modelled PSF in sinogram space (its own adjoint up to the axial end slices)."""

    def __init__(self, *, projector: Projector, fwhm_mm: float, slice_mm: float) -> None:
        self._n_bins = projector.n_bins
        self._pixel_mm = projector.pixel_mm
        self._fwhm_mm = fwhm_mm
        self._slice_mm = slice_mm

    def forward(self, columns: FloatArray) -> FloatArray:
        return psf_blur_columns(
            columns=np.asarray(columns, dtype=np.float32),
            n_bins=self._n_bins,
            fwhm_mm=self._fwhm_mm,
            pixel_mm=self._pixel_mm,
            slice_mm=self._slice_mm,
        )

    back = forward
