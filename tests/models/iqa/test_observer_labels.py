"""The model observer and its map to the 0–3 scale."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from imaging.errors import InputError
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from models.iqa.labels import ANCHOR_SCORES, ObserverCalibration, fit_calibration, round_to_grid
from models.iqa.observer import correlation_volume, findings, observe
from tests.models.iqa.builders import tiny_torso


def test_correlation_volume_is_one_for_white_noise_and_grows_with_smoothing() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(24, 40, 40))
    mask = np.ones(noise.shape, dtype=bool)
    white = correlation_volume(noise=noise, mask=mask)
    smooth = correlation_volume(noise=ndi.gaussian_filter(noise, 1.0), mask=mask)
    assert white == pytest.approx(1.0, abs=0.3)
    assert smooth > 5 * white


def test_noise_grows_and_every_index_falls_as_the_count_level_falls() -> None:
    study = tiny_torso(levels=(1.0, 0.1, 0.01))
    measured = [observe(image=s.volume.voxels, reference=study.reference, phantom=study.phantom) for s in study.series]
    covs = [m.noise_cov for m in measured]
    assert covs[0] < covs[1] < covs[2]
    qs = np.asarray([m.q for m in measured])
    assert (np.diff(qs, axis=0) < 0).all()


def test_a_phantom_without_pathology_is_refused() -> None:
    nema = make_phantom(kind=PhantomKind.NEMA, seed=0)
    with pytest.raises(InputError) as caught:
        findings(phantom=nema)
    assert caught.value.check == "observer_findings"


def _records() -> list[tuple[str, float, tuple[float, float, float]]]:
    rng = np.random.default_rng(0)
    records = []
    for level in ANCHOR_SCORES:
        for _ in range(5):
            base = np.log10(level) + rng.normal(0, 0.05)
            records.append(("torso", level, (base, base + 1.0, base - 0.5)))
    return records


def test_anchor_medians_map_to_the_dose_group_scores_and_the_map_is_monotone() -> None:
    records = _records()
    calibration = fit_calibration(records=records)
    for i, target in enumerate(ANCHOR_SCORES.values()):
        q = [calibration.anchors["torso"][metric][i] for metric in ("gqr", "pr", "dc")]
        assert calibration.scores(family="torso", q=q) == pytest.approx((target, target, target))
    grid = np.linspace(-4, 1, 60)
    values = [calibration.scores(family="torso", q=(x, x + 1.0, x - 0.5))[0] for x in grid]
    assert (np.diff(values) >= 0).all() and values[0] == 0.0 and values[-1] == 3.0


def test_calibration_round_trips_and_refuses_an_unknown_family_or_missing_level() -> None:
    calibration = fit_calibration(records=_records())
    again = ObserverCalibration.from_dict(calibration.to_dict())
    assert again.scores(family="torso", q=(-1.2, -0.3, -1.6)) == calibration.scores(
        family="torso", q=(-1.2, -0.3, -1.6)
    )
    with pytest.raises(InputError, match="family"):
        calibration.scores(family="brain", q=(0, 0, 0))
    with pytest.raises(InputError, match=r"count level 0\.5"):
        fit_calibration(records=[r for r in _records() if r[1] != 0.5])


def test_round_to_grid() -> None:
    np.testing.assert_array_equal(round_to_grid([-0.3, 0.24, 0.26, 1.74, 2.9, 3.6]), [0.0, 0.0, 0.5, 1.5, 3.0, 3.0])
