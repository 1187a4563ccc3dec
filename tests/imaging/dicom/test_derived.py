"""DERIVED PET series (DESIGN.md §3) from a synthetic source series and from the real GE series."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom import Dataset

from imaging.dicom import derived
from imaging.dicom.derived import (
    SERIES_DESCRIPTION_SUFFIX,
    UNCERTAINTY,
    AlgorithmIdentity,
    choose_series_number,
    derive_series,
    derived_series_description,
)
from imaging.dicom.files import write_dataset, write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.volume import PetVolume
from tests.imaging.dicom.dciodvfy import dciodvfy_errors, normalise_message, requires_dciodvfy
from tests.imaging.dicom.writer_helpers import (
    read_datasets,
    strict_reading,
    synthetic_volume,
    volume_from_datasets,
    voxels_of,
)

CREATED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone(timedelta(hours=1)))
SUV_ATTRIBUTES = ("Units", "DecayCorrection", "SeriesDate", "SeriesTime", "PatientWeight", "CorrectedImage")
PER_SLICE_PET = ("ImageIndex", "FrameReferenceTime", "ActualFrameDuration", "DecayFactor", "AcquisitionTime")
GEOMETRY = ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SliceThickness")


def _algorithm() -> AlgorithmIdentity:
    return AlgorithmIdentity(
        name="DnCNN-2.5D", version="1.2", software_version="0.1.0", device_uid=hd.UID(), description="TGD-N2N"
    )


def _headers(datasets: Sequence[Dataset]) -> list[Dataset]:
    headers = [copy.deepcopy(ds) for ds in datasets]
    for header in headers:
        del header.PixelData
    return headers


def _processed(volume: PetVolume, rng: np.random.Generator) -> PetVolume:
    """The "denoised" volume: new voxels (some negative) on the source's geometry and UIDs."""
    voxels = (0.7 * volume.voxels + rng.normal(0.0, 50.0, size=volume.shape)).astype(np.float32)
    return dataclasses.replace(volume, voxels=voxels)


@pytest.fixture(scope="module")
def synthetic_sources(tmp_path_factory: pytest.TempPathFactory) -> list[Dataset]:
    """A synthetic ORIGINAL series written by original.py and read back with pydicom, in z order."""
    volume = synthetic_volume(rng=np.random.default_rng(21))
    info = AcquisitionInfo(series_number=3, series_description="WB FDG 3D OSEM")
    paths = write_series(
        datasets=create_original_series(volume=volume, info=info), directory=tmp_path_factory.mktemp("src") / "s"
    )
    return read_datasets(paths)


@pytest.fixture(scope="module")
def real_sources(real_ge_dir: Path) -> list[Dataset]:
    return read_datasets(sorted(real_ge_dir.glob("*.dcm")))


def _check_derived_series(*, sources: Sequence[Dataset], written: Sequence[Path], expected: PetVolume) -> None:
    with strict_reading():
        result = read_datasets(written)
    assert len(result) == len(sources)
    new_uids = {ds.SOPInstanceUID for ds in result} | {result[0].SeriesInstanceUID}
    old_uids = {ds.SOPInstanceUID for ds in sources} | {sources[0].SeriesInstanceUID}
    assert len(new_uids) == len(result) + 1 and not new_uids & old_uids
    assert len({ds.SeriesInstanceUID for ds in result}) == 1
    for index, (out, src) in enumerate(zip(result, sources, strict=True)):
        for keyword in ("StudyInstanceUID", "PatientID", "PatientName", "FrameOfReferenceUID", *GEOMETRY):
            assert out[keyword].value == src[keyword].value, keyword
        for keyword in (*SUV_ATTRIBUTES, *PER_SLICE_PET, "RadiopharmaceuticalInformationSequence"):
            if keyword in src:
                assert out[keyword].value == src[keyword].value, keyword
        assert list(out.ImageType[:2]) == ["DERIVED", "PRIMARY"]
        assert out.InstanceNumber == index + 1
        assert out.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        reference = out.SourceImageSequence[0]
        assert (reference.ReferencedSOPClassUID, reference.ReferencedSOPInstanceUID) == (
            src.SOPClassUID,
            src.SOPInstanceUID,
        )
        assert reference.PurposeOfReferenceCodeSequence[0].CodeValue == "121322"
        equipment = out.ContributingEquipmentSequence[-1]
        assert equipment.PurposeOfReferenceCodeSequence[0].CodeValue == "109102"
        assert equipment.ManufacturerModelName == "DnCNN-2.5D" and equipment.DeviceUID
        assert "DnCNN-2.5D 1.2" in out.DerivationDescription
        assert out.SeriesDescription == src.get("SeriesDescription", "") + SERIES_DESCRIPTION_SUFFIX
        assert not any(element.tag.is_private for element in out)
    peak = np.max(np.abs(expected.voxels), axis=(1, 2))[:, None, None]
    assert np.all(np.abs(voxels_of(result) - expected.voxels) <= 1e-4 * peak)


