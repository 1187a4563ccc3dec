"""A job's report page from its manifest and the storage volume: the one function the route calls.

Reads the input series and the derived series (``result.output.series_uid``) from the storage, and the uncertainty
series when the job wrote one (``result.uncertainty.series_uid``); when the input or the output cannot be read
(removed, or not a valid series any more) the page is still made, saying why the images are missing, and when only
the uncertainty cannot, the images are shown without it and the page says why.
Pictures that could be made are kept in a :class:`~service.report.cache.TimedCache` when one is given.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from core.jobs.models import JobPublic, JobStatus
from core.jobs.result import UncertaintyAvailable
from core.storage.layout import Layout
from imaging.dicom.reader import PetSeries
from imaging.errors import PetiqError
from imaging.volume import PetVolume
from service.report.cache import TimedCache
from service.report.figures import Figures, report_figures
from service.report.load import StudyHeader, read_stored_series, study_header
from service.report.page import report_page, status_page
from service.report.sections import output_series_uid

__all__ = ["PictureCache", "build_report"]

Pictures = tuple[StudyHeader | None, Figures | None, str | None]
PictureCache = TimedCache[Pictures]
"""The header and pictures of a job's report, by ``(job id, output series UID)``."""


def _read(*, layout: Layout, job: JobPublic, series_uid: str | None, role: str) -> PetSeries:
    if series_uid is None:
        raise PetiqError(f"the job's result names no {role} series", check="report")
    return read_stored_series(layout=layout, study_uid=job.study_uid, series_uid=series_uid)


def _reason(error: PetiqError | ValueError) -> str:
    return error.message if isinstance(error, PetiqError) else str(error)


def _uncertainty(*, layout: Layout, job: JobPublic) -> tuple[PetVolume | None, str | None]:
    """The uncertainty volume the job wrote, or None with the reason it cannot be shown (None: it wrote none)."""
    section = job.result.uncertainty if job.result is not None else None
    if not isinstance(section, UncertaintyAvailable):
        return None, None
    try:
        return _read(layout=layout, job=job, series_uid=section.series_uid, role="uncertainty").volume, None
    except (PetiqError, ValueError) as error:
        return None, _reason(error)


def _pictures(*, layout: Layout, job: JobPublic) -> Pictures:
    output_uid = output_series_uid(result=job.result)
    before: PetSeries | None = None
    after: PetSeries | None = None
    missing: str | None = None
    try:
        before = _read(layout=layout, job=job, series_uid=job.series_uid, role="input")
        after = _read(layout=layout, job=job, series_uid=output_uid, role="output")
        uncertainty, unread = _uncertainty(layout=layout, job=job)
        figures = report_figures(before=before.volume, after=after.volume, uncertainty=uncertainty)
        figures = dataclasses.replace(figures, uncertainty_missing=unread)
    except (PetiqError, ValueError) as error:
        figures, missing = None, _reason(error)
    header = study_header(before=before.datasets[0] if before else None, after=after.datasets[0] if after else None)
    return header if before else None, figures, missing


def build_report(*, layout: Layout, job: JobPublic, generated: datetime, cache: PictureCache | None = None) -> str:
    """The HTML page of ``job``: its report when it succeeded, else its status page."""
    if job.status is not JobStatus.SUCCEEDED:
        return status_page(job=job, generated=generated)
    key = (job.id, str(output_series_uid(result=job.result)))
    pictures = cache.get(key) if cache is not None else None
    if pictures is None:
        pictures = _pictures(layout=layout, job=job)
        if cache is not None and pictures[1] is not None:  # a failed read is retried on the next view
            cache.put(key, pictures)
    header, figures, missing = pictures
    return report_page(job=job, header=header, figures=figures, missing=missing, generated=generated)
