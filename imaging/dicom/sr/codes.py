"""The coded concepts of the scores SR, in one place: petiq's private coding scheme, units, labels.

There are no standard codes for the quality ratings (GQR, PR, DC) nor for petiq's QC numbers, so they are defined
here in the private coding scheme ``99PETIQ`` (PS3.16 §8.2: designators starting with ``99`` are private), which
the SR declares in its Coding Scheme Identification Sequence. Everything else uses standard codes: DCM, SCT and
UCUM units (``{score}``: a dimensionless rating, 0-3; ``{SUVbw}g/ml``; ``Bq/ml``; ``%``; ``1``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

__all__ = [
    "BQML",
    "CALIBRATION",
    "INPUT_GROUP",
    "NO_UNITS",
    "OUTPUT_GROUP",
    "PERCENT",
    "PETIQ_SCHEME",
    "PROCEDURE_PET",
    "QC_GROUP",
    "QC_MEASURES",
    "SCORE_CODES",
    "SCORE_UNIT",
    "SUVBW",
    "UNROUNDED_CODES",
    "QcMeasure",
    "ScoreName",
    "coding_scheme",
]

PETIQ_SCHEME = "99PETIQ"
"""Coding Scheme Designator of petiq's private codes."""


def coding_scheme() -> CodingSchemeIdentificationItem:
    """The Coding Scheme Identification Sequence item that declares :data:`PETIQ_SCHEME`."""
    return CodingSchemeIdentificationItem(
        designator=PETIQ_SCHEME,
        name="petiq image quality and QC concepts",
        version="1",
        responsible_organization="petiq",
    )


class ScoreName(enum.StrEnum):
    """The three quality ratings, as keyed in result.json (0 unacceptable ... 3 good/excellent)."""

    GQR = "gqr"
    PR = "pr"
    DC = "dc"


SCORE_CODES: dict[ScoreName, Code] = {
    ScoreName.GQR: Code("GQR", PETIQ_SCHEME, "Global quality rating"),
    ScoreName.PR: Code("PR", PETIQ_SCHEME, "Pathology recognisable"),
    ScoreName.DC: Code("DC", PETIQ_SCHEME, "Diagnostic confidence"),
}
"""The ratings as reported: rounded to the 0.5 grid, 0-3."""

UNROUNDED_CODES: dict[ScoreName, Code] = {
    ScoreName.GQR: Code("GQR-RAW", PETIQ_SCHEME, "Global quality rating, unrounded prediction"),
    ScoreName.PR: Code("PR-RAW", PETIQ_SCHEME, "Pathology recognisable, unrounded prediction"),
    ScoreName.DC: Code("DC-RAW", PETIQ_SCHEME, "Diagnostic confidence, unrounded prediction"),
}
"""The scorer's prediction before rounding, 0-3."""

CALIBRATION = Code("CALIBRATION", PETIQ_SCHEME, "Quality score calibration")
"""TEXT: what the scores are calibrated against (e.g. a model observer on simulated studies)."""

SCORE_UNIT = Code("{score}", "UCUM", "score")
SUVBW = Code("{SUVbw}g/ml", "UCUM", "Standardized Uptake Value body weight")
BQML: Code = codes.UCUM.BecquerelsPerMilliliter
PERCENT: Code = codes.UCUM.Percent
NO_UNITS: Code = codes.UCUM.NoUnits

PROCEDURE_PET = Code("PT", "DCM", "Positron emission tomography")
"""Procedure Reported of the TID 1500 report (CID 100 is extensible; PET is what every input is)."""

INPUT_GROUP = "quality scores of the input series"
OUTPUT_GROUP = "quality scores of the denoised series"
QC_GROUP = "quality control of the denoising"
"""Tracking Identifier texts of the three measurement groups."""


@dataclass(frozen=True, kw_only=True)
class QcMeasure:
    """One number of result.json's ``qc`` section as an SR measurement: ``value × factor`` in ``unit``."""

    key: str
    code: Code
    unit: Code
    factor: float = 1.0


QC_MEASURES: tuple[QcMeasure, ...] = (
    QcMeasure(key="suvmax_in", code=Code("SUVMAX-IN", PETIQ_SCHEME, "SUVbw maximum, input series"), unit=SUVBW),
    QcMeasure(key="suvmax_out", code=Code("SUVMAX-OUT", PETIQ_SCHEME, "SUVbw maximum, denoised series"), unit=SUVBW),
    QcMeasure(
        key="max_bqml_in", code=Code("MAXCONC-IN", PETIQ_SCHEME, "Maximum activity concentration, input"), unit=BQML
    ),
    QcMeasure(
        key="max_bqml_out",
        code=Code("MAXCONC-OUT", PETIQ_SCHEME, "Maximum activity concentration, denoised"),
        unit=BQML,
    ),
    QcMeasure(
        key="suvmean_ratio_body",
        code=Code("BODYMEAN-RATIO", PETIQ_SCHEME, "Mean activity in the body, denoised over input"),
        unit=NO_UNITS,
    ),
    QcMeasure(
        key="activity_factor",
        code=Code("ACTIVITY-FACTOR", PETIQ_SCHEME, "Factor applied to keep the body's total activity"),
        unit=NO_UNITS,
    ),
    QcMeasure(
        key="noise_cov_in",
        code=Code("NOISECOV-IN", PETIQ_SCHEME, "Noise CoV in a uniform region, input series"),
        unit=PERCENT,
        factor=100.0,
    ),
    QcMeasure(
        key="noise_cov_out",
        code=Code("NOISECOV-OUT", PETIQ_SCHEME, "Noise CoV in a uniform region, denoised series"),
        unit=PERCENT,
        factor=100.0,
    ),
)
"""The QC numbers the SR carries, in order; result.json keeps CoV as a fraction, the SR in percent."""