def test_synthetic_series(synthetic_sources: list[Dataset], tmp_path: Path) -> None:
    processed = _processed(volume_from_datasets(synthetic_sources), np.random.default_rng(3))
    datasets = derive_series(volume=processed, sources=_headers(synthetic_sources), algorithm=_algorithm())
    written = write_series(datasets=datasets, directory=tmp_path / "denoised")
    _check_derived_series(sources=synthetic_sources, written=written, expected=processed)
    assert datasets[0].SeriesNumber == 1003


def test_an_uncertainty_series_says_what_it_is(synthetic_sources: list[Dataset]) -> None:
    volume = volume_from_datasets(synthetic_sources)
    algorithm = dataclasses.replace(_algorithm(), action="Uncertainty estimated", description="SD of the output")
    denoised = derive_series(volume=volume, sources=synthetic_sources, algorithm=_algorithm())
    taken = {int(denoised[0].SeriesNumber)}
    first = derive_series(
        volume=volume, sources=synthetic_sources, algorithm=algorithm, kind=UNCERTAINTY, taken_series_numbers=taken
    )[0]
    source = synthetic_sources[0]
    assert first.SeriesDescription == source.get("SeriesDescription", "") + " [petiq uncertainty]"
    assert first.SeriesNumber not in {*taken, source.SeriesNumber}
    assert first.DerivationDescription == "Uncertainty estimated by DnCNN-2.5D 1.2 (petiq): SD of the output"
    code = first.DerivationCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning) == ("113061", "DCM", "Standard Deviation")
    assert denoised[0].DerivationCodeSequence[0].CodeValue == "113087"  # the default kind: Smoothing
    assert first.SeriesInstanceUID != denoised[0].SeriesInstanceUID
    assert (first.StudyInstanceUID, first.FrameOfReferenceUID) == (source.StudyInstanceUID, source.FrameOfReferenceUID)
    assert derived_series_description(original="X" * 80, suffix=UNCERTAINTY.suffix).endswith(" [petiq uncertainty]")
    with pytest.raises(ValueError, match="Argument 'action'"):
        dataclasses.replace(_algorithm(), action="")


@pytest.mark.slow
def test_real_ge_series(real_sources: list[Dataset], tmp_path: Path) -> None:
    processed = _processed(volume_from_datasets(real_sources), np.random.default_rng(4))
    datasets = derive_series(
        volume=processed, sources=_headers(real_sources), algorithm=_algorithm(), taken_series_numbers={1001, 1002}
    )
    written = write_series(datasets=datasets, directory=tmp_path / "denoised")
    _check_derived_series(sources=real_sources, written=written, expected=processed)
    assert datasets[0].SeriesNumber == 1003


def test_creation_moments_and_equipment(synthetic_sources: list[Dataset]) -> None:
    volume = volume_from_datasets(synthetic_sources)
    algorithm = _algorithm()
    first = derive_series(volume=volume, sources=synthetic_sources, algorithm=algorithm, created=CREATED)[0]
    assert (first.InstanceCreationDate, first.InstanceCreationTime) == ("20250304", "050607.890000")
    assert (first.ContentDate, first.ContentTime) == ("20250304", "050607.890000")
    equipment = first.ContributingEquipmentSequence[-1]
    assert equipment.ContributionDateTime == "20250304050607.890000+0100"
    assert (equipment.DeviceUID, list(equipment.SoftwareVersions)) == (algorithm.device_uid, ["0.1.0", "1.2"])
    assert first.DerivationCodeSequence[0].CodeValue == "113087"
    assert first.ReferencedSeriesSequence[0].SeriesInstanceUID == synthetic_sources[0].SeriesInstanceUID


