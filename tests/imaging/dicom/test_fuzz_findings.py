"""Regressions for what the fuzz harness (``tests/fuzz``) found in the series reader."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import RLELossless

from imaging.dicom.reader import read_pet_series
from imaging.errors import SeriesError
from tests.imaging.dicom.factories import make_pet_series, to_bytes


def test_rle_segment_overrunning_its_frame_is_a_series_error() -> None:
    """pylibjpeg-rle panics (a pyo3 PanicException, a BaseException) on a segment longer than its frame."""
    dataset = make_pet_series(rng=np.random.default_rng(1), shape=(1, 32, 32)).datasets[0]
    segment = bytes([0x81, 0]) * 20  # 20 runs of 128 repeated bytes: more than the 1024 of one segment
    header = struct.pack("<16I", 2, 64, 64 + len(segment), *([0] * 13))
    dataset.file_meta.TransferSyntaxUID = RLELossless
    dataset.PixelData = encapsulate([header + segment + segment])
    with pytest.raises(SeriesError) as caught:
        read_pet_series(source=[to_bytes(dataset)])
    assert caught.value.check == "pixel_data"


def test_element_with_unknown_vr_is_dropped_not_a_crash() -> None:
    """An unknown VR (here 'DR') in RadionuclideTotalDose raised NotImplementedError from the SUV stage."""
    series = make_pet_series(rng=np.random.default_rng(2), shape=(3, 8, 8))
    blobs = [to_bytes(ds).replace(b"\x18\x00\x74\x10DS", b"\x18\x00\x74\x10DR") for ds in series.datasets]
    assert all(b"\x74\x10DR" in blob for blob in blobs)
    read = read_pet_series(source=blobs)
    assert np.array_equal(read.volume.voxels, series.truth)
    assert read.volume.suv.factor is None


def test_empty_element_with_unknown_vr_is_dropped_in_every_slice() -> None:
    """An empty element (no value at all) with an unknown VR: pydicom's ``get_item`` converts such an element when
    asked for it, so the tolerant reader's look at the raw element raised before the element could be dropped."""
    series = make_pet_series(rng=np.random.default_rng(4), shape=(3, 8, 8))
    for dataset in series.datasets:
        dataset.PatientBirthDate = ""
    empty_da = b"\x10\x00\x30\x00DA\x00\x00"
    blobs = [to_bytes(ds) for ds in series.datasets]
    assert all(empty_da in blob for blob in blobs)
    read = read_pet_series(source=[blob.replace(empty_da, b"\x10\x00\x30\x00DR\x00\x00") for blob in blobs])
    assert np.array_equal(read.volume.voxels, series.truth)
    assert not any("PatientBirthDate" in ds for ds in read.datasets)
