"""Round trip through petiq's own reader: read → derive → write → read.

Voxels equal within 1e-4 of each slice's maximum, geometry identical, every UID new, the references point at the
source instances in z order, and the written files re-read under pydicom's strict validation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest

from imaging.dicom.derived import AlgorithmIdentity, derive_series
from imaging.dicom.files import write_series
from imaging.dicom.reader import PetSeries, read_pet_series
from tests.imaging.dicom.factories import make_pet_series, shuffled_paths
from tests.imaging.dicom.writer_helpers import strict_reading


def _roundtrip(series: PetSeries, out: Path) -> PetSeries:
    algorithm = AlgorithmIdentity(
        name="roundtrip", version="1", software_version="0.1.0", device_uid=hd.UID(), description="identity"
    )
    # a stand-in for the denoiser: the same voxels scaled, so slopes change and values must survive encoding
    processed = replace(series.volume, voxels=(series.volume.voxels * np.float32(0.5)).astype(np.float32))
    datasets = derive_series(volume=processed, sources=series.datasets, algorithm=algorithm)
    write_series(datasets=datasets, directory=out)
    with strict_reading():
        return read_pet_series(source=out)


def _check(source: PetSeries, derived: PetSeries) -> None:
    expected = source.volume.voxels * np.float32(0.5)
    tolerance = 1e-4 * np.abs(expected).max(axis=(1, 2), keepdims=True)
    assert np.all(np.abs(derived.volume.voxels - expected) <= tolerance)
    assert derived.volume.geometry == source.volume.geometry
    assert derived.volume.units == source.volume.units
    assert derived.volume.suv.factor == pytest.approx(source.volume.suv.factor, rel=1e-12)
    old, new = source.volume.uids, derived.volume.uids
    assert new.study_uid == old.study_uid
    assert new.frame_of_reference_uid == old.frame_of_reference_uid
    assert new.series_uid != old.series_uid
    assert not set(new.sop_instance_uids) & set(old.sop_instance_uids)
    referenced = [ds.SourceImageSequence[0].ReferencedSOPInstanceUID for ds in derived.datasets]
    assert referenced == list(old.sop_instance_uids)


def test_synthetic_siemens_style_roundtrip(tmp_path: Path) -> None:
    synthetic = make_pet_series(
        rng=np.random.default_rng(3), shape=(7, 9, 8), per_slice_slope=False, reverse_instances=True
    )
    paths = shuffled_paths(synthetic.datasets, tmp_path / "in", rng=np.random.default_rng(4))
    source = read_pet_series(source=paths)
    _check(source, _roundtrip(source, tmp_path / "out"))


@pytest.mark.slow
def test_real_ge_roundtrip(real_ge_dir: Path, tmp_path: Path) -> None:
    source = read_pet_series(source=real_ge_dir)
    _check(source, _roundtrip(source, tmp_path / "out"))
