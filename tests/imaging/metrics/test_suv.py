"""SUVmax, SUVmean, SUVpeak and SUV preservation with an SUV factor."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics import suv_max, suv_mean, suv_peak, suv_preservation
from imaging.metrics.suv import sphere_kernel

FACTOR = 0.5  # SUV per Bq/ml


def _image() -> tuple[np.ndarray, np.ndarray]:
    image = np.array([[[2.0, 4.0, 8.0, 100.0]]])  # Bq/ml
    mask = np.array([[[True, True, True, False]]])
    return image, mask


def test_suvmax_and_suvmean_scale_the_masked_voxels_by_the_factor() -> None:
    image, mask = _image()
    assert suv_max(image=image, mask=mask, suv_factor=FACTOR) == pytest.approx(8.0 * 0.5)
    assert suv_mean(image=image, mask=mask, suv_factor=FACTOR) == pytest.approx(14.0 / 3 * 0.5)


def test_one_ml_sphere_has_radius_6_2_mm() -> None:
    # r = (3 · 1000 mm³ / 4π)^(1/3) = 6.20 mm: at 5 mm spacing the centre and its 6 face neighbours (5 mm),
    # not the edge neighbours (7.07 mm)
    kernel = sphere_kernel(spacing_mm=(5.0, 5.0, 5.0), volume_ml=1.0)
    assert kernel.shape == (3, 3, 3)
    assert int(kernel.sum()) == 7
    assert int(sphere_kernel(spacing_mm=(10.0, 10.0, 10.0), volume_ml=1.0).sum()) == 1


def test_suvpeak_of_a_hot_voxel_is_its_sphere_mean() -> None:
    image = np.zeros((5, 5, 5))
    image[2, 2, 2] = 700.0
    mask = np.ones_like(image, dtype=bool)
    # 5 mm voxels: the 1 ml sphere holds 7 voxels → 700 / 7 = 100 Bq/ml → 50 SUV
    assert suv_peak(image=image, mask=mask, suv_factor=FACTOR, spacing_mm=(5, 5, 5)) == pytest.approx(50.0)
    # 10 mm voxels: the sphere is the voxel itself → SUVpeak = SUVmax
    assert suv_peak(image=image, mask=mask, suv_factor=FACTOR, spacing_mm=(10, 10, 10)) == pytest.approx(350.0)


def test_suvpeak_at_the_volume_edge_averages_only_voxels_inside() -> None:
    image = np.zeros((4, 4, 4))
    image[0, 0, 0] = 1000.0
    mask = np.zeros_like(image, dtype=bool)
    mask[:2, :2, :2] = True
    # corner sphere: the voxel and its 3 in-volume neighbours → 1000 / 4; a neighbour's sphere has 5 → 200
    assert suv_peak(image=image, mask=mask, suv_factor=1.0, spacing_mm=(5, 5, 5)) == pytest.approx(250.0)


def test_suvpeak_of_a_uniform_region_is_its_suv() -> None:
    image = np.full((6, 7, 8), 3.0)
    mask = np.zeros_like(image, dtype=bool)
    mask[3, 3, 3] = True
    assert suv_peak(image=image, mask=mask, suv_factor=2.0, spacing_mm=(3, 2, 2)) == pytest.approx(6.0)


def test_preservation_ratios_are_after_over_before() -> None:
    image, mask = _image()
    after = image * 0.9
    after[0, 0, 3] = 0.0  # outside the mask: ignored
    result = suv_preservation(before=image, after=after, mask=mask, suv_factor=FACTOR)
    assert result.suvmax_before == pytest.approx(4.0)
    assert result.suvmax_after == pytest.approx(3.6)
    assert result.suvmax_ratio == pytest.approx(0.9)
    assert result.suvmean_ratio == pytest.approx(0.9)
    assert result.suvmean_after == pytest.approx(14.0 / 3 * 0.5 * 0.9)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda i, m: suv_max(image=i, mask=m, suv_factor=0.0), "'suv_factor'"),
        (lambda i, m: suv_mean(image=i, mask=m[0], suv_factor=1.0), "'mask'"),
        (lambda i, m: suv_peak(image=i, mask=m, suv_factor=1.0, spacing_mm=(1.0, 1.0)), "'spacing_mm'"),
        (lambda i, m: suv_peak(image=i, mask=m, suv_factor=1.0, spacing_mm=(1, 1, 1), volume_ml=-1), "'volume_ml'"),
        (lambda i, m: suv_preservation(before=i, after=i[:, :, :2], mask=m, suv_factor=1.0), "'after'"),
        (lambda i, m: suv_preservation(before=-i, after=i, mask=m, suv_factor=1.0), "'before'"),
    ],
)
def test_bad_suv_arguments_are_named(call: object, argument: str) -> None:
    image, mask = _image()
    with pytest.raises(InputError, match=argument):
        call(image, mask)  # type: ignore[operator]
