"""The job's files: its input snapshot taken from storage, and its output put back into storage.

The input of a job is a snapshot of the stored series (hard links, a copy across file systems) in
``jobs/<id>/input/<series>/``: only the instances the series index lists, frozen while the job runs. The derived
series and the scores SR go back into the storage through :func:`service.storage.store_instances` (with
``JOB_OUTPUT_SOP_CLASSES``: STOW-RS from outside still stores PET images only), so WADO-RS and QIDO-RS find them
in the same study; storing is idempotent, so doing it twice (a job run again after a crash) changes nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from imaging.errors import OutputError
from service.core.config import Settings
from service.storage.catalog import instance_files
from service.storage.instances import JOB_OUTPUT_SOP_CLASSES
from service.storage.layout import Layout
from service.storage.outcomes import StoreReport
from service.storage.spool import SpooledFile, SpoolWriter, discard
from service.storage.store import store_instances

__all__ = ["clear_staging", "snapshot_series", "store_derived"]


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def snapshot_series(*, layout: Layout, study_uid: str, series_uid: str, folder: Path) -> Path:
    """The indexed instances of a stored series linked into ``folder / series_uid`` (rebuilt); returns it.

    Raises:
        NotFoundError: the series is not stored.
    """
    target = folder / series_uid
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path, _ in instance_files(layout=layout, study_uid=study_uid, series_uid=series_uid):
        _link_or_copy(path, target / path.name)
    return target


def clear_staging(*, job_dir: Path) -> None:
    """Remove what a killed run left: the input snapshot and the pipeline's hidden staging folders."""
    shutil.rmtree(job_dir / "input", ignore_errors=True)
    for leftover in job_dir.glob(".output.*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _spool(path: Path, directory: Path) -> SpooledFile:
    writer = SpoolWriter(directory=directory)
    try:
        writer.write(path.read_bytes())
    except OSError:
        writer.abort()
        raise
    return writer.close()


def store_derived(*, settings: Settings, folder: Path, study_uid: str, sr_path: Path | None = None) -> StoreReport:
    """Store the DICOM files of ``folder`` (the derived series) and the scores SR at ``sr_path`` (when given)
    into study ``study_uid`` of the storage.

    Raises:
        OutputError: an instance could not be stored, or ``folder`` holds none (the message says why).
    """
    layout = Layout(settings.storage_dir)
    paths = sorted(folder.glob("*.dcm"))
    files: list[SpooledFile] = []
    try:
        files = [_spool(path, layout.tmp) for path in [*paths, *([sr_path] if sr_path is not None else [])]]
        report = store_instances(
            root=layout.root,
            files=files,
            study_uid=study_uid,
            max_instances_per_series=settings.max_instances_per_series,
            split_pattern=settings.split_regex,
            sop_classes=JOB_OUTPUT_SOP_CLASSES,
        )
    finally:
        discard(files)
    refused = [outcome for outcome in report.outcomes if not outcome.stored]
    if refused or not paths:
        reason = refused[0].message if refused else "no DICOM file in the output"
        raise OutputError(f"The job's output could not be stored: {reason}", path=str(folder))
    return report
