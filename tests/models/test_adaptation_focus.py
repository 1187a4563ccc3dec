"""The OOD focus of TGD-N2N: a calibrated z-score of the base's disagreement with the splits, focused draws and
per-voxel loss weights that follow each pair's target through the dihedral transform."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from imaging.errors import InputError
from models.adaptation.focus import FOCUS_CAP, base_output, disagreement, focus_excess
from models.adaptation.online import AdaptationSettings, adapt_network
from models.adaptation.pairs import body_centres, focus_draw_weights, split_batches
from tests.models.factories import random_dncnn

SHAPE = (12, 48, 48)


def _study(*, seed: int, correlated: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A clean body with a hot bar, and two half-count splits with spatially correlated noise (as a reconstruction
    has): ``(clean, a, b)``, float32."""
    rng = np.random.default_rng(seed)
    clean = np.zeros(SHAPE, dtype=np.float32)
    clean[:, 8:40, 8:40] = 1000.0
    clean[:, 22:25, 30:33] = 6000.0

    def noise() -> np.ndarray:
        white = rng.normal(0.0, 150.0, SHAPE)
        return ndi.gaussian_filter(white, (0.0, 1.0, 1.0)) * 2.5 if correlated else white

    return clean, (clean + noise()).astype(np.float32), (clean + noise()).astype(np.float32)


def test_an_unbiased_base_gives_a_calibrated_z_and_flags_almost_nothing() -> None:
    clean, a, b = _study(seed=0)
    z = disagreement(a=a, b=b, base=clean)
    inside = z[:, 10:38, 10:38]
    assert 0.6 < float(inside.std()) < 1.6  # a z-score: the noise reference follows the noise's correlation
    assert focus_excess(a=a, b=b, base=clean).body_share < 0.01


def test_a_biased_base_is_flagged_where_it_is_wrong() -> None:
    clean, a, b = _study(seed=1)
    biased = clean.copy()
    biased[:, 22:25, 30:33] *= 0.6  # the base erodes the hot bar by 40 %
    focus = focus_excess(a=a, b=b, base=biased)
    bar = np.zeros(SHAPE, dtype=bool)
    bar[:, 22:25, 30:33] = True
    assert float(focus.excess[bar].mean()) > 1.0
    assert float(focus.excess[:, 10:18, 10:18].mean()) < 0.05  # far from the bar: nothing
    assert 0.0 < focus.body_share < 0.2 and float(focus.excess.max()) <= FOCUS_CAP
    summary = focus.summary()
    assert summary["flagged_body_pct"] == pytest.approx(100 * focus.body_share, abs=1e-3)
    with pytest.raises(ValueError, match="one shape"):
        disagreement(a=a, b=b[:-1], base=biased)


def test_focused_draws_follow_the_excess_and_an_empty_map_gives_none() -> None:
    excess = np.zeros(SHAPE, dtype=np.float32)
    excess[5, 24, 24] = 2.0
    centres = body_centres(voxels=np.ones(SHAPE, dtype=np.float32), patch=16)
    weights = focus_draw_weights(excess=excess, centres=centres, patch=16)
    assert weights is not None and weights.sum() == pytest.approx(1.0)
    near = (centres[:, 0] == 5) & (np.abs(centres[:, 1] - 24) <= 4) & (np.abs(centres[:, 2] - 24) <= 4)
    assert weights[near].sum() == pytest.approx(1.0)
    assert focus_draw_weights(excess=np.zeros(SHAPE, dtype=np.float32), centres=centres, patch=16) is None


def test_split_batches_carry_weights_aligned_with_the_target() -> None:
    _, a, b = _study(seed=2)
    excess = np.zeros(SHAPE, dtype=np.float32)
    excess[:, 22:25, 30:33] = 1.5
    batches = split_batches(
        a=a, b=b, patch=16, batch=32, rng=np.random.default_rng(0), focus=excess, focus_share=1.0, focus_weight=4.0
    )
    x, y, w = next(batches)
    assert x.shape == (32, 3, 16, 16) and y.shape == w.shape == (32, 1, 16, 16)
    assert set(np.unique(w.numpy())) <= {1.0, 7.0} and bool((w == 7.0).any(dim=(1, 2, 3)).all())
    # every weighted voxel sits on the hot bar of its own target, whatever the rotation or flip
    scale = float(y.max())
    assert bool((y[w == 7.0] > 0.6 * scale).all())
    plain = next(split_batches(a=a, b=b, patch=16, batch=4, rng=np.random.default_rng(0)))
    assert len(plain) == 2
    with pytest.raises(InputError, match="focus"):
        next(split_batches(a=a, b=b, patch=16, batch=4, rng=np.random.default_rng(0), focus=excess[:-1]))


def test_adaptation_takes_weighted_batches_and_reports_each_round() -> None:
    _, a, b = _study(seed=3)
    base = random_dncnn(width=8)
    output = base_output(model=base, a=a, b=b)
    assert output.shape == SHAPE and output.dtype == np.float32
    focus = focus_excess(a=a, b=b, base=output)
    settings = AdaptationSettings(steps=2, patch=16, batch=2, phi=0.5, focus_share=0.5, focus_weight=4.0, rounds=2)
    batches = split_batches(
        a=a, b=b, patch=16, batch=2, rng=np.random.default_rng(1), focus=focus.excess, focus_share=0.5, focus_weight=4
    )
    adapted, report = adapt_network(base=base, batches=batches, settings=settings)
    assert report.steps == 4 and len(report.rounds) == 2 and all(entry.steps == 2 for entry in report.rounds)
    section = report.to_json(mode="n2n-split", approximation=None)
    assert section["settings"]["focus_weight"] == 4.0 and section["settings"]["rounds"] == 2
    assert [entry["steps"] for entry in section["rounds"]] == [2, 2]
    assert not torch.equal(
        dict(adapted.named_parameters())["convs.1.weight"], dict(base.named_parameters())["convs.1.weight"]
    )
