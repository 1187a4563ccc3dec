"""The scores SR (TID 1500 Comprehensive 3D SR): built from synthetic series, written, read back, validated."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom import Dataset
from pydicom.sr.codedict import codes

from imaging.dicom.derived import AlgorithmIdentity, derive_series
from imaging.dicom.files import write_dataset
from imaging.dicom.sr import COMPREHENSIVE_3D_SR, PETIQ_SCHEME, SERIES_DESCRIPTION, build_scores_sr
from imaging.dicom.sr.codes import INPUT_GROUP, OUTPUT_GROUP, QC_GROUP, SCORE_CODES
from imaging.errors import InputError
from tests.imaging.dicom.dciodvfy import DCIODVFY, dciodvfy_errors, requires_dciodvfy
from tests.imaging.dicom.factories import make_pet_series
from tests.imaging.dicom.sr_helpers import (
    CALIBRATION_TEXT,
    algorithm_parameters,
    group_of,
    make_result,
    qc_values,
    read_sr,
    referenced_uids,
    score_values,
    text_value,
    uncertainty_values,
)
from tests.imaging.dicom.writer_helpers import volume_from_datasets

CREATED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=1)))


def _algorithm() -> AlgorithmIdentity:
    return AlgorithmIdentity(
        name="DnCNN-2.5D", version="1.2", software_version="0.1.0", device_uid=hd.UID(), description="TGD-N2N"
    )


@pytest.fixture(scope="module")
def series() -> tuple[list[Dataset], list[Dataset]]:
    """A 6-slice synthetic PET series (headers) and a derived series of it."""
    rng = np.random.default_rng(11)
    sources = make_pet_series(rng=rng, shape=(6, 5, 4)).datasets
    volume = volume_from_datasets(sources)
    processed = dataclasses.replace(volume, voxels=(0.8 * volume.voxels).astype(np.float32))
    headers = [copy.deepcopy(ds) for ds in sources]
    for header in headers:
        del header.PixelData
    return headers, derive_series(volume=processed, sources=headers, algorithm=_algorithm())


def _build(series: tuple[list[Dataset], list[Dataset]], result: dict[str, Any], **kwargs: Any) -> Dataset:
    sources, derived = series
    return build_scores_sr(sources=sources, derived=derived, result=result, algorithm=_algorithm(), **kwargs)


def _written(dataset: Dataset, tmp_path: Path) -> Path:
    return write_dataset(dataset=dataset, path=tmp_path / "scores-sr.dcm")


def test_scores_of_both_series_read_back(series: tuple[list[Dataset], list[Dataset]], tmp_path: Path) -> None:
    sources, derived = series
    result = make_result(sources=sources, derived=derived)
    document = read_sr(_written(_build(series, result, created=CREATED), tmp_path))
    for key, label in (("input", INPUT_GROUP), ("output", OUTPUT_GROUP)):
        group = group_of(document, label=label)
        scores = result[key]["scores"]
        assert score_values(group) == {name: scores[name] for name in ("gqr", "pr", "dc")}
        assert score_values(group, unrounded=True) == pytest.approx(scores["raw"])
        assert uncertainty_values(group) == pytest.approx(scores["uncertainty"])
        assert text_value(group) == CALIBRATION_TEXT
        names = hd.sr.utils.find_content_items(group[0], name=codes.DCM.AlgorithmName)  # TID 4019: the scorer
        assert [item.value for item in names] == ["petiq-iqa"]
    assert score_values(group_of(document, label=INPUT_GROUP)) != score_values(group_of(document, label=OUTPUT_GROUP))


def test_groups_reference_their_series_and_evidence_lists_both(
    series: tuple[list[Dataset], list[Dataset]], tmp_path: Path
) -> None:
    sources, derived = series
    document = read_sr(_written(_build(series, make_result(sources=sources, derived=derived)), tmp_path))
    source_uids = {str(ds.SOPInstanceUID) for ds in sources}
    derived_uids = {str(ds.SOPInstanceUID) for ds in derived}
    assert referenced_uids(group_of(document, label=INPUT_GROUP)) == source_uids
    assert referenced_uids(group_of(document, label=OUTPUT_GROUP)) == derived_uids
    assert referenced_uids(group_of(document, label=QC_GROUP)) == source_uids | derived_uids
    (study,) = document.CurrentRequestedProcedureEvidenceSequence
    assert study.StudyInstanceUID == sources[0].StudyInstanceUID
    evidence = {
        str(item.SeriesInstanceUID): {str(ref.ReferencedSOPInstanceUID) for ref in item.ReferencedSOPSequence}
        for item in study.ReferencedSeriesSequence
    }
    assert evidence == {sources[0].SeriesInstanceUID: source_uids, derived[0].SeriesInstanceUID: derived_uids}


def test_header_is_a_new_sr_series_of_the_same_study(
    series: tuple[list[Dataset], list[Dataset]], tmp_path: Path
) -> None:
    sources, derived = series
    uid = hd.UID()
    path = _written(_build(series, make_result(sources=sources, derived=derived, sr_uid=uid)), tmp_path)
    ds = pydicom.dcmread(path)
    assert (ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality) == (COMPREHENSIVE_3D_SR, uid, "SR")
    assert ds.file_meta.MediaStorageSOPInstanceUID == uid
    for keyword in ("StudyInstanceUID", "PatientID", "PatientName", "StudyDate", "StudyID"):
        assert ds[keyword].value == sources[0][keyword].value, keyword
    assert ds.SeriesInstanceUID not in {sources[0].SeriesInstanceUID, derived[0].SeriesInstanceUID}
    assert ds.SeriesDescription == SERIES_DESCRIPTION and ds.Manufacturer == "petiq"
    assert ds.SeriesNumber == max(int(sources[0].SeriesNumber), int(derived[0].SeriesNumber)) + 1
    (scheme,) = ds.CodingSchemeIdentificationSequence
    assert scheme.CodingSchemeDesignator == PETIQ_SCHEME
    (template,) = ds.ContentTemplateSequence
    assert (template.MappingResource, template.TemplateIdentifier) == ("DCMR", "1500")
    assert ds.ConceptNameCodeSequence[0].CodeValue == "126000"  # Imaging Measurement Report


def test_qc_group_holds_the_non_null_numbers_in_their_units(
    series: tuple[list[Dataset], list[Dataset]], tmp_path: Path
) -> None:
    sources, derived = series
    result = make_result(sources=sources, derived=derived)
    qc = result["qc"]
    document = read_sr(_written(_build(series, result), tmp_path))
    assert qc_values(group_of(document, label=QC_GROUP)) == {
        "suvmax_in": (qc["suvmax_in"], "{SUVbw}g/ml"),
        "suvmax_out": (qc["suvmax_out"], "{SUVbw}g/ml"),
        "max_bqml_in": (qc["max_bqml_in"], "Bq/ml"),
        "max_bqml_out": (qc["max_bqml_out"], "Bq/ml"),
        "suvmean_ratio_body": (qc["suvmean_ratio_body"], "1"),
        "noise_cov_in": (100.0 * qc["noise_cov_in"], "%"),  # noise_cov_out is null: left out
    }
    names = hd.sr.utils.find_content_items(group_of(document, label=QC_GROUP)[0], name=codes.DCM.AlgorithmName)
    assert [item.value for item in names] == ["DnCNN-2.5D"]


def test_unscored_result_keeps_qc_and_the_algorithm(
    series: tuple[list[Dataset], list[Dataset]], tmp_path: Path
) -> None:
    sources, derived = series
    document = read_sr(_written(_build(series, make_result(sources=sources, derived=derived, scored=False)), tmp_path))
    report = document.content
    assert isinstance(report, hd.sr.MeasurementReport)
    groups = report.get_image_measurement_groups()
    assert [group.tracking_identifier for group in groups] == [QC_GROUP]
    assert all(not groups[0].get_measurements(name=code) for code in SCORE_CODES.values())
    assert set(qc_values(groups[0])) >= {"suvmax_in", "suvmax_out", "suvmean_ratio_body"}
    observer = hd.sr.utils.find_content_items(report[0], name=codes.DCM.DeviceObserverName)
    assert [item.value for item in observer] == ["petiq"]


def test_the_denoisers_processing_parameters_are_algorithm_parameters_of_the_qc_group(
    series: tuple[list[Dataset], list[Dataset]],
) -> None:
    sources, derived = series
    plain, tuned = _algorithm(), dataclasses.replace(_algorithm(), parameters=(("strength", "low"), ("blend", "0.5")))
    result = make_result(sources=sources, derived=derived)
    for algorithm, expected in ((plain, []), (tuned, ["strength=low", "blend=0.5"])):
        built = build_scores_sr(sources=sources, derived=derived, result=result, algorithm=algorithm)
        group = group_of(hd.sr.Comprehensive3DSR.from_dataset(built), label=QC_GROUP)
        assert algorithm_parameters(group) == ["TGD-N2N", *expected, f"DeviceUID={algorithm.device_uid}"]


def test_one_component_patient_name_is_copied_as_is(series: tuple[list[Dataset], list[Dataset]]) -> None:
    """Scanners write names such as "STS_001"; highdicom's warning about them is no reason to fail a job."""
    sources, derived = ([copy.deepcopy(ds) for ds in part] for part in series)
    for ds in (*sources, *derived):
        ds.PatientName = "STS_001"
    built = build_scores_sr(
        sources=sources, derived=derived, result=make_result(sources=sources, derived=derived), algorithm=_algorithm()
    )
    assert str(built.PatientName) == "STS_001"


