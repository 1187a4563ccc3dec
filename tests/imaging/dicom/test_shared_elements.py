"""Elements encoded once and shared by the datasets of a series: pydicom's own bytes, copied as they are."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom import DataElement, Dataset
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, PositronEmissionTomographyImageStorage

from imaging.dicom import shared_elements
from imaging.dicom.shared_elements import (
    declare_explicit_little_endian,
    encoded_element,
    resolve_ambiguous_vr,
    same_element,
)


def _item(value: str, *, undefined: bool = False) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = "Déjà vu"
    item.is_undefined_length_sequence_item = undefined
    return item


def _dataset(character_set: str | None = "ISO_IR 192") -> Dataset:
    ds = Dataset()
    if character_set is not None:
        ds.SpecificCharacterSet = character_set
    ds.SOPClassUID = PositronEmissionTomographyImageStorage
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.511.7.1"
    ds.PatientName = "Müller^Jürgen" if character_set == "ISO_IR 192" else "Muller^Jurgen"
    ds.ImagePositionPatient = ["-1.5", "2.0", "3"]
    ds.SeriesNumber = "007"
    ds.Rows = 4
    ds.add_new(0x00181242, "IS", "180000")
    ds.add_new(0x00540081, "US", 3)
    ds.add_new(0x00189096, "FD", [-0.0, 1.5])
    ds.add_new(0x00091010, "LO", "")
    ds.RadiopharmaceuticalInformationSequence = [Dataset()]
    ds.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence = [_item("C-111A1", undefined=True)]
    ds["RadiopharmaceuticalInformationSequence"].is_undefined_length = True
    ds.DerivationCodeSequence = []
    ds.PixelData = bytes(range(32))
    ds["PixelData"].VR = "OW"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _file_bytes(dataset: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


_READ_BY_DCMWRITE = {
    pydicom.tag.Tag(keyword) for keyword in ("SpecificCharacterSet", "SOPClassUID", "SOPInstanceUID", "PixelData")
}


def _encoded_copy(original: Dataset) -> Dataset:
    encodings = original.get("SpecificCharacterSet")
    copy = Dataset({tag: encoded_element(original[tag], encodings=encodings) for tag in original.keys()})  # noqa: SIM118
    copy.file_meta = original.file_meta
    declare_explicit_little_endian(copy)
    return copy


@pytest.mark.parametrize("character_set", ["ISO_IR 192", "ISO_IR 100", "", None])
def test_encoded_elements_are_written_as_pydicom_writes_them(character_set: str | None) -> None:
    original = _dataset(character_set)
    expected = _file_bytes(original)
    copy = _encoded_copy(original)
    assert _file_bytes(copy) == expected
    raw = {tag for tag in copy.keys() if isinstance(copy.get_item(tag), RawDataElement)}  # noqa: SIM118
    assert set(copy.keys()) - raw <= _READ_BY_DCMWRITE  # the others were copied, never decoded


def test_encoded_elements_read_back_as_their_values() -> None:
    original = _dataset()
    copy = _encoded_copy(original)
    assert str(copy.PatientName) == "Müller^Jürgen"
    assert list(copy.ImagePositionPatient) == [-1.5, 2.0, 3.0]
    item = copy.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence[0]
    assert (item.CodeValue, item.CodeMeaning) == ("C-111A1", "Déjà vu")
    assert copy["RadiopharmaceuticalInformationSequence"].is_undefined_length
    assert copy.PixelData == original.PixelData


def test_setting_a_value_changes_only_that_dataset() -> None:
    original = _dataset()
    encodings = original.get("SpecificCharacterSet")
    shared = {tag: encoded_element(original[tag], encodings=encodings) for tag in original.keys()}  # noqa: SIM118
    first, second = Dataset(dict(shared)), Dataset(dict(shared))
    first.PatientName = "Other^Name"
    assert second.get_item(pydicom.tag.Tag("PatientName")) is shared[pydicom.tag.Tag("PatientName")]
    assert (str(first.PatientName), str(second.PatientName)) == ("Other^Name", "Müller^Jürgen")


def _element(vr: str, value: object, tag: int = 0x00180050) -> DataElement:
    return DataElement(tag, vr, value)


def _sequence(*items: Dataset, undefined: bool = False) -> DataElement:
    element = DataElement(0x00082112, "SQ", Sequence(list(items)))
    element.is_undefined_length = undefined
    return element


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (_element("DS", "2.0"), _element("DS", "2.0"), True),
        (_element("DS", "2.0"), _element("DS", "2"), False),  # same number, other text
        (_element("DS", ["1", "2"]), _element("DS", ["1", "2"]), True),
        (_element("DS", ["1", "2"]), _element("DS", ["1", "3"]), False),
        (_element("CS", "A"), _element("CS", "B"), False),
        (_element("US", 1, 0x00280010), _element("US", 1, 0x00280010), True),
        (_element("US", 1, 0x00280106), _element("SS", 1, 0x00280106), False),  # same value, other VR
        (_element("FD", 0.0), _element("FD", -0.0), False),  # equal numbers, other bytes
        (_element("FD", [0.5, 1.0]), _element("FD", [0.5, 1.0]), True),
        (_element("PN", "Doe^John"), _element("PN", "Doe^John"), True),
        (_element("PN", "Doe^John"), _element("PN", "Doe^Jane"), False),
        (_element("LO", None), _element("LO", None), True),
        (_element("LO", None), _element("LO", ""), False),
        (_sequence(_item("1")), _sequence(_item("1")), True),
        (_sequence(_item("1")), _sequence(_item("2")), False),
        (_sequence(_item("1")), _sequence(_item("1"), _item("1")), False),
        (_sequence(_item("1")), _sequence(_item("1"), undefined=True), False),  # other length form
        (_sequence(_item("1")), _sequence(_item("1", undefined=True)), False),  # other item length form
    ],
)
def test_same_element_means_the_same_bytes(first: DataElement, second: DataElement, same: bool) -> None:
    assert same_element(first, second) is same


def test_raw_elements_are_the_same_when_their_bytes_are() -> None:
    first = encoded_element(_element("DS", "2.0"), encodings=None)
    again = encoded_element(_element("DS", "2.0"), encodings=None)
    assert same_element(first, again) and not same_element(first, _element("DS", "2.0"))
    assert not same_element(first, encoded_element(_element("DS", "2"), encodings=None))


def test_resolve_ambiguous_vr_in_elements_and_their_items() -> None:
    ds = Dataset()
    ds.PixelRepresentation = 1
    ds.add(DataElement(0x00280106, "US or SS", b"\xff\xff"))
    item = Dataset()
    item.add(DataElement(0x00280107, "US or SS", b"\x05\x00"))
    ds.ReferencedImageSequence = [item]
    resolve_ambiguous_vr(ds, tags=list(ds.keys()))
    assert ds["SmallestImagePixelValue"].VR == "SS" and ds.SmallestImagePixelValue == -1
    assert item["LargestImagePixelValue"].VR == "SS" and item.LargestImagePixelValue == 5


def test_public_names() -> None:
    assert all(hasattr(shared_elements, name) for name in shared_elements.__all__)
