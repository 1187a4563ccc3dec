"""Whole-volume inference: normalisation mapped back, mirrored edge slices, batching, negatives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from imaging.intensity import body_mask
from imaging.simulation.shards import slice_triplet
from models.inference import ENSEMBLE_SIZES, activity_factor, denoise_volume, neighbour_indices, run_ensemble


@dataclass
class CentreEngine:
    """Returns the centre slice (an identity denoiser) and records what it was given."""

    seen: list[np.ndarray] = field(default_factory=list)
    name: str = "centre"

    def run(self, slices: np.ndarray) -> np.ndarray:
        self.seen.append(slices.copy())
        return slices[:, 1:2].copy()


@dataclass
class ShiftEngine:
    """Subtracts a constant (in normalised units) from the centre slice."""

    shift: float
    name: str = "shift"

    def run(self, slices: np.ndarray) -> np.ndarray:
        return slices[:, 1:2] - np.float32(self.shift)


def _volume(*, shape: tuple[int, int, int] = (7, 12, 10)) -> np.ndarray:
    return np.random.default_rng(3).gamma(2.0, 3000.0, size=shape).astype(np.float32)


def test_identity_engine_returns_the_input_in_its_units() -> None:
    volume = _volume()
    result = denoise_volume(voxels=volume, engine=CentreEngine(), batch=3)
    assert result.voxels.dtype == np.float32 and result.voxels.shape == volume.shape
    np.testing.assert_allclose(result.voxels, volume, rtol=1e-6)


def test_engine_sees_normalised_triplets_mirrored_at_the_ends_like_training() -> None:
    volume = _volume()
    engine = CentreEngine()
    result = denoise_volume(voxels=volume, engine=engine, batch=4, ensemble=1)
    seen = np.concatenate(engine.seen)
    assert [len(batch) for batch in engine.seen] == [4, 3]
    for z in range(volume.shape[0]):
        np.testing.assert_allclose(seen[z], slice_triplet(volume=volume, z=z) / result.scale, rtol=1e-6)


@pytest.mark.parametrize("nz", [1, 2, 5])
def test_neighbour_indices_reflect(nz: int) -> None:
    indices = neighbour_indices(nz=nz, z=np.arange(nz))
    assert indices.min() >= 0 and indices.max() <= nz - 1
    if nz >= 2:
        assert indices[0].tolist() == [1, 0, 1] and indices[-1].tolist() == [nz - 2, nz - 1, nz - 2]


def test_output_is_mapped_back_by_the_scale() -> None:
    volume = _volume()
    result = denoise_volume(voxels=volume, engine=ShiftEngine(shift=0.1), batch=8, preserve_activity=False)
    np.testing.assert_allclose(result.voxels, np.maximum(volume - 0.1 * result.scale, 0), rtol=1e-5, atol=1e-2)
    assert result.activity_factor == 1.0


def test_the_body_keeps_its_total_activity() -> None:
    volume = _volume()
    raw = denoise_volume(voxels=volume, engine=ShiftEngine(shift=0.1), preserve_activity=False)
    kept = denoise_volume(voxels=volume, engine=ShiftEngine(shift=0.1))
    body = body_mask(voxels=volume)
    total_in, total_raw = float(volume[body].sum()), float(raw.voxels[body].sum())
    assert total_raw < 0.99 * total_in  # the engine lost activity ...
    assert float(kept.voxels[body].sum()) == pytest.approx(total_in, rel=1e-5)  # ... and it was given back
    assert kept.activity_factor == pytest.approx(total_in / total_raw, rel=1e-6)
    np.testing.assert_allclose(kept.voxels, raw.voxels * kept.activity_factor, rtol=1e-5)


def test_activity_factor_is_one_without_positive_totals() -> None:
    volume = _volume()
    assert activity_factor(before=volume, after=np.zeros_like(volume), scale=1.0) == 1.0
    assert activity_factor(before=-volume, after=volume, scale=1.0) == 1.0


def test_negatives_are_zeroed_only_when_the_input_had_none() -> None:
    volume = _volume()
    shifted = denoise_volume(voxels=volume, engine=ShiftEngine(shift=5.0))
    assert shifted.voxels.min() == 0.0
    signed = volume.copy()
    signed[0, 0, 0] = -10.0
    kept = denoise_volume(voxels=signed, engine=ShiftEngine(shift=5.0))
    assert kept.voxels.min() < 0.0


def test_hot_spots_are_not_clipped() -> None:
    volume = _volume()
    volume[3, 5, 5] = 1e7
    result = denoise_volume(voxels=volume, engine=CentreEngine())
    assert result.voxels[3, 5, 5] == pytest.approx(1e7, rel=1e-6)


@dataclass
class OrientedEngine:
    """Adds a ramp along the last axis to the centre slice: its output depends on the orientation it is given."""

    seen: list[tuple[int, ...]] = field(default_factory=list)
    name: str = "oriented"

    def run(self, slices: np.ndarray) -> np.ndarray:
        self.seen.append(slices.shape)
        ramp = np.linspace(-1.0, 1.0, slices.shape[-1], dtype=np.float32)
        return slices[:, 1:2] + ramp


@pytest.mark.parametrize("ensemble", ENSEMBLE_SIZES)
def test_each_ensemble_member_is_turned_back_before_averaging(ensemble: int) -> None:
    """An orientation-free engine gives the same output for every ensemble size; an oriented one (a ramp along
    x) averages to the centre slice once opposite orientations are in, and a non-square slice is run turned."""
    stacks = np.random.default_rng(5).gamma(2.0, 1.0, size=(3, 3, 6, 4)).astype(np.float32)
    same = run_ensemble(stacks=stacks, engine=CentreEngine(), ensemble=ensemble)
    np.testing.assert_allclose(same, stacks[:, 1:2], rtol=1e-6)
    oriented = OrientedEngine()
    out = run_ensemble(stacks=stacks, engine=oriented, ensemble=ensemble)
    assert len(oriented.seen) == ensemble
    if ensemble == 1:
        np.testing.assert_allclose(out - stacks[:, 1:2], np.broadcast_to(np.linspace(-1, 1, 4), out.shape), atol=1e-6)
    else:  # 180° turns the ramp into its negative: the mean ramp is 0
        np.testing.assert_allclose(out, stacks[:, 1:2], atol=1e-6)
    if ensemble >= 4:
        assert (3, 3, 4, 6) in oriented.seen  # a quarter turn swaps h and w


def test_an_unknown_ensemble_size_is_refused() -> None:
    with pytest.raises(ValueError, match="ensemble"):
        denoise_volume(voxels=_volume(), engine=CentreEngine(), ensemble=3)


def test_the_cli_and_the_service_offer_the_ensemble_sizes_and_default_of_the_runtime() -> None:
    """``petiq process --ensemble`` and ``PETIQ_DENOISE_ENSEMBLE`` spell the sizes out (no torch import at start)."""
    import argparse
    import typing

    from cli.process_cmd import register
    from core.settings import Settings
    from models.inference import DEFAULT_ENSEMBLE

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    base = ["process", "in", "-o", "out"]
    assert parser.parse_args(base).ensemble == DEFAULT_ENSEMBLE
    assert [parser.parse_args([*base, "--ensemble", str(n)]).ensemble for n in ENSEMBLE_SIZES] == list(ENSEMBLE_SIZES)
    with pytest.raises(SystemExit):
        parser.parse_args([*base, "--ensemble", "3"])
    field = Settings.model_fields["denoise_ensemble"]
    assert typing.get_args(field.annotation) == ENSEMBLE_SIZES and field.default == DEFAULT_ENSEMBLE


def test_the_cli_offers_the_strength_levels_and_leaves_the_default_to_the_settings() -> None:
    """``petiq process --strength``: the levels of :class:`core.strength.Strength`; unset, the run takes
    ``PETIQ_DEFAULT_STRENGTH`` (:mod:`cli.process_cmd`)."""
    import argparse

    from cli.process_cmd import register
    from core.strength import Strength

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    base = ["process", "in", "-o", "out"]
    assert parser.parse_args(base).strength is None
    assert [parser.parse_args([*base, "--strength", level]).strength for level in Strength] == list(Strength)
    with pytest.raises(SystemExit):
        parser.parse_args([*base, "--strength", "extreme"])