def test_instance_uid_comes_from_the_argument_or_the_result(series: tuple[list[Dataset], list[Dataset]]) -> None:
    sources, derived = series
    uid = hd.UID()
    assert _build(series, make_result(sources=sources, derived=derived), instance_uid=uid).SOPInstanceUID == uid
    assert _build(series, make_result(sources=sources, derived=derived, sr_uid=uid)).SOPInstanceUID == uid
    fresh = _build(series, make_result(sources=sources, derived=derived)).SOPInstanceUID
    assert fresh not in {uid, sources[0].SOPInstanceUID}
    with pytest.raises(InputError, match="sr_uid"):
        _build(series, make_result(sources=sources, derived=derived, sr_uid=uid), instance_uid=hd.UID())
    assert _build(series, make_result(sources=sources, derived=derived), series_number=77).SeriesNumber == 77


def _broken(path: tuple[str, ...], value: object) -> Any:
    def apply(result: dict[str, Any]) -> dict[str, Any]:
        target = result
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return result

    return apply


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_broken(("input", "scores", "gqr"), 3.5), "result['input']['scores']['gqr']"),
        (_broken(("output", "scores", "pr"), True), "result['output']['scores']['pr']"),
        (_broken(("output", "scores", "dc"), float("nan")), "result['output']['scores']['dc']"),
        (_broken(("input", "scores", "uncertainty"), KeyError), "result['input']['scores']['uncertainty']"),
        (_broken(("input", "scores", "uncertainty", "pr"), -0.1), "result['input']['scores']['uncertainty']['pr']"),
        (_broken(("output", "scores", "calibration"), ""), "result['output']['scores']['calibration']"),
        (_broken(("output", "scores", "n_patches"), 0), "result['output']['scores']['n_patches']"),
        (_broken(("input", "scores"), [1, 2]), "result['input']['scores']"),
        (_broken(("qc", "suvmax_in"), "12"), "result['qc']['suvmax_in']"),
        (_broken(("qc",), None), "result['qc']"),
        (_broken(("provenance", "scorer", "version"), KeyError), "result['provenance']['scorer']['version']"),
        (_broken(("input", "series_uid"), "1.2.3"), "result['input']['series_uid']"),
        (_broken(("output",), KeyError), "result['output']"),
    ],
)
def test_malformed_result_is_an_input_error_naming_it(
    series: tuple[list[Dataset], list[Dataset]], change: Any, named: str
) -> None:
    sources, derived = series
    with pytest.raises(InputError, match=re.escape(f'Argument "{named}"')) as caught:
        _build(series, change(make_result(sources=sources, derived=derived)))
    assert caught.value.check == "sr_input"


