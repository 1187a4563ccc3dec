"""Radionuclide and tracer identification: code, then name, then half-life; refusals; notes; tolerant reading."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag

from imaging.dicom.radionuclide import (
    TRACER_NOT_NAMED,
    RadionuclideInfo,
    TracerKind,
    radionuclide_info,
    require_positron_emitter,
)
from imaging.dicom.reader import read_pet_series
from imaging.errors import SeriesError
from tests.imaging.dicom.nuclide_helpers import LU177, drug_item, ge_crop, relabel_files

FDG_CODE = ("35321007", "SCT", "Fluorodeoxyglucose F^18^")


def _info(item: Dataset | None = None, **attributes: object) -> RadionuclideInfo:
    dataset = Dataset()
    if item is not None or attributes:
        dataset.RadiopharmaceuticalInformationSequence = DicomSequence([item or drug_item(**attributes)])  # type: ignore[arg-type]
    return radionuclide_info(dataset=dataset)


def _refusal(info: RadionuclideInfo) -> str:
    with pytest.raises(SeriesError) as caught:
        require_positron_emitter(info=info, series_uid="1.2.3")
    assert (caught.value.check, caught.value.uid) == ("radionuclide", "1.2.3")
    return caught.value.message


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (("447553000", "SCT", "^177^Lutetium"), "Lu-177"),
        (("C-163A8", "SRT", "^99m^Technetium"), "Tc-99m"),
        (("1368003", "SCT", "^131^Iodine"), "I-131"),
        (("14691008", "SCT", "^90^Yttrium"), "Y-90"),
    ],
)
def test_spect_and_therapy_nuclides_are_refused_by_name(code: tuple[str, str, str], name: str) -> None:
    info = _info(code=code, name="whatever")
    assert info.refused and info.notes == ()
    assert _refusal(info) == (
        f"Radionuclide {name} (from RadionuclideCodeSequence) is not a positron emitter: petiq processes PET only."
    )


def test_fdg_and_gallium_are_accepted() -> None:
    fdg = _info(code=("77004003", "SCT", "^18^Fluorine"), drug_code=FDG_CODE, half_life="6586.2")
    assert (fdg.nuclide and fdg.nuclide.name, fdg.tracer, fdg.notes) == ("F-18", TracerKind.FDG, ())
    require_positron_emitter(info=fdg, series_uid="1.2.3")
    gallium = _info(code=("35337001", "SCT", "^68^Gallium"), name="Ga-68 PSMA-11")
    require_positron_emitter(info=gallium, series_uid="1.2.3")
    assert gallium.tracer is TracerKind.OTHER and gallium.tracer_name == "Ga-68 PSMA-11"
    assert gallium.notes == (
        "The radiopharmaceutical 'Ga-68 PSMA-11' (Ga-68) is not FDG: the denoising and scoring networks were "
        "trained on FDG simulations; check the result against the original.",
    )


def test_flt_is_noted_as_not_fdg() -> None:
    info = _info(code=("77004003", "SCT", "^18^Fluorine"), name="FLT (fluorothymidine)")
    assert info.tracer is TracerKind.OTHER and "'FLT (fluorothymidine)' (F-18) is not FDG" in info.notes[0]


def test_a_gallium_series_without_a_tracer_name_is_not_fdg_either() -> None:
    info = _info(code=("35337001", "SCT", "^68^Gallium"), name="Ga-68")  # the nuclide only: not a tracer name
    assert info.tracer is TracerKind.OTHER and "labelled with Ga-68 is not FDG" in info.notes[0]


def test_f18_without_a_tracer_name_is_noted() -> None:
    assert _info(code=("C-111A1", "99SDM", "18F"), name="^18^Fluorine").notes == (TRACER_NOT_NAMED,)


@pytest.mark.parametrize("item", [None, Dataset(), drug_item(name=""), drug_item(code=("", "", ""), half_life="")])
def test_absent_or_empty_information_is_noted(item: Dataset | None) -> None:
    info = _info(item)
    assert (info.nuclide, info.source, info.tracer, info.refused) == (None, None, TracerKind.UNKNOWN, False)
    (note,) = info.notes
    assert note.startswith("The radionuclide could not be identified (") and "processed as PET" in note
    require_positron_emitter(info=info, series_uid="1.2.3")


def test_tolerant_of_odd_sequences() -> None:
    dataset = Dataset()
    dataset.RadiopharmaceuticalInformationSequence = DicomSequence([])
    assert radionuclide_info(dataset=dataset).nuclide is None
    item = Dataset()
    item.RadionuclideCodeSequence = DicomSequence([])
    item.RadiopharmaceuticalCodeSequence = DicomSequence([Dataset()])
    # a DS that is not a number, as read from a file: pydicom warns, then fails to convert it
    item[0x00181075] = RawDataElement(Tag(0x00181075), "DS", 12, b"not a number", 0, True, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert _info(item).nuclide is None
    assert _info(half_life="-5").nuclide is None


def test_code_in_an_unknown_scheme_falls_back_to_its_meaning() -> None:
    info = _info(code=("LU177-X", "99SIEMENS", "177 Lutetium"))
    assert info.nuclide is not None and info.nuclide.name == "Lu-177" and info.source == "RadionuclideCodeSequence"


@pytest.mark.parametrize(
    ("attributes", "source"),
    [
        ({"name": "Lu177 DOTATATE"}, "Radiopharmaceutical"),
        ({"drug_code": ("X", "99LOCAL", "Lutetium-177 PSMA")}, "RadiopharmaceuticalCodeSequence"),
        ({"half_life": "574300"}, "RadionuclideHalfLife"),
        ({"half_life": f"{574300 * 1.019:.0f}"}, "RadionuclideHalfLife"),
    ],
)
def test_identified_by_name_or_half_life_alone(attributes: dict[str, object], source: str) -> None:
    info = _info(**attributes)
    assert info.nuclide is not None and info.nuclide.name == "Lu-177" and info.source == source
    assert "Lu-177 (from " + source + ")" in _refusal(info)


def test_a_half_life_beyond_2_percent_identifies_nothing() -> None:
    info = _info(half_life=f"{574300 * 1.021:.0f}")
    assert info.nuclide is None and "name no radionuclide petiq knows" in info.notes[0]


def test_an_fdg_name_alone_means_f18() -> None:
    info = _info(name="FDG -- fluorodeoxyglucose")
    assert info.nuclide is not None and info.nuclide.name == "F-18" and info.tracer is TracerKind.FDG
    assert info.notes == ()


def test_a_half_life_of_both_kinds_identifies_neither() -> None:
    info = _info(half_life="282000")
    assert info.nuclide is None
    assert "RadionuclideHalfLife 282000 s matches Zr-89 and Ga-67 within 2%" in info.notes[0]


def test_the_code_wins_over_a_disagreeing_name_and_half_life_with_notes() -> None:
    info = _info(code=("77004003", "SCT", "^18^Fluorine"), name="Lu-177 PSMA", half_life="574300")
    assert info.nuclide is not None and info.nuclide.name == "F-18" and not info.refused
    assert "Radiopharmaceutical names Lu-177, RadionuclideCodeSequence F-18: F-18 used." in info.notes
    assert any(note.startswith("RadionuclideHalfLife 574300 s is not the half-life of F-18") for note in info.notes)


def test_the_reader_refuses_a_lutetium_crop_of_the_real_series_before_decoding(
    real_ge_dir: Path, tmp_path: Path
) -> None:
    crop = ge_crop(real_ge_dir, tmp_path / "lu177")
    assert read_pet_series(source=crop).radionuclide.nuclide.name == "F-18"  # type: ignore[union-attr]
    relabel_files(crop.glob("*.dcm"), **LU177)
    with pytest.raises(SeriesError, match=r"^Radionuclide Lu-177 \(from RadionuclideCodeSequence\)") as caught:
        read_pet_series(source=crop)
    assert caught.value.check == "radionuclide"
    assert read_pet_series(source=crop, positron_only=False).radionuclide.refused


def test_the_real_ge_headers_are_f18_fdg_from_their_legacy_codes(real_ge_dir: Path) -> None:
    import pydicom

    dataset = pydicom.dcmread(sorted(real_ge_dir.glob("*.dcm"))[0], stop_before_pixels=True)
    info = radionuclide_info(dataset=dataset)  # C-111A1 / Y-X1743 in scheme 99SDM, half-life 6588 s
    assert info.to_dict() == {
        "name": "F-18",
        "identified_from": "RadionuclideCodeSequence",
        "positron_emitter": True,
        "tracer": "FDG",
    }
    assert info.notes == ()
