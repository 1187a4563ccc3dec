"""The outbox: which jobs have a message the broker did not take, as empty marker files on the storage volume.

::

    ROOT/jobs/.unsent/<id>    the job's message (its run, or its delivery) still has to be sent

The manifest says why (``enqueue_error``) and when the next try is due; the marker only spares the gateway's
retry loop (:mod:`core.jobs.enqueue_retry`) from reading every manifest each second. Any process may add one
(the gateway, a worker handing over a delivery); the gateway removes it once the message is sent. A marker whose
job needs no message any more is simply dropped.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from core.jobs.store import JobStore, is_job_id

__all__ = ["Outbox"]


@dataclass(frozen=True)
class Outbox:
    """The markers of ``store`` (module docstring)."""

    store: JobStore

    @property
    def folder(self) -> Path:
        return self.store.folder / ".unsent"

    def add(self, job_id: str) -> None:
        """Mark ``job_id``'s message as not sent."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store.job_dir(job_id)  # checks the id
        (self.folder / job_id).touch()

    def remove(self, job_id: str) -> None:
        """The message of ``job_id`` was sent, or is not needed any more."""
        with contextlib.suppress(FileNotFoundError):
            (self.folder / job_id).unlink()

    def ids(self) -> list[str]:
        """The marked job ids, sorted."""
        try:
            names = [entry.name for entry in self.folder.iterdir()]
        except FileNotFoundError:
            return []
        return sorted(name for name in names if is_job_id(name))
