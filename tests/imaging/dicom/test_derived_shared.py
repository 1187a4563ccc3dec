"""The derived series' header template: slices share the first slice's encoded elements only where the old
slice-by-slice construction gives the same bytes, and stay independent of each other and of their sources."""

from __future__ import annotations

import copy
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom import DataElement, Dataset, config
from pydicom.dataelem import RawDataElement

from imaging.dicom import derived, files, modules, series_header
from imaging.dicom.derived import derive_series
from imaging.dicom.encode import SeriesEncoder
from imaging.dicom.files import write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.dicom.reader import read_pet_series
from imaging.dicom.series_header import SeriesHeader
from imaging.volume import PetVolume
from tests.imaging.dicom.writer_helpers import ALGORITHM, read_datasets, synthetic_volume, volume_from_datasets

CREATED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone(timedelta(hours=1)))


class _Uids:
    """Stands in for ``hd.UID``: the same UIDs in the same order in every run."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"1.2.826.0.1.3680043.10.511.8.{self.count}"


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[PetVolume, list[Dataset]]:
    """A synthetic series read back, its volume, and its headers made unlike each other in every way that counts."""
    volume = synthetic_volume(rng=np.random.default_rng(5), shape=(9, 6, 5))
    written = write_series(
        datasets=create_original_series(volume=volume, info=AcquisitionInfo(series_number=3)),
        directory=tmp_path_factory.mktemp("src") / "s",
    )
    sources = read_datasets(written)
    volume = volume_from_datasets(sources)
    for ds in sources:
        del ds.PixelData
        del ds.PatientOrientationCodeSequence  # Type 2 filling then depends on Patient Position
    del sources[0].PatientSize  # the first slice lacks what the others have
    sources[1].SpecificCharacterSet = "ISO_IR 100"  # another character set: nothing shared
    sources[2]["ContentDate"] = DataElement(0x00080023, "LO", "20240115")  # another VR of a value every slice sets
    sources[3].PatientPosition = "HFS"  # no empty Patient Orientation Code Sequence for this slice
    sources[4].SliceThickness = "3.270"  # the same number, other text
    sources[4].ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    sources[4].AcquisitionNumber = 7  # an element only this slice has
    sources[5].ContributingEquipmentSequence = [Dataset()]
    sources[5].ContributingEquipmentSequence[0].Manufacturer = "ACME"
    del sources[5].PatientWeight
    sources[6]["RadiopharmaceuticalInformationSequence"].is_undefined_length = True
    sources[6]["SliceLocation"] = DataElement(0x00201041, "DS", "1.23456789012345678", validation_mode=config.IGNORE)
    sources[7].add(DataElement(0x00281101, "US or SS", [256, 0, 16]))  # resolved by Pixel Representation
    return volume, sources


def _files(*, volume: PetVolume, sources: list[Dataset], monkeypatch: pytest.MonkeyPatch) -> list[Dataset]:
    monkeypatch.setattr(derived, "hd", SimpleNamespace(UID=_Uids()))
    return derive_series(volume=volume, sources=sources, algorithm=ALGORITHM, created=CREATED)


def _bytes(dataset: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def test_shared_elements_give_the_bytes_of_slices_built_one_by_one(
    series: tuple[PetVolume, list[Dataset]], monkeypatch: pytest.MonkeyPatch
) -> None:
    volume, sources = series
    shared = _files(volume=volume, sources=sources, monkeypatch=monkeypatch)
    shared_bytes = [_bytes(ds) for ds in shared]
    raw = [sum(isinstance(ds.get_item(tag), RawDataElement) for tag in ds.keys()) for ds in shared]  # noqa: SIM118
    monkeypatch.setattr(SeriesHeader, "shared_with", lambda self, carried, **_: {})  # every slice built as the first
    alone = _files(volume=volume, sources=sources, monkeypatch=monkeypatch)
    assert shared_bytes == [_bytes(ds) for ds in alone]
    assert (
        raw[0] == raw[1] == 0 and min(raw[2:]) > 40
    )  # the first is built whole; the other character set shares nothing
    assert "PatientOrientationCodeSequence" not in shared[3] and "PatientOrientationCodeSequence" in shared[4]
    assert shared[6].SliceLocation == "1.23456789012346"


def test_slices_are_independent_of_each_other_and_of_their_sources(series: tuple[PetVolume, list[Dataset]]) -> None:
    volume, sources = series
    before = copy.deepcopy(sources)
    slices = derive_series(volume=volume, sources=sources, algorithm=ALGORITHM)
    slices[2].PatientName = "Other^Name"
    slices[2].ImagePositionPatient[0] = 99.0
    slices[2].RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose = "1"
    assert str(slices[3].PatientName) == str(sources[3].PatientName) != "Other^Name"
    assert slices[3].RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose != "1"
    assert sources == before


def test_each_file_is_written_by_one_encoding(
    series: tuple[PetVolume, list[Dataset]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One encoding per file: dcmwrite, or for a slice holding shared elements the series encoder, which writes
    dcmwrite's bytes; the shared elements are copied into it, not decoded and encoded again."""
    volume, sources = series
    slices = derive_series(volume=volume, sources=sources, algorithm=ALGORITHM)
    written: list[tuple[str, Dataset]] = []
    real_write, real_encode = pydicom.dcmwrite, SeriesEncoder.encode

    def counting(*args: Any, **kwargs: Any) -> None:
        written.append(("dcmwrite", args[1]))
        real_write(*args, **kwargs)

    def encoding(self: SeriesEncoder, dataset: Dataset) -> bytes:
        written.append(("encoder", dataset))
        return real_encode(self, dataset)

    monkeypatch.setattr(files, "dcmwrite", counting)
    monkeypatch.setattr(SeriesEncoder, "encode", encoding)
    paths = write_series(datasets=slices, directory=tmp_path / "d")
    assert [dataset for _, dataset in written] == slices
    assert [how for how, _ in written] == ["dcmwrite"] * 2 + ["encoder"] * (len(slices) - 2)  # 1: another charset
    assert [path.read_bytes() for path in paths] == [_bytes(ds) for ds in slices]
    patient_name = pydicom.tag.Tag("PatientName")
    assert all(isinstance(ds.get_item(patient_name), RawDataElement) for ds in slices[2:])


