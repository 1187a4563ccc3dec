"""The online-variants table's ROI figures: noise and bias told apart."""

from __future__ import annotations

import numpy as np
import pytest

from bench.tgd.online_variants import EVERY_LAYER, FULL_COUNT_INPUT, ORACLES, VARIANTS, roi_figures


def test_noise_shows_in_the_mean_error_and_bias_in_the_ensemble_error() -> None:
    reference = np.full((2, 4, 4), 10.0, dtype=np.float32)
    mask = np.zeros(reference.shape, dtype=bool)
    mask[1, 1:3, 1:3] = True
    noisy = np.stack([reference + 1.0, reference - 1.0]).astype(np.float32)  # ±10 %, unbiased
    eroded = np.stack([reference * 0.8, reference * 0.8]).astype(np.float32)  # −20 %, no noise
    figures = roi_figures(images=noisy, reference=reference, mask=mask)
    assert (figures.mae_pct, figures.ensemble_pct, figures.bias_pct) == pytest.approx((10.0, 0.0, 0.0))
    figures = roi_figures(images=eroded, reference=reference, mask=mask)
    assert (figures.mae_pct, figures.ensemble_pct, figures.bias_pct) == pytest.approx((20.0, 20.0, -20.0))
    with pytest.raises(ValueError, match="non-empty ROI"):
        roi_figures(images=noisy, reference=reference, mask=np.zeros_like(mask))


def test_the_first_variant_is_the_shipped_adaptation() -> None:
    first = next(iter(VARIANTS.values()))
    assert first.hot_share == 0.0 and first.contrast_weight == 0.0 and first.steps == 300


def test_variant_names_survive_the_comma_separated_option_and_their_sets_name_real_variants() -> None:
    assert not any("," in name for name in VARIANTS)
    assert FULL_COUNT_INPUT <= EVERY_LAYER <= ORACLES <= set(VARIANTS)
