"""The uncertainty check's measures: a right map reads 1 and follows the noise; a doubled one reads 2."""

from __future__ import annotations

import numpy as np
import pytest

from bench.denoise.uncertainty_check import main, map_correlation, region_ratios

SHAPE = (8, 16, 32)


def _realisations(*, count: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """``count`` noisy copies of one volume whose SD is 20 on the left half and 80 on the right; and that SD."""
    sd = np.broadcast_to(np.where(np.arange(SHAPE[2]) < SHAPE[2] // 2, 20.0, 80.0), SHAPE)
    rng = np.random.default_rng(7)
    outputs = 1000.0 + rng.normal(size=(count, *SHAPE)) * sd
    return outputs.astype(np.float32), np.broadcast_to(sd, (count, *SHAPE)).astype(np.float32)


def test_a_right_map_reads_one_and_a_doubled_one_two() -> None:
    outputs, sd = _realisations()
    everywhere = np.ones(SHAPE, dtype=bool)
    assert region_ratios(uncertainty=sd, outputs=outputs, mask=everywhere) == pytest.approx((1.0, 1.0), abs=0.02)
    noisy = sd * np.random.default_rng(8).gamma(25.0, 1 / 25.0, size=sd.shape).astype(np.float32)  # u² right
    rms, mean = region_ratios(uncertainty=noisy / np.sqrt(1 + 1 / 25), outputs=outputs, mask=everywhere)
    assert rms == pytest.approx(1.0, abs=0.02) and mean < rms  # averaged first: the noise of u no longer counts
    assert region_ratios(uncertainty=2 * sd, outputs=outputs, mask=everywhere)[0] == pytest.approx(2.0, abs=0.04)
    right = np.zeros(SHAPE, dtype=bool)
    right[..., 16:] = True
    assert region_ratios(uncertainty=sd, outputs=outputs, mask=right) == pytest.approx((1.0, 1.0), abs=0.03)


def test_the_map_correlation_sees_the_shape() -> None:
    outputs, sd = _realisations()
    everywhere = np.ones(SHAPE, dtype=bool)
    assert map_correlation(uncertainty=sd, outputs=outputs, mask=everywhere) > 0.95
    flipped = sd[..., ::-1]
    assert map_correlation(uncertainty=flipped, outputs=outputs, mask=everywhere) < -0.9


def test_one_realisation_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--realizations", "1"])
    assert "at least 2" in capsys.readouterr().err
