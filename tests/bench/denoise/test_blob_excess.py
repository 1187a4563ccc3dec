"""The blob-excess diagnostic: a kept blob counts 1, a flattened one 0, a patch without blobs is skipped."""

from __future__ import annotations

import numpy as np
import pytest

from bench.denoise.blob_excess import blob_mask, kept_fraction


def _patch() -> np.ndarray:
    clean = np.full((32, 32), 0.8, dtype=np.float32)
    yy, xx = np.mgrid[:32, :32]
    clean += (1.5 * np.exp(-((yy - 16) ** 2 + (xx - 12) ** 2) / 4.0)).astype(np.float32)
    return clean


def test_the_clean_patch_keeps_all_and_its_background_nothing() -> None:
    clean = _patch()
    blob, background = blob_mask(clean=clean)
    assert 4 <= blob.sum() < 40
    assert kept_fraction(image=clean, clean=clean) == pytest.approx(1.0)
    assert kept_fraction(image=background, clean=clean) == pytest.approx(0.0, abs=1e-6)
    halved = background + 0.5 * (clean - background)
    assert kept_fraction(image=halved, clean=clean) == pytest.approx(0.5)


def test_a_patch_without_blobs_or_with_a_hot_background_is_skipped() -> None:
    assert kept_fraction(image=np.ones((16, 16), np.float32), clean=np.ones((16, 16), np.float32)) is None
    hot = _patch() + 2.0  # a blob on a liver-like background is not a low-background blob
    assert kept_fraction(image=hot, clean=hot) is None
