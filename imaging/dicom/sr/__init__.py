"""The scores DICOM Structured Report: a TID 1500 Comprehensive 3D SR of a job's quality scores and QC.

:func:`build_scores_sr` (in :mod:`imaging.dicom.sr.build`) makes it from the job's result document; the coded
concepts are in :mod:`imaging.dicom.sr.codes`, the measurement groups in :mod:`imaging.dicom.sr.content`.
"""

from __future__ import annotations

from imaging.dicom.sr.build import COMPREHENSIVE_3D_SR, SERIES_DESCRIPTION, build_scores_sr
from imaging.dicom.sr.codes import PETIQ_SCHEME, QC_MEASURES, SCORE_CODES, UNROUNDED_CODES, ScoreName

__all__ = [
    "COMPREHENSIVE_3D_SR",
    "PETIQ_SCHEME",
    "QC_MEASURES",
    "SCORE_CODES",
    "SERIES_DESCRIPTION",
    "UNROUNDED_CODES",
    "ScoreName",
    "build_scores_sr",
]
