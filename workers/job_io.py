"""The job's files: its input snapshot taken from storage, and its output put back into storage.

The input of a job is a snapshot of the stored series (hard links, a copy across file systems) in
``jobs/<id>/input/<series>/``: only the instances the series index lists, frozen while the job runs. The derived
series, the uncertainty series (when the job made one) and the scores SR go back into the storage through
:func:`core.storage.store_instances` (with ``JOB_OUTPUT_SOP_CLASSES``: STOW-RS from outside still stores PET images
only), so WADO-RS and QIDO-RS find them in the same study; storing is idempotent, so doing it twice (a job run again
after a crash) changes nothing.

Storing the output is all or nothing: when any of its instances is refused, the instances it stored are taken
out again (:func:`remove_stored`) and every spool file is deleted. A failed job's own folder is emptied of its
input snapshot, staging folders and output by :func:`discard_outputs`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.errors import InsufficientStorageError
from core.settings import Settings
from core.storage.catalog import instance_files
from core.storage.faults import describe
from core.storage.instances import JOB_OUTPUT_SOP_CLASSES
from core.storage.layout import Layout
from core.storage.outcomes import SeriesKey, StoreReport
from core.storage.removal import remove_instances
from core.storage.spool import SpooledFile, SpoolWriter, discard
from core.storage.store import store_instances
from imaging.errors import OutputError

__all__ = ["clear_staging", "discard_outputs", "remove_stored", "snapshot_series", "store_derived"]

_OUTPUT_DIR = "output"


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
    for leftover in job_dir.glob(f".{_OUTPUT_DIR}.*"):
        shutil.rmtree(leftover, ignore_errors=True)


def discard_outputs(*, job_dir: Path) -> None:
    """Remove everything a failed job wrote in its folder (input snapshot, staging folders, output), so that it
    does not keep the volume full; the manifest stays. Never raises (on a read-only volume nothing can go)."""
    clear_staging(job_dir=job_dir)
    shutil.rmtree(job_dir / _OUTPUT_DIR, ignore_errors=True)


def _spool(path: Path, directory: Path) -> SpooledFile:
    writer = SpoolWriter(directory=directory)
    try:
        writer.write(path.read_bytes())
        return writer.close()
    except BaseException:
        writer.abort()  # a no-op when the writer deleted its file already
        raise


def _spool_all(paths: list[Path], directory: Path) -> list[SpooledFile]:
    """Every file of ``paths`` spooled; when one fails, those already spooled are deleted before the error."""
    files: list[SpooledFile] = []
    try:
        for path in paths:
            files.append(_spool(path, directory))
    except BaseException:
        discard(files)
        raise
    return files


def remove_stored(*, settings: Settings, report: StoreReport) -> None:
    """Take every instance that ``report`` stored (or found stored) out of the storage again, so that no part of
    a job's output stays visible to QIDO-RS and WADO-RS."""
    layout = Layout(settings.storage_dir)
    by_series: dict[SeriesKey, list[str]] = {}
    for outcome in report.outcomes:
        if outcome.stored and outcome.series is not None and outcome.sop_instance_uid is not None:
            by_series.setdefault(outcome.series, []).append(outcome.sop_instance_uid)
    for key, sop_uids in sorted(by_series.items()):
        remove_instances(layout=layout, key=key, sop_uids=sop_uids)


def _refusal(report: StoreReport, folder: Path, has_images: bool) -> OutputError | None:
    """Why the output is not wholly stored (None when it is): InsufficientStorageError on a full or read-only
    volume, OutputError otherwise."""
    if report.storage_faults:
        check = report.storage_faults[0].storage_fault
        message = f"The job's output could not be stored: {describe(check)}."
        return InsufficientStorageError(message, check=check, path=str(folder))
    refused = [outcome for outcome in report.outcomes if not outcome.stored]
    if refused or not has_images:
        reason = refused[0].message if refused else "no DICOM file in the output"
        return OutputError(f"The job's output could not be stored: {reason}", path=str(folder))
    return None


def store_derived(
    *,
    settings: Settings,
    folder: Path,
    study_uid: str,
    sr_path: Path | None = None,
    uncertainty: Path | None = None,
) -> StoreReport:
    """Store the DICOM files of ``folder`` (the derived series), of ``uncertainty`` (the uncertainty series'
    folder, when given) and the scores SR at ``sr_path`` (when given) into study ``study_uid`` of the storage, all
    or nothing (module docstring).

    Raises:
        InsufficientStorageError: the storage volume is full or read-only; nothing of the output is kept.
        OutputError: an instance could not be stored, or ``folder`` holds none (the message says why).
    """
    layout = Layout(settings.storage_dir)
    paths = sorted(folder.glob("*.dcm"))
    others = sorted(uncertainty.glob("*.dcm")) if uncertainty is not None else []
    files = _spool_all([*paths, *others, *([sr_path] if sr_path is not None else [])], layout.tmp)
    try:
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
    refusal = _refusal(report, folder, bool(paths))
    if refusal is not None:
        remove_stored(settings=settings, report=report)
        raise refusal
    return report
