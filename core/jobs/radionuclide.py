"""The gateway's radionuclide check: a stored series whose radionuclide is not a positron emitter starts no job.

petiq processes PET only (:mod:`imaging.dicom.radionuclide`). The instances of a SPECT or therapy series (Tc-99m,
Lu-177, Y-90, ... stored as PET Image Storage) are valid DICOM: STOW-RS stores them. What changes is the job:

- a series completed by STOW-RS gets a ``failed`` job record, its ``error`` a problem detail (422, check
  ``radionuclide``) naming the nuclide, visible in ``GET /v1/jobs?study_uid=``; it is never enqueued;
- ``POST /v1/jobs`` on such a series answers 422 problem+json naming the nuclide, and queues nothing.

The check reads the first stored instance's header (no pixels); a series whose nuclide is not identified, or whose
header cannot be read here, is let through: the worker's reader decides (and notes what it could not check).
"""

from __future__ import annotations

import logging

import pydicom
from pydicom.errors import InvalidDicomError

from core.errors import NotFoundError, UnprocessableError
from core.storage.catalog import index_files, instance_files
from core.storage.layout import Layout
from core.storage.models import SeriesIndex
from imaging.dicom.radionuclide import radionuclide_info

__all__ = ["radionuclide_refusal"]

_LOG = logging.getLogger(__name__)


def radionuclide_refusal(
    *, layout: Layout, study_uid: str, series_uid: str, index: SeriesIndex | None = None
) -> UnprocessableError | None:
    """Why the stored series cannot be processed for its radionuclide; None when it can (or cannot be told).
    ``index``: the series' index when the caller read it already (it is not read again)."""
    try:
        if index is None:
            path, _ = instance_files(layout=layout, study_uid=study_uid, series_uid=series_uid)[0]
        else:
            path, _ = index_files(layout=layout, index=index)[0]
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except (NotFoundError, OSError, InvalidDicomError) as error:
        _LOG.warning("series %s: radionuclide not checked: %s", series_uid, error)
        return None
    info = radionuclide_info(dataset=dataset)
    if info.nuclide is None or info.nuclide.positron:
        return None
    return UnprocessableError(
        f"Radionuclide {info.nuclide.name} (from {info.source}) is not a positron emitter: petiq processes PET only.",
        check="radionuclide",
        uid=series_uid,
    )