def test_drops_what_no_longer_holds_and_keeps_lossy_history(synthetic_sources: list[Dataset]) -> None:
    sources = _headers(synthetic_sources)
    for ds in sources:
        ds.LossyImageCompression = "01"
        ds.PixelPaddingValue = -32768
        ds.InstanceCreatorUID = hd.UID()
        ds.add_new(0x00091010, "LO", "vendor secret")
        ds.private_block(0x0009, "ACME", create=True).add_new(0x10, "LO", "vendor secret")
    result = derive_series(volume=volume_from_datasets(synthetic_sources), sources=sources, algorithm=_algorithm())
    for ds in result:
        assert ds.LossyImageCompression == "01"
        assert "PixelPaddingValue" not in ds and "InstanceCreatorUID" not in ds
        assert not any(element.tag.is_private for element in ds)


def test_series_description_is_cut_to_fit_lo() -> None:
    long = "X" * 80
    description = derived_series_description(original=long)
    assert len(description) == 64 and description.endswith(SERIES_DESCRIPTION_SUFFIX)
    assert derived_series_description(original="") == SERIES_DESCRIPTION_SUFFIX.strip()


@pytest.mark.parametrize(
    ("source_number", "requested", "taken", "expected"),
    [
        (3, None, (), 1003),
        (3, None, (1003, 1004), 1005),
        (None, None, (), 1000),
        (3, 42, (1003,), 42),
        (1000, None, (2000,), 2001),
    ],
)
def test_series_number_rule(
    source_number: int | None, requested: int | None, taken: tuple[int, ...], expected: int
) -> None:
    assert choose_series_number(source_number=source_number, requested=requested, taken=taken) == expected


@pytest.mark.parametrize("requested", [3, 7, -1])
def test_requested_series_number_must_be_free(requested: int) -> None:
    with pytest.raises(ValueError, match="Argument 'series_number'"):
        choose_series_number(source_number=3, requested=requested, taken=(7,))


def test_rejects_sources_that_do_not_match_the_volume(synthetic_sources: list[Dataset]) -> None:
    volume = volume_from_datasets(synthetic_sources)
    algorithm = _algorithm()
    with pytest.raises(ValueError, match="Argument 'sources' should hold one dataset per slice"):
        derive_series(volume=volume, sources=synthetic_sources[:-1], algorithm=algorithm)
    with pytest.raises(ValueError, match=r"Argument 'sources'.*z order"):
        derive_series(volume=volume, sources=synthetic_sources[::-1], algorithm=algorithm)
    moved = _headers(synthetic_sources)
    moved[2].ImagePositionPatient = [float(v) + 0.5 for v in moved[2].ImagePositionPatient]
    with pytest.raises(ValueError, match=r"Argument 'sources'.*geometry.*position of source slice 2"):
        derive_series(volume=volume, sources=moved, algorithm=algorithm)
    other_units = _headers(synthetic_sources)
    for ds in other_units:
        ds.Units = "CNTS"
    with pytest.raises(ValueError, match="Argument 'volume' should be in the Units"):
        derive_series(volume=volume, sources=other_units, algorithm=algorithm)


def test_rejects_a_volume_of_the_wrong_grid(synthetic_sources: list[Dataset]) -> None:
    volume = volume_from_datasets(synthetic_sources)
    cropped = dataclasses.replace(volume, voxels=np.ascontiguousarray(volume.voxels[:, 1:, :]))
    with pytest.raises(ValueError, match=r"Argument 'sources' should match the \(y, x\) size"):
        derive_series(volume=cropped, sources=synthetic_sources, algorithm=_algorithm())


def test_algorithm_identity_is_validated() -> None:
    with pytest.raises(ValueError, match="Argument 'name'"):
        AlgorithmIdentity(name="", version="1", software_version="0.1.0", device_uid=hd.UID(), description="")
    with pytest.raises(ValueError, match="Argument 'description' should be ASCII"):
        AlgorithmIdentity(name="n", version="1", software_version="0.1.0", device_uid=hd.UID(), description="λ")
    with pytest.raises(ValueError, match="Argument 'device_uid'"):
        AlgorithmIdentity(name="n", version="1", software_version="0.1.0", device_uid="", description="")


