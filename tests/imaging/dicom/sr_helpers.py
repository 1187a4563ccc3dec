"""Test material for the scores SR: result documents in the SCORES.md format, and reading an SR back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import highdicom as hd
from pydicom import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from imaging.dicom.sr.codes import CALIBRATION, QC_MEASURES, SCORE_CODES, UNROUNDED_CODES, ScoreName

__all__ = [
    "CALIBRATION_TEXT",
    "group_of",
    "make_result",
    "make_scores",
    "qc_values",
    "read_sr",
    "referenced_uids",
    "score_values",
    "text_value",
    "uncertainty_values",
]

CALIBRATION_TEXT = "model-observer-sim/1: a model observer on simulated studies, not clinician scores"


def make_scores(*, gqr: float, pr: float, dc: float) -> dict[str, Any]:
    """Scores of one series as SCORES.md shows them; raw and uncertainty derived from the ratings."""
    return {
        "gqr": gqr,
        "pr": pr,
        "dc": dc,
        "raw": {"gqr": gqr + 0.09, "pr": pr - 0.07, "dc": dc + 0.2},
        "uncertainty": {"gqr": 0.31, "pr": 0.28, "dc": 0.25},
        "calibration": CALIBRATION_TEXT,
        "n_patches": 300,
    }


def make_result(
    *, sources: Sequence[Dataset], derived: Sequence[Dataset], scored: bool = True, sr_uid: str | None = None
) -> dict[str, Any]:
    """A result document for the two series, scored or not (``scores`` and ``scorer`` null)."""
    scorer = {"name": "petiq-iqa", "version": "1", "sha256": "ab" * 32, "calibration": "model-observer-sim/1"}
    return {
        "input": {
            "series_uid": str(sources[0].SeriesInstanceUID),
            "n_slices": len(sources),
            "scores": make_scores(gqr=1.5, pr=2.0, dc=1.0) if scored else None,
        },
        "output": {
            "series_uid": str(derived[0].SeriesInstanceUID),
            "sr_uid": sr_uid,
            "scores": make_scores(gqr=2.5, pr=3.0, dc=2.0) if scored else None,
        },
        "qc": {
            "units": "BQML",
            "suv_factor": 2.0e-4,
            "suvmax_in": 12.5,
            "suvmax_out": 10.25,
            "max_bqml_in": 62500.0,
            "max_bqml_out": 51250.0,
            "suvmean_ratio_body": 0.995,
            "noise_cov_in": 0.2125,
            "noise_cov_out": None,
        },
        "adaptation": None,
        "provenance": {"software_version": "0.1.0", "scorer": scorer if scored else None},
    }


def read_sr(path: Path) -> hd.sr.Comprehensive3DSR:
    """The SR file at ``path`` read back by highdicom."""
    document = hd.sr.srread(path)
    assert isinstance(document, hd.sr.Comprehensive3DSR)
    return document


def group_of(document: hd.sr.Comprehensive3DSR, *, label: str) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """The one TID 1501 group of ``document`` whose Tracking Identifier is ``label``."""
    report = document.content
    assert isinstance(report, hd.sr.MeasurementReport)
    found = [group for group in report.get_image_measurement_groups() if group.tracking_identifier == label]
    assert len(found) == 1, [group.tracking_identifier for group in report.get_image_measurement_groups()]
    return found[0]


def _num(group: hd.sr.MeasurementsAndQualitativeEvaluations, code: Code) -> hd.sr.Measurement | None:
    found = group.get_measurements(name=code)
    assert len(found) <= 1
    return found[0] if found else None


def score_values(group: hd.sr.MeasurementsAndQualitativeEvaluations, *, unrounded: bool = False) -> dict[str, float]:
    """``{gqr, pr, dc}`` of a score group (rounded, or the unrounded predictions), checking the unit."""
    values = {}
    for score in ScoreName:
        measurement = _num(group, (UNROUNDED_CODES if unrounded else SCORE_CODES)[score])
        assert measurement is not None, score
        assert measurement.unit.value == "{score}"
        values[score.value] = float(measurement.value)
    return values


def uncertainty_values(group: hd.sr.MeasurementsAndQualitativeEvaluations) -> dict[str, float]:
    """The "Standard deviation of population" property of each rating of a score group."""
    values = {}
    for score in ScoreName:
        measurement = _num(group, SCORE_CODES[score])
        assert measurement is not None
        found = hd.sr.utils.find_content_items(
            measurement[0], name=codes.DCM.StandardDeviationOfPopulation, value_type=hd.sr.ValueTypeValues.NUM
        )
        assert len(found) == 1 and found[0].unit.value == "{score}"
        values[score.value] = float(found[0].value)
    return values


def text_value(group: hd.sr.MeasurementsAndQualitativeEvaluations, *, code: Code = CALIBRATION) -> str:
    """The value of the one TEXT item ``code`` directly in the group."""
    found = hd.sr.utils.find_content_items(group[0], name=code, value_type=hd.sr.ValueTypeValues.TEXT)
    assert len(found) == 1
    return str(found[0].value)


def qc_values(group: hd.sr.MeasurementsAndQualitativeEvaluations) -> dict[str, tuple[float, str]]:
    """``{qc key: (value, UCUM unit)}`` of the QC group's measurements."""
    values = {}
    for measure in QC_MEASURES:
        measurement = _num(group, measure.code)
        if measurement is not None:
            values[measure.key] = (float(measurement.value), str(measurement.unit.value))
    return values


def referenced_uids(group: hd.sr.MeasurementsAndQualitativeEvaluations) -> set[str]:
    """The SOP Instance UIDs of the group's source images."""
    return {str(image.referenced_sop_instance_uid) for image in group.source_images}


def algorithm_parameters(group: hd.sr.MeasurementsAndQualitativeEvaluations) -> list[str]:
    """The TEXT "Algorithm Parameters" items of the group's algorithm identification (TID 4019), in order."""
    found = hd.sr.utils.find_content_items(
        group[0], name=codes.DCM.AlgorithmParameters, value_type=hd.sr.ValueTypeValues.TEXT, recursive=True
    )
    return [str(item.value) for item in found]
