"""The noise-level map: grows with the noise as 1/√counts, ignores a smooth image, local (patch = slice inside)."""

from __future__ import annotations

import numpy as np
import torch

from models.noise_map import NOISE_MAP_DELTA, NOISE_MAP_EPS, NOISE_MAP_WINDOW, noise_level_map


def _noisy(*, counts_per_unit: float, seed: int, shape: tuple[int, int] = (96, 96)) -> torch.Tensor:
    """A smooth positive image (mean about 1) with Poisson noise of ``counts_per_unit`` counts per unit activity,
    as ``(1, 1, h, w)`` normalised intensities."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]] / shape[0]
    clean = 0.6 + 0.8 * np.exp(-((yy - 0.5) ** 2 + (xx - 0.4) ** 2) / 0.1)
    noisy = rng.poisson(clean * counts_per_unit) / counts_per_unit
    return torch.from_numpy(noisy.astype(np.float32))[None, None]


def _median(image: torch.Tensor) -> float:
    return float(noise_level_map(image).median())


def test_map_scales_as_one_over_root_counts() -> None:
    low, high = (_median(_noisy(counts_per_unit=c, seed=1)) for c in (25.0, 400.0))
    assert 3.0 < low / high < 5.0  # √16 = 4


def test_map_of_a_smooth_image_is_far_below_that_of_a_noisy_one() -> None:
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    smooth = (1.0 + 0.3 * torch.sin(3 * yy) * torch.cos(2 * xx))[None, None]
    assert _median(smooth) < 0.1 * _median(_noisy(counts_per_unit=400.0, seed=2, shape=(64, 64)))


def test_a_patch_sees_the_same_map_as_its_whole_slice_away_from_the_patch_border() -> None:
    image = _noisy(counts_per_unit=50.0, seed=3)
    whole = noise_level_map(image)
    patch = noise_level_map(image[..., 16:80, 20:84])
    margin = NOISE_MAP_WINDOW // 2 + 1
    inner = (slice(None), slice(None), slice(margin, 64 - margin), slice(margin, 64 - margin))
    torch.testing.assert_close(patch[inner], whole[..., 16:80, 20:84][inner])


def test_map_is_finite_on_zeros_and_negative_values() -> None:
    image = torch.zeros(2, 1, 20, 20)
    image[1, 0, 5:9, 5:9] = -0.5
    out = noise_level_map(image)
    assert out.shape == image.shape and bool(torch.isfinite(out).all())


def test_each_voxel_is_the_mean_of_its_window_of_the_edge_padded_image() -> None:
    """The separable box (a column pool, then a row pool) is the plain window mean, checked at a border voxel."""
    image = _noisy(counts_per_unit=30.0, seed=4, shape=(24, 20))
    half = NOISE_MAP_WINDOW // 2
    centre = image[0, 0].double()
    high = (
        centre
        - torch.nn.functional.avg_pool2d(
            torch.nn.functional.pad(centre[None, None], (1, 1, 1, 1), mode="replicate"), 3, stride=1
        )[0, 0]
    )
    padded = torch.nn.functional.pad((high * high)[None, None], (half,) * 4, mode="replicate")[0, 0]
    positive = torch.nn.functional.pad(torch.relu(centre)[None, None], (half,) * 4, mode="replicate")[0, 0]
    y, x = 2, 17
    variance = padded[y : y + NOISE_MAP_WINDOW, x : x + NOISE_MAP_WINDOW].mean()
    mean = positive[y : y + NOISE_MAP_WINDOW, x : x + NOISE_MAP_WINDOW].mean()
    expected = float(torch.sqrt(variance / (mean + NOISE_MAP_DELTA) + NOISE_MAP_EPS))
    assert abs(float(noise_level_map(image)[0, 0, y, x]) - expected) < 1e-5
