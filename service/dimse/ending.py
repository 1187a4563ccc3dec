"""The end of an association, reported as the end of one STOW-RS request: its stores merged into one report
(:func:`~core.storage.merge.merge_reports`) handed to the ``on_series_stored`` hooks, and one log line.

This runs in the SCP's own worker thread (one, so the hooks of two associations never run at once), never in
pynetdicom's threads: a hook may wait for the broker, and the end of an association may be seen by its DUL
thread. The hooks are called when the association stored anything (as for STOW-RS), whether it was released or
aborted: a series left short of slices starts nothing and is reported by the incomplete-series sweep
(:mod:`core.jobs.incomplete`) after ``incomplete_grace_s``. :meth:`AssociationEnder.close` waits for the ends
submitted so far, so that the gateway's shutdown loses none.

The log line names the calling AE title, the peer's address, how it ended, the instances stored and failed and
the duration; no patient attribute.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from core.logs import safe_error
from core.settings import Settings
from core.storage.merge import merge_reports
from service.dimse.session import AssociationSession
from service.dimse.stats import AssociationResult, DimseStats
from service.hooks import SeriesStoredHooks

__all__ = ["AssociationEnder", "Ended"]

Ended = Literal["released", "aborted"]
"""How an association ended: released (A-RELEASE), or aborted (A-ABORT either way, or the connection lost)."""

_LOG = logging.getLogger(__name__)


@dataclass
class AssociationEnder:
    """Reports ended associations (module docstring); ``hooks`` is read at each end (the app's live list)."""

    settings: Settings = field(repr=False)
    hooks: SeriesStoredHooks
    stats: DimseStats
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="petiq-dimse-end"), repr=False
    )

    def end(self, *, session: AssociationSession, how: Ended) -> None:
        """Report ``session``'s association, ended ``how`` now, in the worker thread (in this one once
        :meth:`close` was called: an association ending while the SCP stops)."""
        if how == "aborted":
            self.stats.association(AssociationResult.ABORTED)
        seconds = time.monotonic() - session.started
        try:
            self._executor.submit(self._report, session, how, seconds)
        except RuntimeError:  # the executor is shut down
            self._report(session, how, seconds)

    def close(self) -> None:
        """Wait for the ends submitted so far; later ones are reported in the thread that sees them."""
        self._executor.shutdown(wait=True)

    def _report(self, session: AssociationSession, how: Ended, seconds: float) -> None:
        try:
            with session.lock:  # waits for a C-STORE being stored; later ones are refused
                session.ended = True
            stored, failed = session.counts
            _LOG.info(
                "DIMSE association from AE %r at %s %s: %d instance(s) stored, %d failed, %.1f s",
                session.calling_ae,
                session.peer,
                how,
                stored,
                failed,
                seconds,
            )
            if stored:
                settings = self.settings
                merged = merge_reports(
                    root=settings.storage_dir, reports=session.reports, split_pattern=settings.split_regex
                )
                self.hooks.notify(merged)
        except Exception as error:  # logged: the instances are stored, the sweep still sees incomplete series
            message = "the end of the DIMSE association from AE %r could not be reported: %s"
            _LOG.error(message, session.calling_ae, safe_error(error))
