"""The series reader on synthetic series: vendor styles, sources, geometry, units, compression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import RLELossless

from imaging.dicom import reader
from imaging.dicom.reader import parse_units, read_pet_series
from imaging.volume import Units
from tests.imaging.dicom.factories import make_pet_series, shuffled_paths, to_bytes, write_series


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240102)


def test_all_lists_the_public_names() -> None:
    assert set(reader.__all__) == {"PetSeries", "parse_units", "read_pet_series", "series_uids", "validate_series"}


def test_siemens_style_reverse_order_shuffled_files_read_to_the_truth(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng, per_slice_slope=False, reverse_instances=True, manufacturer="SIEMENS")
    shuffled_paths(list(reversed(series.datasets)), tmp_path, rng=rng)
    result = read_pet_series(source=tmp_path)
    assert result.volume.voxels.dtype == np.float32
    np.testing.assert_array_equal(result.volume.voxels, series.truth)
    expected_uids = tuple(ds.SOPInstanceUID for ds in series.datasets)
    assert result.volume.uids.sop_instance_uids == expected_uids
    assert [ds.SOPInstanceUID for ds in result.datasets] == list(expected_uids)


def test_ge_style_slope_per_slice_is_applied_per_slice(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng, per_slice_slope=True)
    assert len(set(series.slopes)) == len(series.slopes)
    paths = write_series(series.datasets, tmp_path)
    result = read_pet_series(source=list(reversed(paths)))
    np.testing.assert_array_equal(result.volume.voxels, series.truth)
    assert result.manufacturer == "GE MEDICAL SYSTEMS"
    assert result.modality == "PT"


def test_in_memory_bytes_read_like_files(rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng)
    blobs = [to_bytes(ds) for ds in series.datasets]
    result = read_pet_series(source=[blobs[i] for i in rng.permutation(len(blobs))])
    np.testing.assert_array_equal(result.volume.voxels, series.truth)


def test_geometry_comes_from_the_headers(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng, shape=(5, 3, 4), spacing_z_mm=3.5)
    write_series(series.datasets, tmp_path)
    geometry = read_pet_series(source=tmp_path).volume.geometry
    assert geometry.spacing_mm == pytest.approx((3.5, 2.5, 2.0))
    assert geometry.origin_mm == pytest.approx((-10.0, -20.0, -100.0))
    assert geometry.slice_positions_mm == pytest.approx([-100.0 + 3.5 * i for i in range(5)])
    assert geometry.row_direction == (1.0, 0.0, 0.0)
    assert geometry.column_direction == (0.0, 1.0, 0.0)
    assert geometry.slice_thickness_mm == 3.0


def test_slices_sort_along_the_normal_not_by_z(tmp_path: Path, rng: np.random.Generator) -> None:
    """Feet-first orientation (column direction flipped): the normal is -z, so z order is decreasing patient z."""
    series = make_pet_series(rng=rng, shape=(4, 2, 3))
    for ds in series.datasets:
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "-1", "0"]
    write_series(series.datasets, tmp_path)
    volume = read_pet_series(source=tmp_path).volume
    np.testing.assert_array_equal(volume.voxels, series.truth[::-1])
    assert volume.geometry.origin_mm[2] == pytest.approx(-91.0)
    assert np.all(np.diff(volume.geometry.slice_positions_mm) > 0)


def test_headers_are_returned_without_pixel_data(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng)
    write_series(series.datasets, tmp_path)
    result = read_pet_series(source=tmp_path)
    assert len(result.datasets) == series.truth.shape[0]
    assert all("PixelData" not in ds for ds in result.datasets)
    assert all("RescaleSlope" in ds for ds in result.datasets)


def test_a_directory_skips_files_that_are_not_dicom_candidates(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng)
    write_series(series.datasets, tmp_path)
    (tmp_path / "README.md").write_text("a series\n")
    (tmp_path / ".hidden.dcm").write_text("editor swap file\n")
    np.testing.assert_array_equal(read_pet_series(source=tmp_path).volume.voxels, series.truth)


def test_rle_lossless_is_decoded_natively(tmp_path: Path, rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng)
    for ds in series.datasets:
        ds.compress(RLELossless, encoding_plugin="pydicom")
    write_series(series.datasets, tmp_path)
    np.testing.assert_array_equal(read_pet_series(source=tmp_path).volume.voxels, series.truth)


def test_a_single_slice_takes_its_thickness_as_spacing(rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng, shape=(1, 3, 3))
    volume = read_pet_series(source=[to_bytes(series.datasets[0])]).volume
    assert volume.geometry.spacing_mm[0] == 3.0


def test_suv_factor_of_the_synthetic_headers(rng: np.random.Generator) -> None:
    series = make_pet_series(rng=rng)
    volume = read_pet_series(source=[to_bytes(ds) for ds in series.datasets]).volume
    decayed = 3.5e8 * 0.5 ** (3600.0 / 6586.2)
    assert volume.suv.factor == pytest.approx(70_000.0 / decayed, rel=1e-9)


@pytest.mark.parametrize(
    ("raw", "units", "kept"),
    [("BQML", Units.BQML, ""), ("CNTS", Units.CNTS, ""), ("GML", Units.GML, ""), ("MBQML", Units.OTHER, "MBQML")],
)
def test_units_are_named_or_kept_raw(raw: str, units: Units, kept: str, rng: np.random.Generator) -> None:
    assert parse_units(value=raw) == (units, kept)
    series = make_pet_series(rng=rng, shape=(2, 2, 2))
    for ds in series.datasets:
        ds.Units = raw
    volume = read_pet_series(source=[to_bytes(ds) for ds in series.datasets]).volume
    assert (volume.units, volume.units_raw) == (units, kept)
    assert (volume.suv.factor is None) == (units not in (Units.BQML, Units.GML))
