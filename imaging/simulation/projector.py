"""Parallel-beam 2D PET system model: a sparse projection matrix applied slice by slice.

Each transverse slice is an independent 2D problem. The system matrix ``A`` maps one ``(y, x)`` image to one
``(angles, bins)`` sinogram; its entries are line-integral weights in mm (distance-driven footprint: each pixel
projects as a box of width ``pixel * (|cos θ| + |sin θ|)``, shared among the detector bins it overlaps), so
``A @ mu`` (mu in 1/mm) is the dimensionless attenuation line integral and ``A @ activity`` is in Bq/ml·mm.

Geometry: angles ``θ_k = k π / n_angles``; radial coordinate ``s = x cos θ + y sin θ`` measured from the image
centre; bins are ``pixel_mm`` wide and cover the image diagonal so no pixel falls outside the field of view.
Sinogram rows are ordered ``angle * n_bins + bin``; image columns ``y * nx + x``.

All slices are projected at once as one sparse × dense product: images are laid out as ``(n_pix, n_slices)``
and sinograms as ``(n_angles * n_bins, n_slices)`` ("column layout"), which the OSEM loop uses directly.

Resolution (PSF) modelling: an isotropic 3D Gaussian blur ``G`` in image space. Because the projection of an
isotropic 2D Gaussian convolution is the 1D Gaussian convolution of the projection along ``s``, ``A G`` is applied
as ``A`` followed by a 1D Gaussian along the bins (in-plane part) and along the slices (axial part), which is
much cheaper than blurring the image. The axial part reflects at the first and last slice, so the PSF back-projection
is the exact adjoint in-plane and a close approximation to it on the two end slices.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi
import scipy.sparse as sp

__all__ = [
    "Projector",
    "Subset",
    "back",
    "build_projector",
    "forward",
    "psf_blur_columns",
]

FloatArray = npt.NDArray[np.float32]

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True, eq=False)
class Subset:
    """Rows of the system matrix for one ordered subset of interleaved angles.

    Attributes:
        angles: indices of the subset's angles, ``k, k + n_subsets, ...``.
        rows: sinogram row indices (``angle * n_bins + bin``) of those angles.
        matrix: ``(len(rows), n_pix)`` CSR float32, line-integral weights in mm.
        matrix_t: its transpose, CSR (for fast back-projection).
    """

    angles: npt.NDArray[np.intp]
    rows: npt.NDArray[np.intp]
    matrix: sp.csr_matrix
    matrix_t: sp.csr_matrix


@dataclass(frozen=True, eq=False)
class Projector:
    """The system matrix for one image shape and pixel size (build with :func:`build_projector`, cached).

    Attributes:
        image_shape: ``(ny, nx)`` of one slice.
        pixel_mm: in-plane pixel size, mm (square pixels); also the bin width.
        n_angles: number of projection angles over 180°.
        n_bins: number of radial bins.
        matrix: ``(n_angles * n_bins, ny * nx)`` CSR float32, mm.
        matrix_t: its transpose, CSR.
    """

    image_shape: tuple[int, int]
    pixel_mm: float
    n_angles: int
    n_bins: int
    matrix: sp.csr_matrix
    matrix_t: sp.csr_matrix

    @property
    def n_rows(self) -> int:
        """Number of sinogram bins per slice, ``n_angles * n_bins``."""
        return self.n_angles * self.n_bins

    def subsets(self, *, n_subsets: int) -> tuple[Subset, ...]:
        """The ordered subsets of interleaved angles (subset ``k`` holds angles ``k, k + n_subsets, ...``)."""
        return _subsets(self, n_subsets)


def build_projector(*, image_shape: tuple[int, int], pixel_mm: float, n_angles: int | None = None) -> Projector:
    """Build (or fetch from the cache) the system matrix for ``(ny, nx)`` slices of ``pixel_mm`` pixels.

    Args:
        image_shape: ``(ny, nx)`` voxels of one transverse slice.
        pixel_mm: in-plane pixel size in mm.
        n_angles: projection angles over 180°; default ``ceil(n_bins / 2)``, rounded up to a multiple of 8 so
            common subset counts divide it.
    """
    ny, nx = (int(n) for n in image_shape)
    if ny < 2 or nx < 2:
        raise ValueError(f"Argument 'image_shape' should be at least (2, 2), got {image_shape}.")
    if not pixel_mm > 0:
        raise ValueError(f"Argument 'pixel_mm' should be positive, got {pixel_mm}.")
    if n_angles is not None and n_angles < 1:
        raise ValueError(f"Argument 'n_angles' should be positive, got {n_angles}.")
    return _build(ny, nx, float(pixel_mm), n_angles)


@functools.lru_cache(maxsize=8)
def _build(ny: int, nx: int, pixel_mm: float, n_angles: int | None) -> Projector:
    n_bins = math.ceil(math.hypot(ny, nx)) + 2
    if n_angles is None:
        n_angles = 8 * math.ceil(n_bins / 16)
    yy, xx = np.meshgrid(np.arange(ny) - (ny - 1) / 2, np.arange(nx) - (nx - 1) / 2, indexing="ij")
    pix = np.arange(ny * nx)
    rows, cols, vals = [], [], []
    for k in range(n_angles):
        theta = math.pi * k / n_angles
        c, s = math.cos(theta), math.sin(theta)
        centre = (xx * c + yy * s).ravel() + (n_bins - 1) / 2
        half = (abs(c) + abs(s)) / 2
        lo, hi = centre - half, centre + half
        first = np.floor(lo + 0.5).astype(np.intp)
        for offset in range(3):
            b = first + offset
            overlap = np.minimum(hi, b + 0.5) - np.maximum(lo, b - 0.5)
            keep = overlap > 1e-9
            rows.append(k * n_bins + b[keep])
            cols.append(pix[keep])
            vals.append(overlap[keep] / (2 * half) * pixel_mm)
    coo = sp.coo_matrix(
        (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_angles * n_bins, ny * nx),
    )
    matrix = sp.csr_matrix(coo)
    return Projector((ny, nx), pixel_mm, n_angles, n_bins, matrix, sp.csr_matrix(matrix.T))


@functools.lru_cache(maxsize=16)
def _subsets(projector: Projector, n_subsets: int) -> tuple[Subset, ...]:
    if not 1 <= n_subsets <= projector.n_angles:
        raise ValueError(f"Argument 'n_subsets' should be in [1, {projector.n_angles}], got {n_subsets}.")
    out = []
    for k in range(n_subsets):
        angles = np.arange(k, projector.n_angles, n_subsets)
        rows = (angles[:, None] * projector.n_bins + np.arange(projector.n_bins)[None, :]).ravel()
        matrix = sp.csr_matrix(projector.matrix[rows])
        out.append(Subset(angles, rows, matrix, sp.csr_matrix(matrix.T)))
    return tuple(out)


def psf_blur_columns(
    *, columns: FloatArray, n_bins: int, fwhm_mm: float, pixel_mm: float, slice_mm: float
) -> FloatArray:
    """Apply the isotropic 3D Gaussian PSF to sinograms in column layout.

    Args:
        columns: ``(n_rows, n_slices) float32`` sinograms, rows ``angle * n_bins + bin``.
        n_bins: radial bins per angle.
        fwhm_mm: PSF full width at half maximum, mm; 0 leaves the data unchanged.
        pixel_mm: bin width, mm.
        slice_mm: slice spacing, mm.

    Returns:
        ``(n_rows, n_slices) float32``, blurred along bins (in-plane PSF) and slices (axial PSF).
    """
    if fwhm_mm <= 0:
        return columns
    sigma_bins = fwhm_mm / FWHM_PER_SIGMA / pixel_mm
    sigma_z = fwhm_mm / FWHM_PER_SIGMA / slice_mm
    cube = columns.reshape(-1, n_bins, columns.shape[1])
    out = ndi.gaussian_filter1d(cube, sigma_bins, axis=1, mode="constant")
    if columns.shape[1] > 1:
        out = ndi.gaussian_filter1d(out, sigma_z, axis=2, mode="reflect")
    return np.ascontiguousarray(out.reshape(columns.shape), dtype=np.float32)


def forward(*, projector: Projector, images: FloatArray, psf_fwhm_mm: float = 0.0, slice_mm: float = 1.0) -> FloatArray:
    """Project every slice: ``(z, y, x) float32`` (e.g. Bq/ml or 1/mm) → ``(z, angles, bins) float32`` × mm.

    ``psf_fwhm_mm > 0`` blurs with the isotropic Gaussian PSF first (``A G``); ``slice_mm`` is then the slice
    spacing used for its axial part.
    """
    nz = _check_images(projector, images)
    columns = np.ascontiguousarray(images.reshape(nz, -1).T, dtype=np.float32)
    sino = np.asarray(projector.matrix @ columns, dtype=np.float32)
    sino = psf_blur_columns(
        columns=sino, n_bins=projector.n_bins, fwhm_mm=psf_fwhm_mm, pixel_mm=projector.pixel_mm, slice_mm=slice_mm
    )
    return np.ascontiguousarray(sino.T).reshape(nz, projector.n_angles, projector.n_bins)


def back(*, projector: Projector, sinograms: FloatArray, psf_fwhm_mm: float = 0.0, slice_mm: float = 1.0) -> FloatArray:
    """Back-project every slice (the adjoint ``G Aᵀ``): ``(z, angles, bins) float32`` → ``(z, y, x) float32``."""
    expected = (projector.n_angles, projector.n_bins)
    if sinograms.ndim != 3 or sinograms.shape[1:] != expected:
        raise ValueError(
            f"Argument 'sinograms' should have shape (z, {expected[0]}, {expected[1]}), got {sinograms.shape}."
        )
    nz = sinograms.shape[0]
    columns = np.ascontiguousarray(sinograms.reshape(nz, -1).T, dtype=np.float32)
    columns = psf_blur_columns(
        columns=columns, n_bins=projector.n_bins, fwhm_mm=psf_fwhm_mm, pixel_mm=projector.pixel_mm, slice_mm=slice_mm
    )
    images = np.asarray(projector.matrix_t @ columns, dtype=np.float32)
    return np.ascontiguousarray(images.T).reshape(nz, *projector.image_shape)


def _check_images(projector: Projector, images: FloatArray) -> int:
    if images.ndim != 3 or images.shape[1:] != projector.image_shape:
        raise ValueError(
            f"Argument 'images' should have shape (z, {projector.image_shape[0]}, {projector.image_shape[1]}), "
            f"got {images.shape}."
        )
    return int(images.shape[0])