def test_processing_parameters_end_the_derivation_description_whole_within_an_st() -> None:
    tuned = dataclasses.replace(_algorithm(), parameters=(("strength", "medium"), ("blend", "0.75")))
    text = tuned.derivation_description
    assert text == "Denoised by DnCNN-2.5D 1.2 (petiq): TGD-N2N; strength=medium; blend=0.75"
    assert _algorithm().derivation_description == "Denoised by DnCNN-2.5D 1.2 (petiq): TGD-N2N"
    wordy = dataclasses.replace(tuned, description="x" * 2000)
    assert len(wordy.derivation_description) == 1024
    assert wordy.derivation_description.endswith("xx; strength=medium; blend=0.75")
    most = tuple((f"p{index}", "v" * 61) for index in range(derived.MAX_PARAMETERS))
    assert dataclasses.replace(wordy, parameters=most).derivation_description.endswith("v" * 61)


@pytest.mark.parametrize(
    "parameters",
    [
        (("strength", "médium"),),
        (("strength", "a\\b"),),
        (("", "x"),),
        (("strength", ""),),
        (("s", "x" * 63),),
        (("strength",),),
        tuple(("p", "v") for _ in range(derived.MAX_PARAMETERS + 1)),
    ],
)
def test_malformed_processing_parameters_are_refused(parameters: tuple[tuple[str, ...], ...]) -> None:
    with pytest.raises(ValueError, match="Argument 'parameters'"):
        dataclasses.replace(_algorithm(), parameters=parameters)  # type: ignore[arg-type]


def test_public_names() -> None:
    assert all(hasattr(derived, name) for name in derived.__all__)


@pytest.mark.e2e
@requires_dciodvfy
def test_dciodvfy_synthetic_derived_has_no_error(synthetic_sources: list[Dataset], tmp_path: Path) -> None:
    volume = volume_from_datasets(synthetic_sources)
    written = write_series(
        datasets=derive_series(volume=volume, sources=synthetic_sources, algorithm=_algorithm()),
        directory=tmp_path / "d",
    )
    for path in written:
        assert dciodvfy_errors(path) == set(), path.name


@pytest.mark.e2e
@pytest.mark.slow
@requires_dciodvfy
def test_dciodvfy_real_derived_adds_no_error(real_ge_dir: Path, real_sources: list[Dataset], tmp_path: Path) -> None:
    volume = volume_from_datasets(real_sources)
    written = write_series(
        datasets=derive_series(volume=volume, sources=_headers(real_sources), algorithm=_algorithm()),
        directory=tmp_path / "d",
    )
    source_paths = {
        pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID: path for path in real_ge_dir.glob("*.dcm")
    }
    source_errors_seen = set()
    for path in written:
        derived_file = pydicom.dcmread(path, stop_before_pixels=True)
        source_path = source_paths[derived_file.SourceImageSequence[0].ReferencedSOPInstanceUID]
        source_errors = dciodvfy_errors(source_path)
        source_errors_seen |= source_errors
        assert dciodvfy_errors(path) <= source_errors, path.name
    assert source_errors_seen  # the scanner's files do have errors: the comparison is not vacuous


def test_dciodvfy_messages_keep_attribute_names_and_drop_values() -> None:
    missing = "Error - Missing attribute Type 2C Conditional Element=<Laterality> Module=<GeneralSeries>"
    assert normalise_message(missing) == missing
    assert normalise_message("Error - Bad  value - (0x0010,0x0010) PN [1] = <STS_001>") == (
        "Error - Bad value - (0x0010,0x0010) PN [1] = <>"
    )


@pytest.mark.e2e
@requires_dciodvfy
def test_dciodvfy_comparison_catches_a_new_error(synthetic_sources: list[Dataset], tmp_path: Path) -> None:
    derived_slice = derive_series(
        volume=volume_from_datasets(synthetic_sources), sources=synthetic_sources, algorithm=_algorithm()
    )[0]
    derived_slice.ImageType = ["DERIVED", "SECONDARY"]  # forbidden by the PET Image module
    path = write_dataset(dataset=derived_slice, path=tmp_path / "secondary.dcm")
    assert any("SECONDARY" in message for message in dciodvfy_errors(path))


def test_empty_series_number_and_description_of_the_source(synthetic_sources: list[Dataset]) -> None:
    sources = _headers(synthetic_sources)
    for ds in sources:
        ds.SeriesNumber = None
        ds.SeriesDescription = None
    first = derive_series(volume=volume_from_datasets(synthetic_sources), sources=sources, algorithm=_algorithm())[0]
    assert (first.SeriesNumber, first.SeriesDescription) == (1000, SERIES_DESCRIPTION_SUFFIX.strip())