def test_wrong_series_are_input_errors(series: tuple[list[Dataset], list[Dataset]]) -> None:
    sources, derived = series
    result = make_result(sources=sources, derived=derived)
    algorithm = _algorithm()
    with pytest.raises(InputError, match="'sources'"):
        build_scores_sr(sources=[], derived=derived, result=result, algorithm=algorithm)
    with pytest.raises(InputError, match="'derived'"):
        build_scores_sr(sources=sources, derived=sources, result=result, algorithm=algorithm)
    elsewhere = [copy.deepcopy(ds) for ds in derived]
    for ds in elsewhere:
        ds.StudyInstanceUID = "1.2.3.4"
    with pytest.raises(InputError, match="'derived'"):
        build_scores_sr(sources=sources, derived=elsewhere, result=result, algorithm=algorithm)
    mixed = [*sources[:-1], derived[0]]
    with pytest.raises(InputError, match="one series"):
        build_scores_sr(sources=mixed, derived=derived, result=result, algorithm=algorithm)
    with pytest.raises(InputError, match="'series_number'"):
        build_scores_sr(sources=sources, derived=derived, result=result, algorithm=algorithm, series_number=0)


def test_instances_that_are_no_images_are_input_errors(series: tuple[list[Dataset], list[Dataset]]) -> None:
    """Only images are source images of a measurement: some image pixel description, no non-image Modality."""
    sources, derived = series
    result = make_result(sources=sources, derived=derived)
    headless = [copy.deepcopy(ds) for ds in derived]
    for ds in headless:
        for keyword in ("Rows", "Columns", "SamplesPerPixel", "PixelRepresentation"):
            delattr(ds, keyword)
    relabelled = [copy.deepcopy(ds) for ds in sources]
    relabelled[2].Modality = "SR"
    with pytest.raises(InputError, match="'derived' should hold images"):
        build_scores_sr(sources=sources, derived=headless, result=result, algorithm=_algorithm())
    with pytest.raises(InputError, match="'sources' should hold images") as raised:
        build_scores_sr(sources=relabelled, derived=derived, result=result, algorithm=_algorithm())
    assert raised.value.uid == relabelled[2].SOPInstanceUID


@pytest.mark.e2e
@requires_dciodvfy
@pytest.mark.parametrize("scored", [True, False])
def test_dciodvfy_reports_no_error(series: tuple[list[Dataset], list[Dataset]], tmp_path: Path, scored: bool) -> None:
    sources, derived = series
    path = _written(_build(series, make_result(sources=sources, derived=derived, scored=scored)), tmp_path)
    assert DCIODVFY.exists()
    assert dciodvfy_errors(path) == set()
