"""C-STORE response statuses of the storage SCP: the store path's outcome as a PS3.4/PS3.7 status.

Each received instance goes through the STOW-RS store path (:func:`core.storage.store.store_instances`), whose
refusals carry a PS3.18 Failure Reason (:class:`~core.storage.status.FailureReason`). Most are C-STORE statuses
as they are; two are not statuses a C-STORE response may carry (PS3.7 §9.1.1.1.9 lists the general statuses of
C-STORE; PS3.4 Annex B.2.3 adds A7xx, A9xx, Cxxx and the warnings) and are mapped:

======================  ==========  ==========================================================================
Failure Reason          C-STORE     why
======================  ==========  ==========================================================================
(stored, or identical)  0x0000      Success
0x0122 SOP Class        0x0122      Refused: SOP Class not supported (general status of C-STORE)
0xA700 out of resources 0xA700      Refused: Out of Resources (volume full or read-only, size limits, byte limit)
0xA900, 0xA901          same        Error: Data Set does not match SOP Class (A9xx)
0xC000, 0xC122          same        Error: Cannot understand (Cxxx)
0x0110 processing       0xA700      an I/O error writing the instance: not a C-STORE status; Refused: Out of
                                    Resources says "not stored, try again later", as for a full volume
0x0111 duplicate        0xA900      the SOPInstanceUID is stored with other content: not a C-STORE status (it is
                                    N-CREATE's); an error in the Data Set sent, not to be retried as it is
======================  ==========  ==========================================================================

A failure's response carries the outcome's message as Error Comment (0000,0902): at most 64 characters of the
default repertoire (VR LO), no backslash. The store path's messages name attributes, UIDs and limits, never a
patient attribute's value and never a path.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from core.storage.outcomes import InstanceOutcome
from core.storage.status import FailureReason

__all__ = ["SUCCESS", "cstore_status", "error_comment", "is_cstore_status", "status_dataset", "status_label"]

SUCCESS = 0x0000
_COMMENT_CHARS = 64
_MAPPED = {
    FailureReason.PROCESSING_FAILURE: int(FailureReason.OUT_OF_RESOURCES),
    FailureReason.DUPLICATE_SOP_INSTANCE: int(FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS),
}
_GENERAL = frozenset({0x0000, 0x0117, 0x0122, 0x0124, 0x0210, 0x0211, 0x0212})
"""The general statuses (PS3.7 Annex C) PS3.7 §9.1.1.1.9 lists for C-STORE."""


def is_cstore_status(code: int) -> bool:
    """Whether ``code`` is a failure or success status a C-STORE response may carry (module docstring)."""
    return code in _GENERAL or 0xA700 <= code <= 0xA7FF or 0xA900 <= code <= 0xA9FF or 0xC000 <= code <= 0xCFFF


def cstore_status(outcome: InstanceOutcome) -> int:
    """The C-STORE status of one store outcome (module docstring's table)."""
    if outcome.failure is None:
        return SUCCESS
    return _MAPPED.get(outcome.failure, int(outcome.failure))


def error_comment(message: str) -> str:
    """``message`` as an Error Comment: printable ASCII, no backslash, at most 64 characters ("..." when cut)."""
    text = "".join(char if " " <= char <= "~" and char != "\\" else " " for char in message)
    text = " ".join(text.split())
    return text if len(text) <= _COMMENT_CHARS else text[: _COMMENT_CHARS - 3].rstrip() + "..."


def status_dataset(*, status: int, message: str = "") -> Dataset:
    """The status a C-STORE handler returns: Status (0000,0900) and, for a failure with a message, Error
    Comment (0000,0902)."""
    dataset = Dataset()
    dataset.Status = status
    if status != SUCCESS and message:
        dataset.ErrorComment = error_comment(message)
    return dataset


def status_label(status: int) -> str:
    """``status`` as the metrics and logs write it: ``0x0000``, ``0xA700``."""
    return f"0x{status:04X}"
