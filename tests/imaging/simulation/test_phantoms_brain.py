"""The FDG brain phantom."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_brain_phantom
from imaging.simulation.phantoms.tissues import MU_BONE_RANGE


@pytest.fixture(scope="module")
def normal() -> Phantom:
    return make_brain_phantom(seed=11)


@pytest.fixture(scope="module")
def alzheimer() -> Phantom:
    return make_brain_phantom(seed=12, hypometabolism="ad")


def _levels(phantom: Phantom) -> dict[str, float]:
    levels = phantom.extras["levels_bqml"]
    assert isinstance(levels, dict)
    return levels


def test_arrays_masks_and_record(normal: Phantom) -> None:
    assert normal.kind is PhantomKind.BRAIN and normal.variant == "normal" and normal.seed == 11
    assert normal.shape == (48, 128, 128)
    assert normal.activity.dtype == np.float32 and normal.mu.dtype == np.float32
    assert {"body", "gm", "cortex", "deep_gm", "cerebellum", "wm", "csf", "skull", "scalp"} <= set(normal.masks)
    assert "hypo" not in normal.masks
    for name, mask in normal.masks.items():
        assert mask.dtype == np.bool_ and mask.any(), name
        assert not (mask & ~normal.masks["body"]).any(), name
    assert normal.activity.min() >= 0.0
    outside = normal.activity[~normal.masks["body"]]
    assert float(outside.max()) <= 0.5 * _levels(normal)["scalp"] * 1.001  # only partial-volume skin voxels


def test_same_seed_same_phantom_other_seed_other_phantom(normal: Phantom) -> None:
    again = make_brain_phantom(seed=11)
    np.testing.assert_array_equal(again.activity, normal.activity)
    np.testing.assert_array_equal(again.mu, normal.mu)
    other = make_brain_phantom(seed=13)
    assert not np.array_equal(other.activity, normal.activity)
    assert other.masks["body"].sum() != normal.masks["body"].sum()


def test_grey_to_white_matter_ratio_is_about_four(normal: Phantom) -> None:
    levels = _levels(normal)
    assert 10e3 * 0.8 <= levels["gm"] <= 12e3 * 1.09  # 10-12 kBq/ml at 370 MBq, dose 300-400 MBq
    gm = float(np.percentile(normal.activity[normal.masks["cortex"]], 90))
    wm = float(np.median(normal.activity[normal.masks["wm"]]))
    assert gm == pytest.approx(levels["gm"], rel=0.01)
    assert wm == pytest.approx(levels["wm"], rel=0.01)
    assert 3.5 <= gm / wm <= 4.5


def test_tissue_attenuation_and_empty_csf(normal: Phantom) -> None:
    bone = float(np.median(normal.mu[normal.masks["skull"]]))
    assert MU_BONE_RANGE[0] <= bone <= MU_BONE_RANGE[1]
    assert float(np.median(normal.mu[normal.masks["wm"]])) == pytest.approx(0.0096, rel=1e-4)
    assert float(np.percentile(normal.activity[normal.masks["csf"]], 10)) < 0.1 * _levels(normal)["wm"]


def test_hypometabolism_reduces_cortex_against_its_reference(alzheimer: Phantom) -> None:
    assert alzheimer.variant == "ad"
    record = alzheimer.extras["hypometabolism"]
    assert isinstance(record, dict) and record["pattern"] == "ad"
    reduction = float(record["reduction"])
    assert 0.2 <= reduction <= 0.4
    hypo, ref = alzheimer.masks["hypo"], alzheimer.masks["hypo_ref"]
    assert hypo.sum() > 100 and ref.sum() > 100 and not (hypo & ref).any()
    level = _levels(alzheimer)["gm"]
    assert float(np.percentile(alzheimer.activity[hypo], 90)) == pytest.approx(level * (1 - reduction), rel=0.02)
    assert float(np.percentile(alzheimer.activity[ref], 90)) == pytest.approx(level, rel=0.02)
    x = np.nonzero(hypo)[2] * alzheimer.spacing_mm[2]
    centre_x = np.nonzero(alzheimer.masks["body"])[2].mean() * alzheimer.spacing_mm[2]
    assert (x < centre_x).any() and (x > centre_x).any()  # bilateral


@pytest.mark.parametrize("pattern", ["ftd", "unilateral"])
def test_other_patterns_have_their_masks(pattern: str) -> None:
    phantom = make_brain_phantom(seed=3, shape=(24, 64, 64), spacing_mm=(6.0, 4.0, 4.0), hypometabolism=pattern)
    assert phantom.masks["hypo"].any() and phantom.masks["hypo_ref"].any()
    if pattern == "unilateral":
        x = np.nonzero(phantom.masks["hypo"])[2].mean()
        x_ref = np.nonzero(phantom.masks["hypo_ref"])[2].mean()
        body_x = np.nonzero(phantom.masks["body"])[2].mean()
        assert (x - body_x) * (x_ref - body_x) < 0  # opposite hemispheres


def test_unknown_pattern_is_refused() -> None:
    with pytest.raises(InputError, match="'hypometabolism'"):
        make_brain_phantom(seed=0, hypometabolism="parkinson")
