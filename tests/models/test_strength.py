"""Strength levels: blend weights of a bundle, and the blend of the input and the network's output."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.strength import DEFAULT_STRENGTH, LEGACY_STRENGTH, Strength
from imaging.errors import InputError
from imaging.intensity import body_mask
from models.inference import denoise_volume
from models.strength import DEFAULT_BLEND, LEVELS, blend_weight, check_blend, parse_strengths
from tests.models.test_inference import ShiftEngine


@dataclass
class DampingEngine:
    """Multiplies the centre slice by ``factor``: a non-negative output, so no clamp ever acts."""

    factor: float
    name: str = "damping"

    def run(self, slices: np.ndarray) -> np.ndarray:
        return slices[:, 1:2] * np.float32(self.factor)


def _volume() -> np.ndarray:
    return np.random.default_rng(11).gamma(2.0, 3000.0, size=(6, 14, 12)).astype(np.float32)


def test_the_levels_are_the_cores_and_the_defaults_grow_to_the_full_output() -> None:
    assert tuple(level.value for level in Strength) == LEVELS
    assert set(DEFAULT_BLEND) == set(LEVELS)
    assert 0 < DEFAULT_BLEND["low"] <= DEFAULT_BLEND["medium"] <= DEFAULT_BLEND["high"] == 1.0
    assert (DEFAULT_STRENGTH, LEGACY_STRENGTH) == (Strength.MEDIUM, Strength.HIGH)


def test_blend_weight_reads_the_bundles_levels_or_the_defaults() -> None:
    assert [blend_weight(strengths=None, strength=level) for level in Strength] == [0.5, 0.75, 1.0]
    calibrated = {"low": 0.3, "medium": 0.6, "high": 0.9}
    assert blend_weight(strengths=calibrated, strength=Strength.LOW) == 0.3
    assert blend_weight(strengths=calibrated, strength="high") == 0.9
    with pytest.raises(ValueError, match="'strength' should be one of low, medium, high"):
        blend_weight(strengths=None, strength="extreme")


def test_parse_strengths_accepts_a_complete_ordered_mapping() -> None:
    assert parse_strengths(value=None) is None
    assert parse_strengths(value={"high": 1, "low": 0.4, "medium": 0.4}) == {"low": 0.4, "medium": 0.4, "high": 1.0}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"low": 0.5, "medium": 0.75}, "exactly low, medium, high"),
        ({"low": 0.5, "medium": 0.75, "high": 1.0, "max": 1.0}, "exactly low, medium, high"),
        ([0.5, 0.75, 1.0], "exactly low, medium, high"),
        ({"low": 0.0, "medium": 0.75, "high": 1.0}, r"strengths.low' should be a number in \(0, 1\]"),
        ({"low": 0.5, "medium": 0.75, "high": 1.5}, r"strengths.high' should be a number in \(0, 1\]"),
        ({"low": 0.5, "medium": math.nan, "high": 1.0}, "strengths.medium'"),
        ({"low": "0.5", "medium": 0.75, "high": 1.0}, "strengths.low'"),
        ({"low": True, "medium": 0.75, "high": 1.0}, "strengths.low'"),
        ({"low": 0.8, "medium": 0.75, "high": 1.0}, "grow from low to high"),
    ],
)
def test_parse_strengths_refuses_malformed_levels(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_strengths(value=value)


@pytest.mark.parametrize("blend", [0.0, -0.25, 1.01, math.nan, math.inf, True, "0.5"])
def test_a_blend_outside_0_to_1_is_refused(blend: object) -> None:
    with pytest.raises(ValueError, match=r"'blend' should be a number in \(0, 1\]"):
        check_blend(blend=blend)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'blend'"):
        denoise_volume(voxels=_volume(), engine=DampingEngine(factor=0.5), blend=blend)  # type: ignore[arg-type]


@pytest.mark.parametrize("preserve_activity", [True, False])
def test_blend_1_is_the_networks_output_bit_for_bit(preserve_activity: bool) -> None:
    volume = _volume()
    engine = ShiftEngine(shift=0.1)
    today = denoise_volume(voxels=volume, engine=engine, preserve_activity=preserve_activity)
    full = denoise_volume(voxels=volume, engine=engine, preserve_activity=preserve_activity, blend=1.0)
    assert np.array_equal(full.voxels, today.voxels) and full.activity_factor == today.activity_factor


def test_blend_half_is_the_midpoint_of_input_and_network_output_before_activity_preservation() -> None:
    volume = _volume()
    engine = DampingEngine(factor=0.5)
    raw = denoise_volume(voxels=volume, engine=engine, preserve_activity=False)
    half = denoise_volume(voxels=volume, engine=engine, preserve_activity=False, blend=0.5)
    np.testing.assert_allclose(raw.voxels, 0.5 * volume, rtol=1e-6)
    np.testing.assert_allclose(half.voxels, 0.5 * (volume + raw.voxels), rtol=1e-6)
    kept = denoise_volume(voxels=volume, engine=engine, blend=0.5)  # then one factor gives the body its total back
    body = body_mask(voxels=volume)
    assert kept.activity_factor == pytest.approx(4.0 / 3.0, rel=1e-5)
    np.testing.assert_allclose(kept.voxels, half.voxels * kept.activity_factor, rtol=1e-6)
    assert float(kept.voxels[body].sum(dtype=np.float64)) == pytest.approx(float(volume[body].sum()), rel=1e-5)


def test_negatives_are_zeroed_after_the_blend() -> None:
    volume = _volume()
    scale = denoise_volume(voxels=volume, engine=DampingEngine(factor=1.0)).scale
    shifted = denoise_volume(voxels=volume, engine=ShiftEngine(shift=5.0), preserve_activity=False, blend=0.5)
    np.testing.assert_allclose(shifted.voxels, np.maximum(volume - 2.5 * scale, 0.0), rtol=1e-5, atol=1e-2)


def test_write_strengths_records_the_levels_and_keeps_the_weights(tmp_path: Path) -> None:
    from models.bundle_info import load_bundle_info, write_strengths
    from tests.models.factories import random_dncnn, write_bundle

    before = write_bundle(model=random_dncnn(width=4), directory=tmp_path)
    after = write_strengths(directory=tmp_path, strengths={"low": 0.4, "medium": 0.7, "high": 1.0}, evidence="test")
    assert after.strengths == {"low": 0.4, "medium": 0.7, "high": 1.0}
    assert after.device_uid == before.device_uid and after.metadata["strengths_source"] == "test"
    with pytest.raises(InputError, match="strengths"):
        write_strengths(directory=tmp_path, strengths={"low": 0.9, "medium": 0.7, "high": 1.0}, evidence="bad")
    assert load_bundle_info(directory=tmp_path).strengths == after.strengths
