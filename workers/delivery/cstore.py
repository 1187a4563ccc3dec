"""The C-STORE SCU (PS3.4 B, PS3.7 9.1.1) that forwards a job's DICOM files to a DICOM storage SCP, with pynetdicom.

One association with the destination (:mod:`.association`; calling AE title ``PETIQ_DIMSE_AE_TITLE``, called
AE title the destination's) proposes one presentation context per SOP class of the files, as stored plus the
Explicit/Implicit VR Little Endian fallbacks (:mod:`.dimse_files`, from the files' meta only); then each file is
sent from its path, in order, and each answer counted (:mod:`.tally`). Timeouts: ``forward_timeout_s`` for the
TCP connection, the association, each C-STORE answer and an idle network. Outcomes:

- every answer success (0x0000) or a warning (0xB000, 0xB006, 0xB007, …: stored, the warning recorded): sent;
- a failure status (0xA7xx, 0xA9xx, 0xCxxx, 0x0122, …, or a status no C-STORE answers with):
  :class:`DeliveryError` at once, naming the status, its meaning, the destination's Error Comment and the SOP
  Instance UID, with the instances stored before it; the association is released, the rest is not sent;
- the association rejected permanently (e.g. called or calling AE title not recognised), none of the SOP
  classes accepted, or a file that no accepted context can carry (a compressed syntax the destination does not
  take): :class:`DeliveryError` (a configuration to fix: retrying the same request would not help);
- no TCP connection (refused, unreachable, not resolved, timed out), the association rejected transiently (e.g.
  too many associations), no answer to the association request, the association aborted, no answer to a
  C-STORE within the timeout: :class:`DestinationUnavailableError`, retried with backoff. A retry sends every
  file to this destination again (a PACS keeps one copy per SOP Instance UID).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pynetdicom.association import Association

from core.ae import DimseDestination
from core.jobs.models import InstanceStatus
from workers.delivery.association import associated
from workers.delivery.dimse_files import StoredFile, presentation_contexts, read_stored
from workers.delivery.errors import DeliveryError, DestinationUnavailableError
from workers.delivery.statuses import instance_status, stored, succeeded
from workers.delivery.tally import Tally

__all__ = ["cstore_files"]

_MAX_MESSAGE_ID = 65535


def _unaccepted(*, association: Association, files: Sequence[StoredFile]) -> list[str]:
    """The SOP classes of ``files`` no accepted context carries."""
    accepted = {context.abstract_syntax for context in association.accepted_contexts}
    return list(dict.fromkeys(str(file.sop_class_uid.name) for file in files if file.sop_class_uid not in accepted))


def _stopped(*, destination: DimseDestination, file: StoredFile, timeout_s: float, stored: int) -> str:
    return (
        f"The C-STORE destination {destination} gave no valid answer for {file.sop_instance_uid} (none within "
        f"{timeout_s:g} s, or the association was aborted); {stored} instance(s) stored before it."
    )


def _refused(*, destination: DimseDestination, answer: InstanceStatus, tally: Tally) -> DeliveryError:
    comment = f" ({answer.comment})" if answer.comment else ""
    return DeliveryError(
        f"The C-STORE destination {destination} refused {answer.sop_instance_uid}: status {answer.status} "
        f"{answer.meaning}{comment}; {tally.stored} instance(s) stored before it.",
        instances_stored=tally.stored,
        check="cstore_status",
        tally=tally,
    )


def _store(
    *,
    association: Association,
    destination: DimseDestination,
    file: StoredFile,
    number: int,
    tally: Tally,
    timeout_s: float,
) -> None:
    """Send ``file`` (message ``number``) and count the answer.

    Raises:
        DeliveryError: a failure status, or no accepted context can carry the file.
        DestinationUnavailableError: no valid answer (a timeout, the association aborted).
    """
    try:
        answer = association.send_c_store(file.path, msg_id=(number - 1) % _MAX_MESSAGE_ID + 1)
    except ValueError as error:  # no accepted context for its SOP class and transfer syntax
        raise DeliveryError(
            f"The C-STORE destination {destination} cannot take {file.sop_instance_uid}: {error}.",
            instances_stored=tally.stored,
            check="presentation_context",
            tally=tally,
        ) from error
    if "Status" not in answer:
        message = _stopped(destination=destination, file=file, timeout_s=timeout_s, stored=tally.stored)
        raise DestinationUnavailableError(message, instances_stored=tally.stored, check="dimse", tally=tally)
    code = int(answer.Status)
    result = instance_status(answer=answer, sop_instance_uid=file.sop_instance_uid)
    tally.add(answer=result, stored=stored(code), success=succeeded(code))
    if not stored(code):
        raise _refused(destination=destination, answer=result, tally=tally)


def cstore_files(
    *, destination: DimseDestination, calling_ae_title: str, files: Sequence[Path], timeout_s: float
) -> Tally:
    """C-STORE ``files`` (DICOM Part 10) to ``destination`` over one association; the answers, every instance
    stored (module docstring).

    Raises:
        DeliveryError, DestinationUnavailableError: as the module docstring says; ``tally`` holds the answers
            before the error.
        OSError: a file could not be read.
    """
    stored_files = [read_stored(path=path) for path in files]
    contexts = presentation_contexts(files=stored_files)
    tally = Tally()
    with associated(
        destination=destination, calling_ae_title=calling_ae_title, contexts=contexts, timeout_s=timeout_s
    ) as association:
        missing = _unaccepted(association=association, files=stored_files)
        if missing:
            raise DeliveryError(
                f"The C-STORE destination {destination} does not accept {', '.join(missing)}; nothing was sent.",
                check="presentation_context",
                tally=tally,
            )
        for number, file in enumerate(stored_files, start=1):
            _store(
                association=association,
                destination=destination,
                file=file,
                number=number,
                tally=tally,
                timeout_s=timeout_s,
            )
    return tally
