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

Cost
    Of an instance the SR reads only its UIDs (:mod:`imaging.dicom.sr.references`); highdicom gets the first
    source's header and one four-UID dataset per other instance as evidence, and the measurement groups without
    their IMAGE items, which are appended afterwards (:mod:`imaging.dicom.sr.assemble`). The document is the same as
    the one highdicom builds from the whole content, at a fraction of the cost: its constructor deep-copies, parses
    and searches the content it is given, about 1000 IMAGE items for a 267-slice series.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import highdicom as hd
from pydicom import Dataset

from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.sr.assemble import complete
from imaging.dicom.sr.codes import (
    INPUT_GROUP,
    OUTPUT_GROUP,
    PROCEDURE_PET,
    QC_GROUP,
    QC_MEASURES,
    coding_scheme,
)
from imaging.dicom.sr.content import MeasurementGroup, observation_context, qc_group, score_group
from imaging.dicom.sr.header import evidence_header
from imaging.dicom.sr.inputs import parse_notes, parse_qc, parse_scorer, parse_scores, section
from imaging.dicom.sr.references import SeriesReferences, evidence_datasets, series_references
from imaging.errors import InputError

__all__ = ["COMPREHENSIVE_3D_SR", "SERIES_DESCRIPTION", "build_scores_sr"]

COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
"""SOP Class UID of Comprehensive 3D SR Storage."""
SERIES_DESCRIPTION = "petiq quality scores"
_IS_MAX = 2**31 - 1
_PERSON_NAME_WARNING = r"The string .* is unlikely to represent the intended person name"


def _check_series(*, sources: SeriesReferences, derived: SeriesReferences, result: Mapping[str, Any]) -> None:
    """Both series in one study and frame of reference, and the ones ``result`` names."""
    if derived.study_uid != sources.study_uid or derived.series_uid == sources.series_uid:
        raise InputError(
            "Argument 'derived' should be another series of the study of 'sources'.",
            check="sr_input",
            uid=sources.study_uid,
        )
    if len(sources.frame_uids | derived.frame_uids) > 1:
        raise InputError("Arguments 'sources' and 'derived' should share one FrameOfReferenceUID.", check="sr_input")
    for key, series, name in (("input", sources.series_uid, "sources"), ("output", derived.series_uid, "derived")):
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


def _series_number(*, requested: int | None, series: Sequence[SeriesReferences]) -> int:
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or not 1 <= requested <= _IS_MAX:
            raise InputError(f"Argument 'series_number' should be an integer in 1-{_IS_MAX}, got {requested!r}.")
        return requested
    numbers = [number for one in series for number in one.series_numbers]
    return min(max(numbers, default=0) + 1, _IS_MAX)


def _groups(
    *,
    sources: SeriesReferences,
    derived: SeriesReferences,
    result: Mapping[str, Any],
    algorithm: AlgorithmIdentity,
) -> list[MeasurementGroup]:
    """Input scores, output scores (when scored) and QC, parsed from ``result``."""
    provenance = section(parent=result, key="provenance", name="result")
    if not isinstance(provenance, Mapping):
        raise InputError("Argument \"result['provenance']\" should be a mapping.", check="sr_input")
    scorer = parse_scorer(value=provenance.get("scorer"), name="result['provenance']['scorer']")
    groups = []
    for key, label, series in (("input", INPUT_GROUP, sources), ("output", OUTPUT_GROUP, derived)):
        scores = parse_scores(value=result[key].get("scores"), name=f"result['{key}']['scores']")
        if scores is not None:
            groups.append(score_group(label=label, scores=scores, images=series.instances, scorer=scorer))
    keys = tuple(measure.key for measure in QC_MEASURES)
    qc = parse_qc(value=section(parent=result, key="qc", name="result"), name="result['qc']", keys=keys)
    notes = parse_notes(value=result.get("notes"), name="result['notes']")
    images = (*sources.instances, *derived.instances)
    groups.append(qc_group(label=QC_GROUP, qc=qc, images=images, algorithm=algorithm, notes=notes))
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
        sources: the input series' instances; of each only the UIDs, Series Number, Modality and whether it has
            an image pixel description are read, and the patient and study attributes of the first.
        derived: the denoised series' instances, same study and frame of reference (read as ``sources``).
        result: the job's result document (result.json); ``scores`` may be null (scoring off).
        algorithm: the denoiser that made ``derived``.
        series_number: the SR's Series Number; None applies the module's rule.
        instance_uid: the SR's SOP Instance UID; None takes ``result["output"]["sr_uid"]`` or a new one.
        created: content date and time; now (local time zone) when None.

    Raises:
        InputError: malformed arguments (check ``sr_input``), instances that are no images included; the message
            names the argument.
    """
    if not isinstance(result, Mapping):
        raise InputError("Argument 'result' should be a mapping (the result document).", check="sr_input")
    inputs = series_references(datasets=sources, name="sources")
    outputs = series_references(datasets=derived, name="derived")
    _check_series(sources=inputs, derived=outputs, result=result)
    moment = created if created is not None else datetime.now().astimezone()
    groups = _groups(sources=inputs, derived=outputs, result=result, algorithm=algorithm)
    report = hd.sr.MeasurementReport(
        observation_context=observation_context(algorithm=algorithm),
        procedure_reported=PROCEDURE_PET,
        imaging_measurements=[group.head for group in groups],
    )
    number = _series_number(requested=series_number, series=(inputs, outputs))
    uid = _instance_uid(instance_uid=instance_uid, result=result)
    evidence = [
        evidence_header(source=sources[0]),
        *evidence_datasets(series=inputs)[1:],
        *evidence_datasets(series=outputs),
    ]
    with warnings.catch_warnings():  # the source's Patient Name is copied as is, even a one-component "STS_001"
        warnings.filterwarnings("ignore", message=_PERSON_NAME_WARNING, category=UserWarning)
        document = _document(
            evidence=evidence, report=report, algorithm=algorithm, series_number=number, instance_uid=uid, moment=moment
        )
    return complete(document=document, groups=groups)


def _document(
    *,
    evidence: Sequence[Dataset],
    report: hd.sr.MeasurementReport,
    algorithm: AlgorithmIdentity,
    series_number: int,
    instance_uid: str,
    moment: datetime,
) -> hd.sr.Comprehensive3DSR:
    """The Comprehensive 3D SR holding ``report``, listing ``evidence`` (header: module docstring)."""
    return hd.sr.Comprehensive3DSR(
        evidence=evidence,
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
