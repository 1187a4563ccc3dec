"""One received C-STORE through the STOW-RS store path: spooled as a PS3.10 file, then ``store_instances``.

The file is the File Meta Information pynetdicom derives from the request (Media Storage SOP Class and Instance
UIDs from the command, the transfer syntax of the presentation context) with Source Application Entity Title
(0002,0016) set to the calling AE title, followed by the data set exactly as the sender encoded it, never
decoded here. It is spooled into the storage layout's ``tmp/`` (same volume: storing is a rename), hashed on the
way, and handed to :func:`~core.storage.store.store_instances` with the STOW-RS SOP Classes, so it is validated
and stored, or refused with a Failure Reason, exactly as a STOW-RS part (a data set whose SOPInstanceUID differs
from the command's fails the Media Storage SOP Instance UID check: 0xA900).

Errors outside the store path's outcomes become outcomes here, so the handler always has one to answer with:
the volume full or read-only while spooling, or a series over ``max_instances_per_series``: 0xA700 with the
error's message; any other I/O error (spooling, a corrupt series index): 0xA700, "could not be written".
"""

from __future__ import annotations

import logging
from io import BytesIO

from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info

from core.errors import TooLargeError
from core.logs import safe_error
from core.settings import Settings
from core.storage.faults import storage_fault
from core.storage.layout import Layout, is_uid
from core.storage.outcomes import InstanceOutcome, StoreReport
from core.storage.spool import SpooledFile, SpoolWriter, discard
from core.storage.status import FailureReason
from core.storage.store import store_instances
from imaging.errors import OutputError

__all__ = ["CHUNK_BYTES", "failed_report", "part10_header", "store_received"]

CHUNK_BYTES = 1024**2
"""Bytes of the received data set written to the spool file at a time."""

_LOG = logging.getLogger(__name__)
_PREAMBLE = b"\x00" * 128 + b"DICM"


def part10_header(*, file_meta: FileMetaDataset, calling_ae: str) -> bytes:
    """Preamble, ``DICM`` and the encoded File Meta Information (group length computed), naming ``calling_ae``
    as Source Application Entity Title when it is one."""
    meta = FileMetaDataset(file_meta)
    if calling_ae:
        meta.SourceApplicationEntityTitle = calling_ae
    buffer = DicomBytesIO()
    write_file_meta_info(buffer, meta, enforce_standard=True)
    return _PREAMBLE + buffer.getvalue()


def _spool(*, layout: Layout, header: bytes, data: BytesIO) -> SpooledFile:
    writer = SpoolWriter(directory=layout.tmp, content_type="application/dicom")
    view = data.getbuffer()
    try:
        writer.write(header)
        for start in range(0, len(view), CHUNK_BYTES):
            writer.write(bytes(view[start : start + CHUNK_BYTES]))
        return writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        view.release()


def failed_report(*, sop_instance_uid: str | None, reason: FailureReason, message: str) -> StoreReport:
    """The report of one instance refused before the store path could judge it."""
    uid = sop_instance_uid if is_uid(sop_instance_uid) else None
    outcome = InstanceOutcome(sop_instance_uid=uid, sop_class_uid=None, failure=reason, message=message)
    return StoreReport(outcomes=(outcome,))


def _write_failed(error: Exception, *, sop_instance_uid: str) -> StoreReport:
    """0xA700 for an I/O error: the storage fault's message (full or read-only volume), else a generic one (the
    error, which may name a path, is logged)."""
    fault = storage_fault(error, action="The instance was not stored")
    if fault is None:
        _LOG.error("C-STORE of SOP instance %s could not be written: %s", sop_instance_uid, safe_error(error))
    message = fault.message if fault is not None else "The instance could not be written (storage I/O error)."
    return failed_report(sop_instance_uid=sop_instance_uid, reason=FailureReason.OUT_OF_RESOURCES, message=message)


def store_received(*, settings: Settings, header: bytes, data: BytesIO, sop_instance_uid: str) -> StoreReport:
    """Spool ``header`` (:func:`part10_header`) and the encoded data set ``data``, and store the file (module
    docstring); the report of its one instance. ``sop_instance_uid`` (the command's) names it in a failure
    that happens before the store path reads it. Never raises for storage faults, limits or I/O errors."""
    layout = Layout(settings.storage_dir)
    try:
        spooled = _spool(layout=layout, header=header, data=data)
    except OutputError as error:  # InsufficientStorageError included
        return _write_failed(error, sop_instance_uid=sop_instance_uid)
    try:
        return store_instances(
            root=layout.root,
            files=[spooled],
            study_uid=None,
            max_instances_per_series=settings.max_instances_per_series,
            split_pattern=settings.split_regex,
        )
    except TooLargeError as error:
        reason = FailureReason.OUT_OF_RESOURCES
        return failed_report(sop_instance_uid=sop_instance_uid, reason=reason, message=error.message)
    except (OutputError, OSError) as error:
        return _write_failed(error, sop_instance_uid=sop_instance_uid)
    finally:
        discard([spooled])
