"""QC of a denoised volume: body mask, uniform region, CoV, activity ratio and SUVmax on small synthetic volumes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import ndimage

from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units
from workers.pipeline import qc
from workers.pipeline.qc import UniformRegion, body_mask, find_uniform_region, quality_control, region_cov

SPACING = (4.0, 4.0, 4.0)


def _volume(voxels: np.ndarray, *, factor: float | None = 0.5, units: Units = Units.BQML) -> PetVolume:
    nz = voxels.shape[0]
    geometry = Geometry(
        origin_mm=(0.0, 0.0, 0.0),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=SPACING,
        slice_positions_mm=tuple(4.0 * k for k in range(nz)),
    )
    uids = SeriesUids(
        study_uid="1.2", series_uid="1.2.3", frame_of_reference_uid=None, sop_class_uid="", sop_instance_uids=()
    )
    suv = SuvFactor(factor=factor, reason=None if factor is not None else "no dose")
    return PetVolume(voxels=voxels.astype(np.float32), geometry=geometry, units=units, suv=suv, uids=uids)


def _cube(shape: int = 40, low: int = 10, high: int = 30) -> np.ndarray:
    voxels = np.zeros((shape, shape, shape), dtype=np.float32)
    voxels[low:high, low:high, low:high] = 1.0
    return voxels


def test_body_mask_covers_the_object_and_a_thin_margin() -> None:
    voxels = _cube()
    body = body_mask(voxels=voxels)
    inside = voxels > 0
    assert body[inside].all()
    assert body[20, 20, 10 - 1] and body[20, 20, 30]  # the blurred edge is in: σ = 2 voxels, 10 % threshold
    far = ndimage.distance_transform_edt(~inside) >= 4  # 4 voxels ≈ 2σ out: blurred value < 3 %
    assert not body[far].any()


@pytest.mark.parametrize(("spacing", "expected"), [((4.0, 4.0, 4.0), (7, 7, 7)), ((3.27, 5.47, 5.47), (9, 5, 5))])
def test_window_is_about_30_mm_odd_and_at_least_3(
    spacing: tuple[float, float, float], expected: tuple[int, ...]
) -> None:
    assert qc.window_voxels(spacing_mm=spacing) == expected
    assert qc.window_voxels(spacing_mm=(20.0, 40.0, 100.0)) == (3, 3, 3)


def test_region_cov_of_a_hand_computed_box() -> None:
    voxels = np.zeros((5, 5, 5), dtype=np.float32)
    voxels[1:4, 1:4, 1:4] = 10.0
    voxels[2, 2, 2] = 37.0  # 26 voxels of 10 and one of 37: mean 11, SD (N-1) = sqrt((26 + 26²) / 26) = sqrt(27)
    region = UniformRegion(centre_voxel=(2, 2, 2), size_voxels=(3, 3, 3), spacing_mm=SPACING)
    assert region_cov(voxels=voxels, region=region) == pytest.approx(math.sqrt(27.0) / 11.0, rel=1e-6)
    assert region.size_mm == (12.0, 12.0, 12.0)
    assert region.mask(shape=voxels.shape).sum() == 27


def test_region_cov_is_none_without_positive_mean() -> None:
    region = UniformRegion(centre_voxel=(1, 1, 1), size_voxels=(3, 3, 3), spacing_mm=SPACING)
    assert region_cov(voxels=np.zeros((3, 3, 3), dtype=np.float32), region=region) is None


def _noisy_body_with_planted_block(rng: np.random.Generator) -> tuple[np.ndarray, tuple[slice, ...]]:
    """48³ voxels of 4 mm: noisy activity everywhere, one noise-free 22³ block of the same mean."""
    voxels = rng.normal(1.0, 0.3, size=(48, 48, 48)).astype(np.float32)
    block = (slice(20, 42), slice(4, 26), slice(14, 36))
    voxels[block] = 1.0
    return voxels, block


def test_uniform_region_finds_the_planted_block() -> None:
    voxels, block = _noisy_body_with_planted_block(np.random.default_rng(7))
    body = np.ones(voxels.shape, dtype=np.bool_)
    region = find_uniform_region(voxels=voxels, body=body, spacing_mm=SPACING)
    assert region is not None
    assert region.size_voxels == (7, 7, 7)
    inside = np.zeros(voxels.shape, dtype=np.bool_)
    inside[block] = True
    assert inside[region.mask(shape=voxels.shape)].all()
    assert region_cov(voxels=voxels, region=region) == pytest.approx(0.0, abs=1e-6)


def test_uniform_region_needs_the_window_inside_the_body() -> None:
    voxels, _ = _noisy_body_with_planted_block(np.random.default_rng(7))
    body = np.ones(voxels.shape, dtype=np.bool_)
    body[30, :, :] = False  # a cut through the middle of the block, where the best window would be
    region = find_uniform_region(voxels=voxels, body=body, spacing_mm=SPACING)
    assert region is not None
    assert not region.mask(shape=voxels.shape)[30].any()


def test_uniform_region_ignores_cold_regions() -> None:
    voxels, block = _noisy_body_with_planted_block(np.random.default_rng(7))
    voxels[block] = 0.2  # uniform but below half the activity scale
    region = find_uniform_region(voxels=voxels, body=np.ones(voxels.shape, dtype=np.bool_), spacing_mm=SPACING)
    assert region is not None
    assert not region.mask(shape=voxels.shape)[block].all()


def test_uniform_region_ignores_hot_organs() -> None:
    rng = np.random.default_rng(7)
    voxels = rng.normal(1.0, 0.3, size=(48, 48, 48)).astype(np.float32)
    voxels[:, :, 24:] *= 1.5  # the typical tissue: activity scale ≈ 1.6
    block = (slice(20, 30), slice(4, 14), slice(4, 14))
    voxels[block] = 6.0  # uniform but hotter than twice the activity scale, like a full bladder
    region = find_uniform_region(voxels=voxels, body=np.ones(voxels.shape, dtype=np.bool_), spacing_mm=SPACING)
    assert region is not None
    assert not region.mask(shape=voxels.shape)[block].any()


def test_no_uniform_region_in_a_volume_smaller_than_the_window() -> None:
    voxels = np.ones((5, 40, 40), dtype=np.float32)
    assert find_uniform_region(voxels=voxels, body=np.ones(voxels.shape, dtype=np.bool_), spacing_mm=SPACING) is None
    result = quality_control(before=_volume(voxels), after=_volume(voxels))
    assert result["noise_cov_in"] is None and result["noise_cov_out"] is None
    assert result["uniform_region"]["centre_voxel"] is None
    assert "30 mm window" in result["uniform_region"]["reason"]


def test_quality_control_hand_computed_values() -> None:
    voxels = _cube()
    voxels[20, 20, 20] = 8.0  # hot spot
    before = _volume(voxels, factor=0.5)
    after = dataclasses.replace(before, voxels=(voxels * 2.0).astype(np.float32))
    result = quality_control(before=before, after=after)
    assert result["max_bqml_in"] == 8.0 and result["max_bqml_out"] == 16.0
    assert result["suvmax_in"] == 4.0 and result["suvmax_out"] == 8.0
    assert result["suvmean_ratio_body"] == pytest.approx(2.0)
    assert result["noise_cov_in"] == pytest.approx(result["noise_cov_out"])  # CoV does not change with scale
    assert result["uniform_region"]["size_voxels"] == [7, 7, 7]
    assert result["body_volume_ml"] == pytest.approx(result["body_voxels"] * 0.064)


def test_quality_control_without_suv_factor_or_bqml() -> None:
    voxels = _cube()
    result = quality_control(before=_volume(voxels, factor=None), after=_volume(voxels, factor=None))
    assert result["suvmax_in"] is None and result["suvmax_out"] is None
    assert result["suv_reason"] == "no dose" and result["max_bqml_in"] == 1.0
    counts = quality_control(before=_volume(voxels, units=Units.CNTS), after=_volume(voxels, units=Units.CNTS))
    assert counts["max_bqml_in"] is None and counts["units"] == "CNTS"


def test_quality_control_of_an_empty_volume_has_no_ratio() -> None:
    empty = _volume(np.zeros((10, 10, 10), dtype=np.float32))
    result = quality_control(before=empty, after=empty)
    assert result["suvmean_ratio_body"] is None and result["body_voxels"] == 0


def test_quality_control_rejects_different_shapes() -> None:
    with pytest.raises(ValueError, match="Arguments 'before' and 'after'"):
        quality_control(before=_volume(_cube()), after=_volume(_cube(shape=30)))


def _whole_volume_choice(voxels: np.ndarray, body: np.ndarray, spacing: tuple[float, float, float]) -> tuple[int, ...]:
    """The uniform region's centre as chosen over the whole volume, the body box not used (the reference)."""
    values = voxels.astype(np.float64)
    size = qc.window_voxels(spacing_mm=spacing)
    sigma = [qc.SELECTION_FWHM_MM / (2.0 * math.sqrt(2.0 * math.log(2.0))) / s for s in spacing]
    smooth = ndimage.gaussian_filter(values, sigma, mode="nearest")
    mean = ndimage.uniform_filter(smooth, size=size, mode="constant")
    square = ndimage.uniform_filter(smooth * smooth, size=size, mode="constant")
    cov = np.sqrt(np.maximum(square - mean * mean, 0.0)) / np.where(mean > 0, mean, np.nan)
    inside = ndimage.uniform_filter(body.astype(np.float64), size=size, mode="constant") > 1.0 - 1e-6
    scale = qc.activity_scale(voxels=voxels)
    candidates = inside & (mean >= qc.REGION_MIN_FRACTION * scale) & (mean <= qc.REGION_MAX_FRACTION * scale)
    return tuple(int(i) for i in np.unravel_index(int(np.nanargmin(np.where(candidates, cov, np.inf))), values.shape))


@pytest.mark.parametrize("seed", range(6))
def test_uniform_region_from_the_body_box_is_the_whole_volume_choice(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (24 + seed, 44 + 3 * seed, 40)
    voxels = (rng.gamma(5.0, 1.0, shape) * (1.0 + np.arange(40) / 10.0)).astype(np.float32)
    voxels[:, : 6 + seed] = 0.0
    voxels[:, :, -4:] = 0.0
    spacing = (3.0 + 0.3 * seed, 4.0, 4.0 + 0.25 * (seed % 3))
    body = body_mask(voxels=voxels)
    assert not body.all()
    region = find_uniform_region(voxels=voxels, body=body, spacing_mm=spacing)
    assert region is not None
    assert region.centre_voxel == _whole_volume_choice(voxels, body, spacing)
