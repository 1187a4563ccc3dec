"""Ensemble lesion bias and voxel-wise CoV on a 3-realisation stack computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics import ensemble_lesion_bias, ensemble_voxel_cov

LESION = np.array([[[True, True, False, False]]])  # (1, 1, 4)
LIVER = np.array([[[False, False, True, True]]])


def _stack() -> np.ndarray:
    """Three realisations of a (1, 1, 4) image: two lesion voxels, two liver voxels."""
    return np.array(
        [
            [[[8.0, 10.0, 1.0, 2.0]]],  # lesion mean 9
            [[[10.0, 10.0, 2.0, 2.0]]],  # lesion mean 10
            [[[12.0, 11.0, 3.0, 2.0]]],  # lesion mean 11.5
        ]
    )


def test_lesion_bias_is_the_ensemble_mean_error_in_percent_of_truth() -> None:
    truth = np.array([[[10.0, 10.0, 2.0, 2.0]]])
    # ((9 + 10 + 11.5) / 3 − 10) / 10 × 100 = 1.666…%
    assert ensemble_lesion_bias(stack=_stack(), truth=truth, lesion_mask=LESION) == pytest.approx(100 / 60)


def test_lesion_bias_is_zero_for_noise_that_averages_out() -> None:
    truth = np.array([[[5.0, 5.0, 1.0, 1.0]]])
    stack = np.stack([truth - 1.0, truth, truth + 1.0])
    assert ensemble_lesion_bias(stack=stack, truth=truth, lesion_mask=LESION) == pytest.approx(0.0)


def test_voxel_cov_averages_sd_over_mean_across_voi_voxels() -> None:
    # voxel 2: (1, 2, 3) → SD 1 / mean 2 = 0.5; voxel 3: (2, 2, 2) → 0; mean 0.25 → 25%
    assert ensemble_voxel_cov(stack=_stack(), voi_mask=LIVER) == pytest.approx(25.0)


def test_voxel_cov_ignores_true_spatial_variation() -> None:
    ramp = np.arange(1.0, 9.0).reshape(1, 2, 4)
    stack = np.stack([ramp * 0.9, ramp, ramp * 1.1])  # every voxel: SD/mean = 0.1
    assert ensemble_voxel_cov(stack=stack, voi_mask=np.ones((1, 2, 4), dtype=bool)) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: ensemble_voxel_cov(stack=_stack()[:1], voi_mask=LIVER), "'stack'"),
        (lambda: ensemble_voxel_cov(stack=_stack()[0], voi_mask=LIVER), "'stack'"),
        (lambda: ensemble_voxel_cov(stack=_stack(), voi_mask=np.zeros((1, 1, 4), dtype=bool)), "'voi_mask'"),
        (lambda: ensemble_voxel_cov(stack=-_stack(), voi_mask=LIVER), "'stack'"),
        (lambda: ensemble_lesion_bias(stack=_stack(), truth=np.ones((1, 1, 3)), lesion_mask=LESION), "'truth'"),
        (lambda: ensemble_lesion_bias(stack=_stack(), truth=np.zeros((1, 1, 4)), lesion_mask=LESION), "'truth'"),
        (lambda: ensemble_lesion_bias(stack=_stack(), truth=np.ones((1, 1, 4)), lesion_mask=LIVER[0]), "'lesion_"),
    ],
)
def test_bad_ensemble_arguments_are_named(call: object, argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        call()  # type: ignore[operator]
