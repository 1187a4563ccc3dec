"""The blob-implant diagnostic: the blob's geometry, and a kept blob counts 1, a removed one 0."""

from __future__ import annotations

import numpy as np
import pytest

from bench.denoise.blob_implant import gaussian_blob, kept_share


def test_the_blob_peaks_at_its_centre_with_its_height_and_falls_off_by_sigma() -> None:
    blob = gaussian_blob(shape=(9, 11, 13), centre=(4, 5, 6), peak=300.0, sigma=2.0)
    assert blob.dtype == np.float32 and np.unravel_index(int(blob.argmax()), blob.shape) == (4, 5, 6)
    assert float(blob.max()) == pytest.approx(300.0)
    assert float(blob[4, 5, 8]) == pytest.approx(300.0 * np.exp(-0.5), rel=1e-5)  # one σ away (2 voxels)


def test_kept_share_is_one_for_an_identity_zero_for_a_remover_and_linear_between() -> None:
    base = np.random.default_rng(0).gamma(2.0, 1000.0, size=(9, 11, 13)).astype(np.float32)
    blob = gaussian_blob(shape=base.shape, centre=(4, 5, 6), peak=5000.0, sigma=1.5)
    assert kept_share(with_blob=base + blob, without=base, blob=blob) == pytest.approx(1.0)
    assert kept_share(with_blob=base, without=base, blob=blob) == pytest.approx(0.0)
    assert kept_share(with_blob=base + 0.3 * blob, without=base, blob=blob) == pytest.approx(0.3, rel=1e-5)
