"""The series encoder writes, byte for byte, what ``pydicom.dcmwrite(..., enforce_file_format=True)`` writes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from pydicom import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from imaging.dicom.derived import derive_series
from imaging.dicom.encode import SeriesEncoder, dcmwrite_bytes
from imaging.dicom.reader import read_pet_series
from tests.imaging.dicom.factories import make_pet_series, to_bytes
from tests.imaging.dicom.writer_helpers import ALGORITHM


def _derived(source: Path | list[bytes]) -> list[Dataset]:
    series = read_pet_series(source=source)
    return derive_series(volume=series.volume, sources=series.datasets, algorithm=ALGORITHM)


def _synthetic_files(*, vendor: str) -> list[bytes]:
    """A small series as files, written implicit VR (as GE and Siemens scanners do) with a vendor's name."""
    series = make_pet_series(rng=np.random.default_rng(3), shape=(5, 8, 8), manufacturer=vendor)
    blobs = []
    for dataset in series.datasets:
        dataset.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        blobs.append(to_bytes(dataset))
    return blobs


@pytest.mark.parametrize("vendor", ["GE MEDICAL SYSTEMS", "SIEMENS", "Philips Medical Systems"])
def test_derived_slices_are_dcmwrite_bytes(vendor: str) -> None:
    slices = _derived(_synthetic_files(vendor=vendor))
    encoder = SeriesEncoder()
    assert [encoder.encode(ds) for ds in slices] == [dcmwrite_bytes(ds) for ds in slices]
    assert [encoder.encodes(ds) for ds in slices] == [False] + [True] * (len(slices) - 1)  # the first is not sealed
    assert encoder.checked and not encoder.fallback


@pytest.mark.slow
def test_the_real_ge_series_is_encoded_as_dcmwrite_encodes_it(real_ge_dir: Path) -> None:
    slices = _derived(real_ge_dir)
    encoder = SeriesEncoder()
    assert [encoder.encode(ds) for ds in slices] == [dcmwrite_bytes(ds) for ds in slices]
    assert not encoder.fallback and sum(map(encoder.encodes, slices)) == len(slices) - 1


def test_a_dataset_not_declared_as_written_goes_to_dcmwrite() -> None:
    slices = _derived(_synthetic_files(vendor="SIEMENS"))
    slices[2].set_original_encoding(True, True, "iso8859")  # implicit VR: dcmwrite re-encodes it
    encoder = SeriesEncoder()
    assert not encoder.encodes(slices[2])
    assert encoder.encode(slices[2]) == dcmwrite_bytes(slices[2])
    del slices[3].file_meta.TransferSyntaxUID
    assert not encoder.encodes(slices[3])


def test_an_encoding_that_differs_from_dcmwrite_hands_the_series_to_dcmwrite(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    slices = _derived(_synthetic_files(vendor="GE MEDICAL SYSTEMS"))
    monkeypatch.setattr(SeriesEncoder, "_encode", lambda self, dataset: b"not what dcmwrite writes")
    encoder = SeriesEncoder()
    with caplog.at_level(logging.WARNING, logger="imaging.dicom.encode"):
        encoded = [encoder.encode(ds) for ds in slices]
    assert encoded == [dcmwrite_bytes(ds) for ds in slices]
    assert encoder.fallback and not any(map(encoder.encodes, slices))
    assert [record.message for record in caplog.records].count(
        "the series encoder differs from pydicom's dcmwrite; using dcmwrite for this series"
    ) == 1
