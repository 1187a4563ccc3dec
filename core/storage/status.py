"""Failure Reason (0008,1197) values of the Store Instances Response, as petiq uses them.

DICOM PS3.18 §I.2.2, Table I.2-2 "Store Instances Response Failure Reason Values" defines A7xx (refused: out of
resources), A9xx (error: Data Set does not match SOP Class), Cxxx (error: cannot understand), C122 (referenced
Transfer Syntax not supported), 0110 (processing failure) and 0122 (referenced SOP Class not supported), and lets
an implementation use additional codes ("the single most appropriate code shall be used"). petiq adds two, listed
here as its conformance statement:

- 0x0111 "Duplicate SOP Instance" (the PS3.7 Annex C general status of that name): the SOPInstanceUID is already
  stored with different content. The same UID with identical bytes is not a failure: it is reported as stored.
- 0xA901 "Study Instance UID mismatch": the instance was posted to ``/studies/{study}`` but belongs to another
  study. It sits in the A9xx class and is the value the Azure DICOM service documents for the same case, so
  clients that already know it recognise it.

PS3.18 §10.5.3.1 (Table 10.5.3-1) gives the HTTP status of the whole response: 200 all stored, 202 some stored
and some failed, 409 none stored, 400 bad syntax, 415 unsupported media type; the table lists "some common
status codes" and defers to §8.5 for others. petiq answers 507 Insufficient Storage (RFC 4918 §11.5, a
condition "considered to be temporary") instead of 409 when nothing was stored and at least one instance was
refused because the storage volume is full or read-only (0xA700, :mod:`core.storage.faults`): the request was
fine, so a client should send it again later rather than fix it. Some stored and some refused so stays 202.
"""

from __future__ import annotations

import enum

__all__ = ["FailureReason"]


class FailureReason(enum.IntEnum):
    """The Failure Reason values petiq reports, one per kind of refusal."""

    PROCESSING_FAILURE = 0x0110
    """The instance could not be written for an I/O error other than a full or read-only volume (e.g. EIO)."""
    DUPLICATE_SOP_INSTANCE = 0x0111
    """The SOPInstanceUID is stored already with different bytes."""
    SOP_CLASS_NOT_SUPPORTED = 0x0122
    """Not a PET Image Storage instance: petiq stores only what it processes (CT, SR, Enhanced PET are refused)."""
    OUT_OF_RESOURCES = 0xA700
    """The storage volume is full or read-only (ENOSPC, EDQUOT, EROFS, EACCES: nothing of the instance is kept),
    the series reached ``max_instances_per_series`` while this request was being stored, or the instance is
    beyond petiq's size limits (:mod:`imaging.dicom.limits`: Rows, Columns, image bytes, a Deflated stream that
    inflates too far, encapsulated data far larger than its image)."""
    DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
    """A required attribute is missing or malformed (UIDs, Modality, geometry, Pixel Data)."""
    STUDY_UID_MISMATCH = 0xA901
    """Posted to ``/studies/{study}`` but the instance's StudyInstanceUID differs."""
    CANNOT_UNDERSTAND = 0xC000
    """The part is not a DICOM PS3.10 file (or is truncated)."""
    TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122
    """A transfer syntax that is lossy, or that no installed decoder handles (``STORABLE_TRANSFER_SYNTAXES``)."""