def test_every_slice_has_its_own_uid_and_file_meta(series: tuple[PetVolume, list[Dataset]]) -> None:
    volume, sources = series
    slices = derive_series(volume=volume, sources=sources, algorithm=ALGORITHM)
    assert len({ds.SOPInstanceUID for ds in slices}) == len(slices)
    assert all(ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID for ds in slices)
    assert len({ds.SeriesInstanceUID for ds in slices} | {sources[0].SeriesInstanceUID}) == 2


def test_public_names() -> None:
    assert all(hasattr(series_header, name) for name in series_header.__all__)
    assert all(hasattr(modules, name) for name in modules.__all__)


def _raw_sources(paths: list[Path]) -> list[Dataset]:
    """The files read as pydicom reads them: elements raw until read."""
    sources = [pydicom.dcmread(path) for path in paths]
    for ds in sources:
        del ds.PixelData
    return sorted(sources, key=lambda ds: int(ds.InstanceNumber))


def test_raw_and_converted_sources_give_the_bytes_of_slices_built_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sources read from files hold raw elements, some converted in one slice only (read by a check): the slices
    are still what building each on its own gives, and share what is the same."""
    volume = synthetic_volume(rng=np.random.default_rng(8), shape=(6, 6, 5))
    written = write_series(
        datasets=create_original_series(volume=volume, info=AcquisitionInfo(series_number=3)),
        directory=tmp_path / "s",
    )
    sources = _raw_sources(written)
    volume = volume_from_datasets(read_datasets(written))
    _ = sources[0].PatientWeight, sources[0].SeriesDate  # converted in the first slice only
    _ = sources[2].RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose  # in an item of one slice
    _ = sources[3].SliceThickness
    shared = _files(volume=volume, sources=sources, monkeypatch=monkeypatch)
    shared_bytes = [_bytes(ds) for ds in shared]
    raw = [sum(isinstance(ds.get_item(tag), RawDataElement) for tag in ds.keys()) for ds in shared]  # noqa: SIM118
    weight, item = pydicom.tag.Tag("PatientWeight"), pydicom.tag.Tag("RadiopharmaceuticalInformationSequence")
    assert all(isinstance(ds.get_item(weight), RawDataElement) for ds in shared[1:])
    assert all(isinstance(ds.get_item(item), RawDataElement) for ds in shared[1:])
    monkeypatch.setattr(SeriesHeader, "shared_with", lambda self, carried, **_: {})
    alone = _files(volume=volume, sources=_raw_sources(written), monkeypatch=monkeypatch)
    assert shared_bytes == [_bytes(ds) for ds in alone]
    assert raw[0] == 0 and min(raw[1:]) > 40


@pytest.mark.slow
def test_the_real_ge_series_read_raw_gives_the_bytes_of_slices_built_one_by_one(
    real_ge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = read_pet_series(source=real_ge_dir)
    shared = _files(volume=read.volume, sources=list(read.datasets), monkeypatch=monkeypatch)
    shared_bytes = [_bytes(ds) for ds in shared]
    monkeypatch.setattr(SeriesHeader, "shared_with", lambda self, carried, **_: {})
    again = read_pet_series(source=real_ge_dir)
    alone = _files(volume=again.volume, sources=list(again.datasets), monkeypatch=monkeypatch)
    assert shared_bytes == [_bytes(ds) for ds in alone]
