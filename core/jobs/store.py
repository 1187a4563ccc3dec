"""Job manifests on the storage volume, one folder per job, written atomically (temp file + rename).

::

    ROOT/jobs/<id>/manifest.json    the job (JobPublic as JSON): the source of truth
    ROOT/jobs/<id>/.lock            flock'ed while the manifest is read-modified-written
    ROOT/jobs/<id>/.run.lock        flock'ed by the worker running the job (released when its process dies); the
                                    gateway tries it to tell a lost worker from a frozen one (core.jobs.stall)
    ROOT/jobs/<id>/output/          the pipeline's output folder (denoised/ + result.json), all or nothing
    ROOT/jobs/.unsent/<id>          the job's message is not sent yet (core.jobs.outbox)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from core.errors import NotFoundError
from core.jobs.models import JobPublic
from core.storage.index import series_lock
from imaging.atomic import write_atomic
from imaging.errors import OutputError

__all__ = ["JOB_ID_PATTERN", "JobStore", "is_job_id"]

JOB_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
"""A job id: a lower-case UUID (an ECMA-262 and Python regular expression)."""
_JOB_ID = re.compile(JOB_ID_PATTERN)


def is_job_id(value: str) -> bool:
    """Whether ``value`` has the form of a job id (a lower-case UUID; safe as a path component)."""
    return _JOB_ID.match(value) is not None


@dataclass(frozen=True)
class JobStore:
    """The manifests under ``root / "jobs"`` (module docstring)."""

    root: Path

    @property
    def folder(self) -> Path:
        return self.root / "jobs"

    def job_dir(self, job_id: str) -> Path:
        if not is_job_id(job_id):
            raise NotFoundError(f"Argument 'job_id' should be a job id (a UUID), got {job_id!r}.", check="job_id")
        return self.folder / job_id

    def output_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "output"

    def run_lock(self, job_id: str) -> Path:
        return self.job_dir(job_id) / ".run.lock"

    def read(self, job_id: str) -> JobPublic | None:
        """The manifest of ``job_id``; None when there is none; OutputError when it cannot be parsed."""
        path = self.job_dir(job_id) / "manifest.json"
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return JobPublic.model_validate_json(text)
        except ValidationError as error:
            raise OutputError(
                f"The job manifest is corrupt: {error.error_count()} error(s).", path=str(path)
            ) from error

    def get(self, job_id: str) -> JobPublic:
        """The manifest of ``job_id``; NotFoundError (404) when there is none."""
        job = self.read(job_id)
        if job is None:
            raise NotFoundError("No such job.", check="job_id", uid=job_id)
        return job

    def _write(self, job: JobPublic) -> None:
        text = job.model_dump_json(indent=1).encode()
        write_atomic(path=self.job_dir(job.id) / "manifest.json", write=lambda handle: handle.write(text))

    def create(self, job: JobPublic) -> tuple[JobPublic, bool]:
        """Write ``job`` unless a manifest with its id exists: (the stored manifest, whether it was created)."""
        with series_lock(path=self.job_dir(job.id) / ".lock"):
            existing = self.read(job.id)
            if existing is not None:
                return existing, False
            self._write(job)
        return job, True

    def update(self, job_id: str, change: Callable[[JobPublic], JobPublic]) -> JobPublic:
        """Replace the manifest by ``change(manifest)`` under the job's lock; returns the new manifest."""
        with series_lock(path=self.job_dir(job_id) / ".lock"):
            job = change(self.get(job_id))
            self._write(job)
        return job

    def all(self) -> Iterator[JobPublic]:
        """Every job with a readable manifest, in id order (corrupt manifests are skipped)."""
        if not self.folder.is_dir():
            return
        for entry in sorted(self.folder.iterdir()):
            if not is_job_id(entry.name):
                continue
            try:
                job = self.read(entry.name)
            except OutputError:
                continue
            if job is not None:
                yield job
