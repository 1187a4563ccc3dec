"""The reader on the real GE Discovery ST series (267 slices, a different RescaleSlope on every slice)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest

from imaging.dicom.reader import PetSeries, read_pet_series
from imaging.volume import Units


@pytest.fixture(scope="module")
def real_series(real_ge_dir: Path) -> PetSeries:
    return read_pet_series(source=real_ge_dir)


def test_shape_spacing_and_units(real_series: PetSeries) -> None:
    volume = real_series.volume
    assert volume.shape == (267, 128, 128)
    assert volume.geometry.spacing_mm == pytest.approx((3.27, 4.6875, 4.6875), rel=1e-3)
    assert volume.units is Units.BQML
    assert volume.geometry.slice_thickness_mm == pytest.approx(3.27)


def test_slices_are_in_increasing_position(real_series: PetSeries) -> None:
    positions = [float(ds.ImagePositionPatient[2]) for ds in real_series.datasets]
    assert positions == sorted(positions)
    assert real_series.volume.geometry.slice_positions_mm == pytest.approx(positions)
    assert real_series.volume.geometry.origin_mm[2] == pytest.approx(min(positions))


def test_voxels_are_stored_times_each_slices_slope(real_series: PetSeries, real_ge_dir: Path) -> None:
    by_position = {}
    for path in real_ge_dir.glob("*.dcm"):
        ds = pydicom.dcmread(path)
        by_position[float(ds.ImagePositionPatient[2])] = ds.pixel_array * float(ds.RescaleSlope) + float(
            ds.RescaleIntercept
        )
    expected = np.stack([by_position[z] for z in sorted(by_position)]).astype(np.float32)
    assert len({float(ds.RescaleSlope) for ds in real_series.datasets}) > 100
    np.testing.assert_array_equal(real_series.volume.voxels, expected)


def test_suv_factor_matches_a_hand_computation(real_series: PetSeries) -> None:
    weight_g = 71.0 * 1000.0
    dose_bq = 3.88777472e8
    half_life_s = 6588.0
    elapsed_s = (datetime(2000, 9, 7, 11, 20, 11) - datetime(2000, 9, 7, 10, 35, 0)).total_seconds()
    expected = weight_g / (dose_bq * np.exp(-np.log(2.0) * elapsed_s / half_life_s))
    assert real_series.volume.suv.factor == pytest.approx(expected, rel=1e-6)
    assert real_series.datasets[0].DecayCorrection == "START"
