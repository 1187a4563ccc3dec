"""Figures of the TGD experiments on synthetic arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from bench.tgd.cases import QUICK_GRIDS
from bench.tgd.metrics import drop_figures, ensemble_figures, roi_relative_error
from imaging.intensity import activity_scale
from imaging.metrics import psnr
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom


def volumes(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = rng.uniform(1.0, 2.0, size=(4, 10, 10)).astype(np.float32)
    body = np.zeros(reference.shape, dtype=bool)
    body[:, 2:8, 2:8] = True
    noisy = (reference + rng.normal(0, 0.3, size=reference.shape)).astype(np.float32)
    return reference, noisy, body


def test_roi_error_is_the_mean_absolute_error_over_the_roi_mean() -> None:
    reference = np.full((2, 3, 3), 4.0, dtype=np.float32)
    mask = np.zeros(reference.shape, dtype=bool)
    mask[0, 1, 1] = mask[1, 1, 1] = True
    images = np.stack([reference + 1.0, reference - 3.0])  # |errors| 1 and 3 → mean 2 → 50 % of 4
    assert roi_relative_error(images=images, reference=reference, mask=mask) == pytest.approx(50.0)
    outside = images.copy()
    outside[:, 0, 0, 0] += 100.0
    assert roi_relative_error(images=outside, reference=reference, mask=mask) == pytest.approx(50.0)
    with pytest.raises(ValueError, match="Argument 'mask'"):
        roi_relative_error(images=images, reference=reference, mask=np.zeros_like(mask))
    with pytest.raises(ValueError, match="Arguments 'images'"):
        roi_relative_error(images=images[0], reference=reference, mask=mask)


def test_an_unchanged_output_moves_nothing_and_an_offset_is_measured() -> None:
    reference, noisy, body = volumes(0)
    denoised = (0.5 * (noisy + reference)).astype(np.float32)
    same = drop_figures(noisy=noisy, base=denoised, dropped=denoised.copy(), reference=reference, body=body)
    assert same.change_pct == 0.0 and same.of_correction_pct == 0.0
    assert same.psnr_base_db == same.psnr_dropped_db == psnr(image=denoised, reference=reference, mask=body)
    back = drop_figures(noisy=noisy, base=denoised, dropped=noisy, reference=reference, body=body)
    assert back.of_correction_pct == pytest.approx(100.0)
    assert back.psnr_dropped_db == pytest.approx(psnr(image=noisy, reference=reference, mask=body))
    shifted = drop_figures(noisy=noisy, base=denoised, dropped=denoised + 0.1, reference=reference, body=body)
    assert shifted.change_pct == pytest.approx(0.1 / activity_scale(voxels=noisy) * 100.0, rel=1e-4)
    with pytest.raises(ValueError, match="Arguments should share"):
        drop_figures(noisy=noisy, base=denoised, dropped=denoised, reference=reference, body=body[:2])


def test_ensemble_figures_of_a_scaled_reference() -> None:
    shape, spacing = QUICK_GRIDS[PhantomKind.TORSO]
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=5, variant="low_bmi", shape=shape, spacing_mm=spacing)
    reference = (phantom.activity + 1.0).astype(np.float32)
    images = np.stack([reference * 1.1, reference * 1.1, reference * 0.9, reference * 1.3]).astype(np.float32)
    figures = ensemble_figures(images=images, reference=reference, phantom=phantom)
    assert set(figures.lesion_bias_pct) == {lesion.name for lesion in phantom.lesions}
    for bias in figures.lesion_bias_pct.values():
        assert bias == pytest.approx(10.0, abs=1e-3)
    assert figures.mean_abs_bias_pct == pytest.approx(10.0, abs=1e-3)
    factors = np.array([1.1, 1.1, 0.9, 1.3])
    assert figures.liver_cov_pct == pytest.approx(factors.std(ddof=1) / factors.mean() * 100.0, rel=1e-4)
