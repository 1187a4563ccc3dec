"""OSEM: quantitative recovery, noise versus counts, split independence, protocol noise grain, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.simulation import filters, protocols, realization, recon
from imaging.simulation.acquisition import ExpectedData, expected_data, sample_prompts, split_counts, thin_nested
from imaging.simulation.protocols import PROTOCOLS, ReconProtocol, get_protocol
from imaging.simulation.realization import acquire_and_reconstruct
from imaging.simulation.recon import osem, reconstruct
from tests.imaging.simulation.recon_phantom import cylinder_phantom

V1, V2 = PROTOCOLS["v1"], PROTOCOLS["v2"]


@pytest.fixture(scope="module")
def cylinder() -> ExpectedData:
    return expected_data(phantom=cylinder_phantom(nz=8, n=64))


def centre(images: np.ndarray) -> np.ndarray:
    """The central 24 × 24 pixels (±48 mm) of every slice: well inside the 100-mm uniform cylinder."""
    return images[:, 20:44, 20:44]


def acf_fwhm_pixels(noise: np.ndarray) -> float:
    """FWHM (pixels) along x of the in-plane noise autocorrelation, pooled over slices."""
    noise = noise - noise.mean(axis=(1, 2), keepdims=True)
    spectrum = np.fft.fft2(noise, s=(2 * noise.shape[1], 2 * noise.shape[2]))
    acf = np.fft.ifft2(np.abs(spectrum) ** 2).real.sum(axis=0)
    profile = acf[0, : noise.shape[2]] / acf[0, 0]
    i = int(np.argmax(profile < 0.5))
    return float(2 * (i - 1 + (profile[i - 1] - 0.5) / (profile[i - 1] - profile[i])))


def test_all_names_exported() -> None:
    for module in (recon, protocols, realization, filters):
        assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("protocol", [V1, V2], ids=["v1", "v2"])
def test_noise_free_osem_recovers_the_uniform_activity(cylinder: ExpectedData, protocol: ReconProtocol) -> None:
    image = reconstruct(prompts=cylinder.prompts, expected=cylinder, fraction=1.0, protocol=protocol)
    assert image.dtype == np.float32 and image.shape == (8, 64, 64)
    assert float(centre(image).mean()) == pytest.approx(5000.0, rel=0.02)
    assert float(np.abs(centre(image) / 5000.0 - 1).max()) < 0.05
    assert float(image[:, :4, :4].max()) < 0.05 * 5000.0  # the corners hold no activity


def test_every_level_and_split_is_in_bq_per_ml(cylinder: ExpectedData) -> None:
    rng = np.random.default_rng(20)
    levels = thin_nested(counts=sample_prompts(expected=cylinder.prompts, rng=rng), levels=(1.0, 0.5), rng=rng)
    half_a, half_b = split_counts(counts=levels[0.5], rng=rng)
    images = [
        reconstruct(prompts=levels[1.0], expected=cylinder, fraction=1.0, protocol=V1),
        reconstruct(prompts=levels[0.5], expected=cylinder, fraction=0.5, protocol=V1),
        reconstruct(prompts=half_a, expected=cylinder, fraction=0.25, protocol=V1),
        reconstruct(prompts=half_b, expected=cylinder, fraction=0.25, protocol=V1),
    ]
    for image in images:
        assert float(centre(image).mean()) == pytest.approx(5000.0, rel=0.03)
        assert float(image.min()) >= 0.0


def test_background_variability_falls_as_counts_rise(cylinder: ExpectedData) -> None:
    rng = np.random.default_rng(21)
    levels = thin_nested(
        counts=sample_prompts(expected=cylinder.prompts, rng=rng), levels=(1.0, 0.25, 0.05, 0.01), rng=rng
    )
    cov = {}
    for level, counts in levels.items():
        image = centre(reconstruct(prompts=counts, expected=cylinder, fraction=level, protocol=V1))
        cov[level] = float(image.std() / image.mean())
    assert cov[1.0] < cov[0.25] < cov[0.05] < cov[0.01]
    assert cov[0.05] / cov[1.0] > 2.5  # ~sqrt(20) ≈ 4.5 for pure Poisson scaling, less once OSEM is this early


def test_half_count_reconstructions_have_independent_noise(cylinder: ExpectedData) -> None:
    rng = np.random.default_rng(22)
    n_realisations = 16
    stacks: dict[str, list[np.ndarray]] = {"a": [], "b": [], "full": []}
    for _ in range(n_realisations):
        counts = thin_nested(counts=sample_prompts(expected=cylinder.prompts, rng=rng), levels=(0.5,), rng=rng)[0.5]
        half_a, half_b = split_counts(counts=counts, rng=rng)
        stacks["a"].append(reconstruct(prompts=half_a, expected=cylinder, fraction=0.25, protocol=V1))
        stacks["b"].append(reconstruct(prompts=half_b, expected=cylinder, fraction=0.25, protocol=V1))
        stacks["full"].append(reconstruct(prompts=counts, expected=cylinder, fraction=0.5, protocol=V1))
    c = (np.arange(64) - 31.5) * 4.0
    inside = np.hypot(*np.meshgrid(c, c, indexing="ij")) < 85.0
    noise = {}
    for name, stack in stacks.items():
        voxels = np.stack(stack)[:, :, inside]  # (realisation, z, voxel)
        noise[name] = (voxels - voxels.mean(axis=0)).ravel()
    assert abs(float(np.corrcoef(noise["a"], noise["b"])[0, 1])) < 0.05
    assert float(np.corrcoef(noise["a"], noise["full"])[0, 1]) > 0.5  # the test can tell dependent noise apart


def test_v1_noise_grain_is_coarser_than_v2(cylinder: ExpectedData) -> None:
    counts = sample_prompts(expected=cylinder.prompts, rng=np.random.default_rng(23))
    grain = {}
    for protocol in (V1, V2):
        noise_free = reconstruct(prompts=cylinder.prompts, expected=cylinder, fraction=1.0, protocol=protocol)
        noisy = reconstruct(prompts=counts, expected=cylinder, fraction=1.0, protocol=protocol)
        grain[protocol.name] = acf_fwhm_pixels(centre(noisy - noise_free))
    assert grain["v1"] > grain["v2"] + 0.2


def test_acquire_and_reconstruct_is_reproducible_and_complete() -> None:
    phantom = cylinder_phantom(nz=4, n=32, pixel_mm=8.0, hot_discs=True)

    def run(seed: int) -> realization.Reconstructions:
        return acquire_and_reconstruct(
            phantom=phantom, protocol=V2, rng=np.random.default_rng(seed), levels=(0.1, 1.0), split=True
        )

    first, again, other = run(3), run(3), run(4)
    assert sorted(first.levels) == sorted(first.split_a) == sorted(first.split_b) == [0.1, 1.0]
    for level in (0.1, 1.0):
        for images in (first.levels, first.split_a, first.split_b):
            assert images[level].dtype == np.float32 and images[level].shape == phantom.shape
        np.testing.assert_array_equal(first.levels[level], again.levels[level])
        np.testing.assert_array_equal(first.split_b[level], again.split_b[level])
        assert not np.array_equal(first.split_a[level], first.split_b[level])
    assert not np.array_equal(first.levels[1.0], other.levels[1.0])
    np.testing.assert_array_equal(first.noise_free, other.noise_free)
    no_split = acquire_and_reconstruct(phantom=phantom, protocol=V1, rng=np.random.default_rng(3), split=False)
    assert len(no_split.levels) == 7 and not no_split.split_a


def test_protocol_presets_and_validation() -> None:
    assert get_protocol(name="v1") is V1
    assert V2.psf_fwhm_mm > V1.psf_fwhm_mm and V2.postfilter_fwhm_mm < V1.postfilter_fwhm_mm
    assert V2.updates > V1.updates
    with pytest.raises(ValueError, match="Argument 'name'"):
        get_protocol(name="v3")
    with pytest.raises(ValueError, match="'iterations'"):
        ReconProtocol(name="x", iterations=0, subsets=4, psf_fwhm_mm=0, postfilter_fwhm_mm=0)


def test_osem_errors_name_the_argument(cylinder: ExpectedData) -> None:
    with pytest.raises(ValueError, match="Argument 'background'"):
        osem(
            prompts=cylinder.prompts,
            multiplicative=cylinder.attenuation,
            background=cylinder.background[:, :3],
            projector=cylinder.projector,
            protocol=V1,
            slice_mm=4.0,
        )
    with pytest.raises(ValueError, match="Argument 'fraction'"):
        reconstruct(prompts=cylinder.prompts, expected=cylinder, fraction=0.0, protocol=V1)
