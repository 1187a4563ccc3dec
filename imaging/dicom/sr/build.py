"""The scores SR of a job: a Comprehensive 3D SR holding a TID 1500 Measurement Report (DESIGN.md §3).

Document
    TID 1500 "Imaging Measurement Report" (procedure: PET), device observer petiq (TID 1002/1004), and in
    "Imaging Measurements" up to three TID 1501 groups (:mod:`imaging.dicom.sr.content`): the input series'
    scores, the denoised series' scores (each only when scored) and the QC group (always, with the job's notes).

Header
    Patient and study from the first source instance, each Type 2 attribute empty where the source has none or
    one the SR cannot carry (:mod:`imaging.dicom.sr.header`); a new series (Modality SR, Series Description
    :data:`SERIES_DESCRIPTION`, Manufacturer ``petiq``, Software Versions = petiq's); the private coding scheme
    declared; UTF-8 (ISO_IR 192). Current Requested Procedure Evidence lists every instance of BOTH series.
    The Comprehensive 3D SR IOD has no Frame of Reference module: the SR shares the sources' frame of reference
    through the images it references (all in that frame), not through an attribute of its own.

Series Number rule: ``series_number`` when given; else one more than the largest Series Number of the two
series (1 when neither has one).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import highdicom as hd
from pydicom import Dataset

from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.sr.codes import (
    INPUT_GROUP,
    OUTPUT_GROUP,
    PROCEDURE_PET,
    QC_GROUP,
    QC_MEASURES,
    coding_scheme,
)
from imaging.dicom.sr.content import observation_context, qc_group, score_group
from imaging.dicom.sr.header import evidence_header
from imaging.dicom.sr.inputs import parse_notes, parse_qc, parse_scorer, parse_scores, section
from imaging.errors import InputError

__all__ = ["COMPREHENSIVE_3D_SR", "SERIES_DESCRIPTION", "build_scores_sr"]

COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
"""SOP Class UID of Comprehensive 3D SR Storage."""
SERIES_DESCRIPTION = "petiq quality scores"
_IS_MAX = 2**31 - 1
_PERSON_NAME_WARNING = r"The string .* is unlikely to represent the intended person name"


def _one_series(*, datasets: Sequence[Dataset], name: str) -> tuple[str, str]:
    """(study UID, series UID) shared by ``datasets``; InputError naming ``name`` otherwise."""
    if isinstance(datasets, Dataset) or not isinstance(datasets, Sequence) or not datasets:
        raise InputError(f"Argument '{name}' should be a non-empty sequence of datasets.", check="sr_input")
    keys = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
    if any(not isinstance(ds, Dataset) or any(not ds.get(key) for key in keys) for ds in datasets):
        raise InputError(f"Argument '{name}' should hold datasets with {', '.join(keys)}.", check="sr_input")
    pairs = {(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)) for ds in datasets}
    if len(pairs) != 1:
        raise InputError(
            f"Argument '{name}' should be the instances of one series, got {len(pairs)}.", check="sr_input"
        )
    (pair,) = pairs
    return pair


def _check_series(*, sources: Sequence[Dataset], derived: Sequence[Dataset], result: Mapping[str, Any]) -> None:
    """Both series in one study and frame of reference, and the ones ``result`` names."""
    study, source_series = _one_series(datasets=sources, name="sources")
    other_study, derived_series = _one_series(datasets=derived, name="derived")
    if other_study != study or derived_series == source_series:
        raise InputError(
            "Argument 'derived' should be another series of the study of 'sources'.", check="sr_input", uid=study
        )
    frames = {str(ds.FrameOfReferenceUID) for ds in (*sources, *derived) if ds.get("FrameOfReferenceUID")}
    if len(frames) > 1:
        raise InputError("Arguments 'sources' and 'derived' should share one FrameOfReferenceUID.", check="sr_input")
    for key, series, name in (("input", source_series, "sources"), ("output", derived_series, "derived")):
        named = section(
            parent=section(parent=result, key=key, name="result"), key="series_uid", name=f"result['{key}']"
        )
        if named != series:
            raise InputError(
                f"Argument \"result['{key}']['series_uid']\" should be the series of '{name}', got {named!r}.",
                check="sr_input",
                uid=series,
            )


def _instance_uid(*, instance_uid: str | None, result: Mapping[str, Any]) -> str:
    """``instance_uid``, else ``result["output"]["sr_uid"]``, else a new UID; both given must agree."""
    noted = result["output"].get("sr_uid")
    if noted is not None and (not isinstance(noted, str) or (instance_uid is not None and noted != instance_uid)):
        raise InputError(
            f"Argument \"result['output']['sr_uid']\" should be null or equal 'instance_uid', got {noted!r}.",
            check="sr_input",
        )
    return instance_uid or noted or hd.UID()


def _series_number(*, requested: int | None, datasets: Sequence[Dataset]) -> int:
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or not 1 <= requested <= _IS_MAX:
            raise InputError(f"Argument 'series_number' should be an integer in 1-{_IS_MAX}, got {requested!r}.")
        return requested
    numbers = [int(ds.SeriesNumber) for ds in datasets if ds.get("SeriesNumber") not in (None, "")]
    return min(max(numbers, default=0) + 1, _IS_MAX)


def _groups(
    *, sources: Sequence[Dataset], derived: Sequence[Dataset], result: Mapping[str, Any], algorithm: AlgorithmIdentity
) -> list[hd.sr.MeasurementsAndQualitativeEvaluations]:
    """Input scores, output scores (when scored) and QC, parsed from ``result``."""
    provenance = section(parent=result, key="provenance", name="result")
    if not isinstance(provenance, Mapping):
        raise InputError("Argument \"result['provenance']\" should be a mapping.", check="sr_input")
    scorer = parse_scorer(value=provenance.get("scorer"), name="result['provenance']['scorer']")
    groups = []
    for key, label, images in (("input", INPUT_GROUP, sources), ("output", OUTPUT_GROUP, derived)):
        scores = parse_scores(value=result[key].get("scores"), name=f"result['{key}']['scores']")
        if scores is not None:
            groups.append(score_group(label=label, scores=scores, images=images, scorer=scorer))
    keys = tuple(measure.key for measure in QC_MEASURES)
    qc = parse_qc(value=section(parent=result, key="qc", name="result"), name="result['qc']", keys=keys)
    notes = parse_notes(value=result.get("notes"), name="result['notes']")
    groups.append(qc_group(label=QC_GROUP, qc=qc, images=[*sources, *derived], algorithm=algorithm, notes=notes))
    return groups


def build_scores_sr(
    *,
    sources: Sequence[Dataset],
    derived: Sequence[Dataset],
    result: Mapping[str, Any],
    algorithm: AlgorithmIdentity,
    series_number: int | None = None,
    instance_uid: str | None = None,
    created: datetime | None = None,
) -> Dataset:
    """The scores SR of a job (module docstring), with file meta (Explicit VR Little Endian), ready to write.

    Args:
        sources: the input series' instances (headers suffice: no Pixel Data is read).
        derived: the denoised series' instances, same study and frame of reference.
        result: the job's result document (result.json); ``scores`` may be null (scoring off).
        algorithm: the denoiser that made ``derived``.
        series_number: the SR's Series Number; None applies the module's rule.
        instance_uid: the SR's SOP Instance UID; None takes ``result["output"]["sr_uid"]`` or a new one.
        created: content date and time; now (local time zone) when None.

    Raises:
        InputError: malformed arguments (check ``sr_input``); the message names the argument.
    """
    if not isinstance(result, Mapping):
        raise InputError("Argument 'result' should be a mapping (the result document).", check="sr_input")
    _check_series(sources=sources, derived=derived, result=result)
    moment = created if created is not None else datetime.now().astimezone()
    report = hd.sr.MeasurementReport(
        observation_context=observation_context(algorithm=algorithm),
        procedure_reported=PROCEDURE_PET,
        imaging_measurements=_groups(sources=sources, derived=derived, result=result, algorithm=algorithm),
    )
    number = _series_number(requested=series_number, datasets=[*sources, *derived])
    uid = _instance_uid(instance_uid=instance_uid, result=result)
    with warnings.catch_warnings():  # the source's Patient Name is copied as is, even a one-component "STS_001"
        warnings.filterwarnings("ignore", message=_PERSON_NAME_WARNING, category=UserWarning)
        return _document(
            sources=sources,
            derived=derived,
            report=report,
            algorithm=algorithm,
            series_number=number,
            instance_uid=uid,
            moment=moment,
        )


def _document(
    *,
    sources: Sequence[Dataset],
    derived: Sequence[Dataset],
    report: hd.sr.MeasurementReport,
    algorithm: AlgorithmIdentity,
    series_number: int,
    instance_uid: str,
    moment: datetime,
) -> hd.sr.Comprehensive3DSR:
    """The Comprehensive 3D SR holding ``report`` (header: module docstring)."""
    return hd.sr.Comprehensive3DSR(
        evidence=[evidence_header(source=sources[0]), *sources[1:], *derived],
        content=report,
        series_instance_uid=hd.UID(),
        series_number=series_number,
        sop_instance_uid=instance_uid,
        instance_number=1,
        manufacturer=algorithm.manufacturer,
        manufacturer_model_name="petiq",
        software_versions=algorithm.software_version,
        series_description=SERIES_DESCRIPTION,
        coding_schemes=[coding_scheme()],
        is_complete=True,
        content_date=moment.date(),
        content_time=moment.time(),
        series_date=moment.date(),
        series_time=moment.time(),
        specific_character_set="ISO_IR 192",
    )
