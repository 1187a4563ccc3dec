"""Acquisition: count level, attenuation, background fractions, Poisson prompts, nested thinning, splits."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from imaging.simulation import acquisition
from imaging.simulation.acquisition import ScannerModel, expected_data, sample_prompts, split_counts, thin_nested
from tests.imaging.simulation.recon_phantom import WATER_MU_PER_MM, cylinder_phantom

LEVELS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.01, 0.005)


@pytest.fixture(scope="module")
def expected() -> acquisition.ExpectedData:
    return expected_data(phantom=cylinder_phantom(nz=4, n=32, pixel_mm=8.0, hot_discs=True))


def test_all_names_exported() -> None:
    assert set(acquisition.__all__) <= set(dir(acquisition))


def test_full_count_level_is_efficiency_times_duration_times_decays() -> None:
    phantom = cylinder_phantom(nz=6, n=32, pixel_mm=8.0)
    no_attenuation = dataclasses.replace(phantom, mu=np.zeros_like(phantom.mu))
    scanner = ScannerModel(efficiency=0.01, duration_s=120.0)
    data = expected_data(phantom=no_attenuation, scanner=scanner)
    voxel_ml = float(np.prod(phantom.spacing_mm)) * 1e-3
    activity_bq = float(phantom.activity.sum(dtype=np.float64)) * voxel_ml
    assert float(data.trues.sum(dtype=np.float64)) == pytest.approx(0.01 * 120.0 * activity_bq, rel=1e-3)


def test_attenuation_is_exp_of_minus_the_mu_line_integral(expected: acquisition.ExpectedData) -> None:
    phantom = cylinder_phantom(nz=4, n=32, pixel_mm=8.0, hot_discs=True)
    n_bins = expected.projector.n_bins
    offset = (n_bins - 32) // 2  # angle 0: bin (x + offset) holds image column x
    column_integrals = phantom.mu.sum(axis=1) * 8.0
    np.testing.assert_allclose(expected.attenuation[:, 0, offset : offset + 32], np.exp(-column_integrals), rtol=1e-5)
    centre = expected.attenuation[:, :, n_bins // 2 - 1 : n_bins // 2 + 1]
    np.testing.assert_allclose(centre, math.exp(-2 * 100.0 * WATER_MU_PER_MM), rtol=0.1)
    assert expected.attenuation[:, :, 0].min() == pytest.approx(1.0)


def test_scatter_and_randoms_fractions_are_as_configured() -> None:
    scanner = ScannerModel(scatter_fraction=0.3, randoms_fraction=0.2)
    data = expected_data(phantom=cylinder_phantom(nz=4, n=32, pixel_mm=8.0), scanner=scanner)
    trues, scatter, randoms = (float(a.sum(dtype=np.float64)) for a in (data.trues, data.scatter, data.randoms))
    assert scatter / (trues + scatter) == pytest.approx(0.3, rel=1e-4)
    assert randoms / (trues + scatter + randoms) == pytest.approx(0.2, rel=1e-4)
    profile = data.scatter[2, 0]
    assert profile.min() >= 0 and profile.argmax() in range(
        data.projector.n_bins // 2 - 3, data.projector.n_bins // 2 + 3
    )
    np.testing.assert_allclose(data.background, data.scatter + data.randoms)


def test_prompts_are_poisson(expected: acquisition.ExpectedData) -> None:
    mean = expected.prompts[1:3, ::4]
    rng = np.random.default_rng(5)
    draws = np.stack([sample_prompts(expected=mean, rng=rng) for _ in range(400)])
    assert draws.dtype == np.int32
    busy = mean > 5
    sample_mean = draws.mean(axis=0)[busy]
    dispersion = draws.var(axis=0, ddof=1)[busy] / sample_mean
    assert float(np.mean(sample_mean / mean[busy])) == pytest.approx(1.0, abs=0.01)
    assert float(np.mean(dispersion)) == pytest.approx(1.0, abs=0.03)


def test_nested_thinning_keeps_subsets_with_the_right_ratios(expected: acquisition.ExpectedData) -> None:
    counts = sample_prompts(expected=expected.prompts, rng=np.random.default_rng(6))
    by_level = thin_nested(counts=counts, levels=LEVELS[::-1], rng=np.random.default_rng(7))
    assert sorted(by_level) == sorted(LEVELS)
    assert by_level[1.0] is counts
    ordered = sorted(by_level, reverse=True)
    for higher, lower in itertools.pairwise(ordered):
        assert np.all(by_level[lower] <= by_level[higher])
        n_high, n_low = int(by_level[higher].sum()), int(by_level[lower].sum())
        p = lower / higher
        assert abs(n_low - p * n_high) < 5 * math.sqrt(n_high * p * (1 - p))


def test_thinned_level_is_poisson_with_the_scaled_mean(expected: acquisition.ExpectedData) -> None:
    mean = expected.prompts[1, ::2]
    rng = np.random.default_rng(8)
    draws = np.stack(
        [thin_nested(counts=sample_prompts(expected=mean, rng=rng), levels=(0.25,), rng=rng)[0.25] for _ in range(400)]
    )
    busy = mean > 20
    assert float(np.mean(draws.mean(axis=0)[busy] / (0.25 * mean[busy]))) == pytest.approx(1.0, abs=0.015)
    assert float(np.mean(draws.var(axis=0, ddof=1)[busy] / draws.mean(axis=0)[busy])) == pytest.approx(1.0, abs=0.04)


def test_halves_add_up_exactly_and_are_uncorrelated(expected: acquisition.ExpectedData) -> None:
    mean = expected.prompts[2, ::3]
    rng = np.random.default_rng(9)
    pairs = []
    for _ in range(300):
        counts = sample_prompts(expected=mean, rng=rng)
        half_a, half_b = split_counts(counts=counts, rng=rng)
        np.testing.assert_array_equal(half_a + half_b, counts)
        pairs.append((half_a, half_b))
    a = np.stack([p[0] for p in pairs]).astype(np.float64)
    b = np.stack([p[1] for p in pairs]).astype(np.float64)
    busy = mean > 5
    noise_a, noise_b = (a - a.mean(axis=0))[:, busy], (b - b.mean(axis=0))[:, busy]
    assert abs(float(np.corrcoef(noise_a.ravel(), noise_b.ravel())[0, 1])) < 0.02
    assert float(np.mean(a.mean(axis=0)[busy] / (0.5 * mean[busy]))) == pytest.approx(1.0, abs=0.01)


def test_same_seed_same_data(expected: acquisition.ExpectedData) -> None:
    def draw(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        counts = sample_prompts(expected=expected.prompts, rng=rng)
        levels = thin_nested(counts=counts, levels=(0.5, 0.1), rng=rng)
        return [counts, levels[0.5], levels[0.1], *split_counts(counts=levels[0.1], rng=rng)]

    for first, again in zip(draw(11), draw(11), strict=True):
        np.testing.assert_array_equal(first, again)
    assert not np.array_equal(draw(11)[0], draw(12)[0])


def test_errors_name_the_argument() -> None:
    counts = np.ones((1, 2, 2), dtype=np.int32)
    with pytest.raises(ValueError, match="Argument 'levels'"):
        thin_nested(counts=counts, levels=(1.5,), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="Argument 'scatter_fraction'"):
        ScannerModel(scatter_fraction=1.0)
    with pytest.raises(ValueError, match="Argument 'expected'"):
        sample_prompts(expected=-np.ones((1, 2, 2), dtype=np.float32), rng=np.random.default_rng(0))
