"""Tolerant reading of a series' files: every element checked, each distinct raw element converted once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.tag import BaseTag

from imaging.dicom.reader import read_pet_series
from imaging.dicom.sources import _conversion_key, _reads_other_elements, drop_unreadable, read_source_files
from tests.imaging.dicom.factories import make_pet_series, to_bytes

_SLICE_THICKNESS_DS = b"\x18\x00\x50\x00DS"


def _blobs(count: int = 4) -> list[bytes]:
    series = make_pet_series(rng=np.random.default_rng(6), shape=(count, 8, 8))
    return [to_bytes(ds) for ds in series.datasets]


def _unknown_vr(blob: bytes) -> bytes:
    assert _SLICE_THICKNESS_DS in blob
    return blob.replace(_SLICE_THICKNESS_DS, b"\x18\x00\x50\x00DR")


def test_a_damaged_element_in_one_slice_is_dropped_there_only() -> None:
    """The other slices' equal-looking element converted fine; the damaged one differs, so it is converted
    (and fails) on its own."""
    blobs = _blobs()
    blobs[2] = _unknown_vr(blobs[2])
    read = read_pet_series(source=blobs)
    has = ["SliceThickness" in ds for ds in read.datasets]
    assert (
        has.count(False) == 1
        and read.datasets[has.index(False)].SOPInstanceUID
        == pydicom.dcmread(pydicom.filebase.DicomBytesIO(blobs[2])).SOPInstanceUID
    )


def test_a_damaged_element_in_every_slice_is_dropped_in_every_slice() -> None:
    """A failure is not remembered as a success: each slice's copy is converted, fails and is dropped."""
    read = read_pet_series(source=[_unknown_vr(blob) for blob in _blobs()])
    assert not any("SliceThickness" in ds for ds in read.datasets)


def test_elements_left_raw_read_as_the_converted_ones() -> None:
    blobs = _blobs(6)
    files = read_source_files(source=blobs)
    raw_left = 0
    for blob, file in zip(blobs, files, strict=True):
        reference = pydicom.dcmread(pydicom.filebase.DicomBytesIO(blob))
        drop_unreadable(dataset=reference, name="reference")  # no memo: every element converted now
        assert list(file.dataset.keys()) == list(reference.keys())
        raw_left += sum(isinstance(file.dataset.get_item(tag), RawDataElement) for tag in file.dataset.keys())  # noqa: SIM118
        assert file.dataset == reference  # element by element, the raw ones converted when compared
    assert raw_left > 100  # the slices after the first left most of their header raw


@pytest.mark.slow
def test_the_real_ge_series_reads_the_same_with_and_without_the_memo(real_ge_dir: Path) -> None:
    files = read_source_files(source=real_ge_dir)
    for file in files[::37]:
        reference = pydicom.dcmread(file.name)
        drop_unreadable(dataset=reference, name=file.name)
        assert file.dataset == reference


def test_an_ambiguous_or_unknown_vr_is_converted_every_time() -> None:
    smallest = RawDataElement(BaseTag(0x00280106), None, 2, b"\x00\x00", 0, True, True)  # US or SS
    spacing = RawDataElement(BaseTag(0x00280030), None, 4, b"2\\2 ", 0, True, True)
    unknown = RawDataElement(BaseTag(0x00291010), None, 2, b"ab", 0, True, True)
    assert _reads_other_elements(smallest) and _reads_other_elements(unknown)
    assert not _reads_other_elements(spacing)


def test_a_private_element_converts_alike_only_under_the_same_creator() -> None:
    first, second = pydicom.Dataset(), pydicom.Dataset()
    first.private_block(0x0009, "GEMS_IDEN_01", create=True).add_new(0x01, "LO", "x")
    second.private_block(0x0009, "ACME 1.0", create=True).add_new(0x01, "LO", "x")
    raw = RawDataElement(BaseTag(0x00091001), None, 2, b"x ", 0, True, True)
    assert _conversion_key(raw=raw, charset="iso8859", dataset=first) != _conversion_key(
        raw=raw, charset="iso8859", dataset=second
    )
    assert _conversion_key(raw=raw, charset="iso8859", dataset=first) != _conversion_key(
        raw=raw, charset="iso_ir_192", dataset=first
    )
