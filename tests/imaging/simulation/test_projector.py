"""The sparse parallel-beam system matrix: adjointness, line integrals, PSF, subsets, caching."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage as ndi

from imaging.simulation import projector as projector_module
from imaging.simulation.projector import back, build_projector, forward


def test_all_names_exported() -> None:
    assert set(projector_module.__all__) <= set(dir(projector_module))


def test_back_is_the_adjoint_of_forward() -> None:
    proj = build_projector(image_shape=(24, 20), pixel_mm=3.0)
    rng = np.random.default_rng(1)
    x = rng.random((3, 24, 20), dtype=np.float32)
    y = rng.random((3, proj.n_angles, proj.n_bins), dtype=np.float32)
    lhs = float(np.vdot(forward(projector=proj, images=x).astype(np.float64), y))
    rhs = float(np.vdot(x, back(projector=proj, sinograms=y).astype(np.float64)))
    assert lhs == pytest.approx(rhs, rel=1e-5)


def test_in_plane_psf_keeps_back_the_adjoint() -> None:
    proj = build_projector(image_shape=(24, 24), pixel_mm=3.0)
    rng = np.random.default_rng(2)
    x = rng.random((1, 24, 24), dtype=np.float32)
    y = rng.random((1, proj.n_angles, proj.n_bins), dtype=np.float32)
    ax = forward(projector=proj, images=x, psf_fwhm_mm=7.0)
    aty = back(projector=proj, sinograms=y, psf_fwhm_mm=7.0)
    assert float(np.vdot(ax.astype(np.float64), y)) == pytest.approx(
        float(np.vdot(x, aty.astype(np.float64))), rel=1e-5
    )


def test_every_angle_sees_the_whole_image_mass() -> None:
    proj = build_projector(image_shape=(32, 32), pixel_mm=2.5)
    image = np.random.default_rng(3).random((2, 32, 32), dtype=np.float32)
    sino = forward(projector=proj, images=image)
    per_angle = sino.sum(axis=2)
    expected = image.sum(axis=(1, 2)) * 2.5
    np.testing.assert_allclose(per_angle, np.broadcast_to(expected[:, None], per_angle.shape), rtol=1e-4)


def test_central_line_integral_of_a_uniform_disc_is_its_diameter() -> None:
    n, pixel_mm, radius_mm, mu = 64, 4.0, 100.0, 0.0096
    c = (np.arange(n) - (n - 1) / 2) * pixel_mm
    yy, xx = np.meshgrid(c, c, indexing="ij")
    disc = np.where(xx**2 + yy**2 <= radius_mm**2, mu, 0.0).astype(np.float32)[None]
    proj = build_projector(image_shape=(n, n), pixel_mm=pixel_mm)
    sino = forward(projector=proj, images=disc)
    centre = sino[0, :, proj.n_bins // 2 - 1 : proj.n_bins // 2 + 1].mean(axis=1)
    np.testing.assert_allclose(centre, 2 * radius_mm * mu, rtol=0.03)


def test_sinogram_psf_equals_image_space_blur_then_projection() -> None:
    proj = build_projector(image_shape=(48, 48), pixel_mm=2.0)
    image = np.zeros((15, 48, 48), dtype=np.float32)
    image[7, 20, 27] = 1000.0
    fwhm_mm = 8.0
    sigma = fwhm_mm / (2 * math.sqrt(2 * math.log(2))) / 2.0
    blurred_image = ndi.gaussian_filter(image, sigma, mode="constant")
    via_image = forward(projector=proj, images=blurred_image)
    via_sino = forward(projector=proj, images=image, psf_fwhm_mm=fwhm_mm, slice_mm=2.0)
    assert np.abs(via_sino - via_image).max() < 0.03 * via_image.max()
    assert via_sino.sum() == pytest.approx(via_image.sum(), rel=1e-3)


def test_projector_is_cached_per_shape_and_pixel_size() -> None:
    first = build_projector(image_shape=(16, 16), pixel_mm=4.0)
    assert build_projector(image_shape=(16, 16), pixel_mm=4.0) is first
    assert build_projector(image_shape=(16, 16), pixel_mm=2.0) is not first
    assert first.subsets(n_subsets=4) is first.subsets(n_subsets=4)


def test_subsets_interleave_and_partition_the_angles() -> None:
    proj = build_projector(image_shape=(16, 16), pixel_mm=4.0, n_angles=12)
    subsets = proj.subsets(n_subsets=4)
    assert [s.angles.tolist() for s in subsets] == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    assert sorted(np.concatenate([s.rows for s in subsets]).tolist()) == list(range(proj.n_rows))
    stacked = np.vstack([s.matrix.toarray() for s in subsets])
    order = np.concatenate([s.rows for s in subsets])
    np.testing.assert_array_equal(stacked, proj.matrix.toarray()[order])
    np.testing.assert_array_equal(subsets[1].matrix_t.toarray(), subsets[1].matrix.toarray().T)


def test_errors_name_the_argument() -> None:
    proj = build_projector(image_shape=(16, 16), pixel_mm=4.0)
    with pytest.raises(ValueError, match="Argument 'images'"):
        forward(projector=proj, images=np.zeros((2, 16, 15), dtype=np.float32))
    with pytest.raises(ValueError, match="Argument 'sinograms'"):
        back(projector=proj, sinograms=np.zeros((2, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="Argument 'pixel_mm'"):
        build_projector(image_shape=(16, 16), pixel_mm=0.0)
    with pytest.raises(ValueError, match="Argument 'n_subsets'"):
        proj.subsets(n_subsets=proj.n_angles + 1)
