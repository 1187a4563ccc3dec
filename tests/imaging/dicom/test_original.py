"""ORIGINAL PET series from a volume: content, timing, write + strict read-back, dciodvfy clean."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from imaging.dicom import original
from imaging.dicom.files import write_series
from imaging.dicom.modules import DecayCorrection
from imaging.dicom.original import AcquisitionInfo, create_original_series, frame_timing
from imaging.volume import PetVolume
from tests.imaging.dicom.dciodvfy import dciodvfy_errors, requires_dciodvfy
from tests.imaging.dicom.writer_helpers import read_datasets, strict_reading, synthetic_volume, voxels_of


@pytest.fixture
def volume() -> PetVolume:
    return synthetic_volume(rng=np.random.default_rng(11))


def test_series_carries_the_volume_uids_and_geometry(volume: PetVolume) -> None:
    datasets = create_original_series(volume=volume, info=AcquisitionInfo())
    assert len(datasets) == volume.shape[0]
    for index, ds in enumerate(datasets):
        assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY"]
        assert ds.StudyInstanceUID == volume.uids.study_uid
        assert ds.SeriesInstanceUID == volume.uids.series_uid
        assert ds.FrameOfReferenceUID == volume.uids.frame_of_reference_uid
        assert ds.SOPInstanceUID == volume.uids.sop_instance_uids[index]
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert (ds.InstanceNumber, ds.ImageIndex) == (index + 1, index + 1)
        assert np.allclose(ds.ImagePositionPatient, volume.geometry.slice_origin_mm(index), atol=1e-9)
        assert np.allclose(ds.ImageOrientationPatient, volume.geometry.image_orientation)
        assert np.allclose(ds.PixelSpacing, volume.geometry.spacing_mm[1:])
        assert (ds.Rows, ds.Columns) == volume.shape[1:]
        assert float(ds.RescaleIntercept) == 0.0


def test_isotope_module_makes_suv_computable(volume: PetVolume) -> None:
    info = AcquisitionInfo(patient_weight_kg=82.5, injected_dose_bq=250e6)
    ds = create_original_series(volume=volume, info=info)[0]
    drug = ds.RadiopharmaceuticalInformationSequence[0]
    assert float(drug.RadionuclideTotalDose) == 250e6
    assert float(drug.RadionuclideHalfLife) == info.tracer.half_life_s
    assert drug.RadiopharmaceuticalStartDateTime.startswith("20240115090000")
    assert drug.RadionuclideCodeSequence[0].CodeValue == info.tracer.radionuclide.value
    assert (ds.Units, ds.DecayCorrection, float(ds.PatientWeight)) == ("BQML", "START", 82.5)
    assert (ds.SeriesDate, ds.SeriesTime[:6]) == ("20240115", "100000")


def test_frame_reference_time_is_when_activity_equals_its_frame_average() -> None:
    info = AcquisitionInfo(frame_duration_ms=600_000)
    reference_ms, decay_factor = frame_timing(info=info)
    decay_constant = math.log(2) / info.tracer.half_life_s
    times_s = np.linspace(0.0, 600.0, 200_001)
    frame_average = float(np.trapezoid(np.exp(-decay_constant * times_s), times_s)) / 600.0
    assert math.exp(-decay_constant * reference_ms / 1000) == pytest.approx(frame_average, rel=1e-9)
    assert 0.0 < reference_ms < 600_000 and reference_ms < 300_000  # early half: the activity decays
    assert decay_factor == pytest.approx(math.exp(decay_constant * reference_ms / 1000), rel=1e-12)


def test_decay_factor_follows_the_decay_correction_reference() -> None:
    start = AcquisitionInfo()
    uptake_s = (start.acquisition_datetime - start.injection_datetime).total_seconds()
    _, start_factor = frame_timing(info=start)
    _, admin_factor = frame_timing(info=dataclasses.replace(start, decay_correction=DecayCorrection.ADMIN))
    _, none_factor = frame_timing(info=dataclasses.replace(start, decay_correction=DecayCorrection.NONE))
    assert start_factor is not None and admin_factor is not None
    assert admin_factor == pytest.approx(start_factor * 2 ** (uptake_s / start.tracer.half_life_s), rel=1e-12)
    assert none_factor is None


def test_written_files_read_back_strictly_with_the_voxels(volume: PetVolume, tmp_path: Path) -> None:
    paths = write_series(
        datasets=create_original_series(volume=volume, info=AcquisitionInfo()), directory=tmp_path / "s"
    )
    with strict_reading():
        datasets = read_datasets(paths)
    assert [ds.SOPInstanceUID for ds in datasets] == list(volume.uids.sop_instance_uids)
    peak = np.max(np.abs(volume.voxels), axis=(1, 2))[:, None, None]
    assert np.all(np.abs(voxels_of(datasets) - volume.voxels) <= 1e-4 * peak)


@pytest.mark.parametrize(
    ("changes", "argument"),
    [
        ({"injected_dose_bq": 0.0}, "injected_dose_bq"),
        ({"frame_duration_ms": 0}, "frame_duration_ms"),
        ({"injection_datetime": datetime(2024, 1, 15, 11, 0)}, "injection_datetime"),
        ({"series_number": -1}, "series_number"),
    ],
)
def test_acquisition_info_rejects_impossible_values(changes: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=f"Argument '{argument}'"):
        AcquisitionInfo(**changes)  # type: ignore[arg-type]


def test_volume_without_instance_uids_is_rejected(volume: PetVolume) -> None:
    bare = dataclasses.replace(volume, uids=dataclasses.replace(volume.uids, sop_instance_uids=()))
    with pytest.raises(ValueError, match=r"Argument 'volume'.*SOP Instance UID"):
        create_original_series(volume=bare, info=AcquisitionInfo())


def test_public_names() -> None:
    assert all(hasattr(original, name) for name in original.__all__)


@pytest.mark.e2e
@requires_dciodvfy
@pytest.mark.parametrize("decay_correction", list(DecayCorrection))
def test_dciodvfy_reports_no_error(volume: PetVolume, tmp_path: Path, decay_correction: DecayCorrection) -> None:
    info = AcquisitionInfo(decay_correction=decay_correction, patient_birth_date=datetime(1960, 5, 1).date())
    paths = write_series(datasets=create_original_series(volume=volume, info=info), directory=tmp_path / "s")
    for path in paths:
        assert dciodvfy_errors(path) == set(), path.name
