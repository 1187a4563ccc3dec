"""The STOW-RS hook: each completed PT series starts a job with the server's defaults (split rule below).

Split series (see :mod:`core.storage.split`) never start a job of their own; they are their parent's N2N pair.
The order problem — splits may be stored before, with or after their parent — is settled by one rule:

- a series whose SeriesDescription matches ``split_description_pattern`` never starts a job from STOW-RS, even
  before its parent arrives (a lone "split A" cannot be told from an early one);
- when a parent completes, its job takes as pair the two complete splits stored by then (exactly two, ordered
  by SeriesDescription then UID), or none; the request's :class:`~core.storage.outcomes.StoreReport` holds the
  indices this is decided on (read once by the store), so the starter reads no series index again;
- a job is never changed or restarted afterwards: splits stored after their parent's job was created do not
  join it. Send the splits before or with the parent (one STOW-RS request is fine), or ask for the paired job
  with ``POST /v1/jobs`` (split_a, split_b): that is another job, with its own id.

A petiq DERIVED series sent back to the gateway (its description ends with ``[petiq denoised]``) starts nothing.
A series whose radionuclide is not a positron emitter (Tc-99m, Lu-177, ...) gets a ``failed`` job naming it, never
enqueued (:mod:`core.jobs.radionuclide`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from core.jobs.create import job_of_indices, submit
from core.jobs.queue import JobQueue
from core.jobs.radionuclide import radionuclide_refusal
from core.jobs.store import JobStore
from core.jobs.transitions import failed
from core.settings import Settings
from core.storage.completion import is_complete
from core.storage.layout import Layout
from core.storage.models import SeriesIndex
from core.storage.outcomes import StoreReport
from imaging.dicom.derived import PETIQ_SUFFIXES
from imaging.errors import InputError

__all__ = ["JobStarter", "starts_a_job", "stored_split_pair"]

_LOG = logging.getLogger(__name__)


def starts_a_job(*, index: SeriesIndex, pattern: re.Pattern[str]) -> bool:
    """Whether a completed series starts a job from STOW-RS: PT, not split-like, not petiq's own output (a
    denoised or an uncertainty series)."""
    description = index.series.series_description
    return (
        index.series.modality == "PT"
        and pattern.search(description) is None
        and not description.endswith(tuple(suffix.strip() for suffix in PETIQ_SUFFIXES))
    )


def stored_split_pair(*, report: StoreReport, parent_uid: str) -> tuple[SeriesIndex, SeriesIndex] | None:
    """The two complete splits of ``parent_uid`` in ``report``, ordered by description then UID; or None."""
    complete = sorted(
        (index for index in report.splits_of(parent_uid) if is_complete(index=index)),
        key=lambda index: (index.series.series_description, index.series.series_uid),
    )
    if len(complete) != 2:
        return None
    return complete[0], complete[1]


@dataclass(frozen=True)
class JobStarter:
    """The first ``on_series_stored`` hook (:class:`service.hooks.SeriesStoredHooks`): starts the jobs of a
    STOW-RS request's (or DIMSE association's) completed series from its report, reading no series index again
    (the settings stay out of its ``repr``)."""

    settings: Settings = field(repr=False)
    queue: JobQueue

    def __call__(self, report: StoreReport) -> None:
        for index in report.completed:
            if index.series.series_uid in report.split_pairs:
                continue
            try:
                self._start(index=index, report=report)
            except InputError as error:  # e.g. default_adapt n2n-split and no split pair stored
                _LOG.warning("series %s starts no job: %s", index.series.series_uid, error)

    def _start(self, *, index: SeriesIndex, report: StoreReport) -> None:
        if not starts_a_job(index=index, pattern=self.settings.split_regex):
            return
        uid = index.series.series_uid
        pair = stored_split_pair(report=report, parent_uid=uid)
        job = job_of_indices(series=index, splits=pair, settings=self.settings)
        layout = Layout(self.settings.storage_dir)
        refusal = radionuclide_refusal(layout=layout, study_uid=job.study_uid, series_uid=uid, index=index)
        if refusal is not None:
            JobStore(self.settings.storage_dir).create(failed(job, error=refusal))
            _LOG.warning("series %s: job %s failed, not queued: %s", uid, job.id, refusal.message)
            return
        job, created = submit(store=JobStore(self.settings.storage_dir), job=job, queue=self.queue)
        _LOG.info("series %s: job %s %s", uid, job.id, "queued" if created else "exists")
