"""A scripted DICOM storage SCP for the C-STORE tests: pynetdicom on a free loopback port, in threads.

It records each C-STORE it receives (SOP class, SOP instance, the transfer syntax of the accepted context, the
calling AE title) and answers from a script keyed by the request's position (1 = the first C-STORE it
receives): a status, optionally with an Error Comment, or a delay before a success; 0x0000 otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, evt
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event
from pynetdicom.presentation import PresentationContext, StoragePresentationContexts, build_context

from core.ae import DimseDestination
from service.dimse.server import shut_down

__all__ = ["FakeScp", "Reply", "Stored", "storage_contexts", "storage_scp"]

AE_TITLE = "FAKEPACS"


@dataclass(frozen=True)
class Reply:
    """A scripted answer: ``status`` with ``comment`` (Error Comment), after ``delay_s`` seconds."""

    status: int = 0x0000
    comment: str | None = None
    delay_s: float = 0.0


@dataclass(frozen=True)
class Stored:
    """One C-STORE received."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: UID
    calling_ae_title: str


@dataclass
class FakeScp:
    """The SCP's script (request number → reply) and what it received (thread-safe)."""

    script: dict[int, Reply] = field(default_factory=dict)
    received: list[Stored] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: Event) -> Dataset:
        request = cast(C_STORE, event.request)
        with self.lock:
            self.received.append(
                Stored(
                    sop_class_uid=str(request.AffectedSOPClassUID),
                    sop_instance_uid=str(request.AffectedSOPInstanceUID),
                    transfer_syntax=UID(str(event.context.transfer_syntax)),
                    calling_ae_title=str(event.assoc.requestor.ae_title),
                )
            )
            reply = self.script.get(len(self.received), Reply())
        time.sleep(reply.delay_s)
        answer = Dataset()
        answer.Status = reply.status
        if reply.comment is not None:
            answer.ErrorComment = reply.comment
        return answer


def storage_contexts(
    *, syntaxes: tuple[UID, ...] = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
) -> list[PresentationContext]:
    """Every storage SOP class pynetdicom knows, with ``syntaxes``."""
    return [build_context(str(context.abstract_syntax), list(syntaxes)) for context in StoragePresentationContexts]


@contextmanager
def storage_scp(
    scp: FakeScp,
    *,
    contexts: list[PresentationContext] | None = None,
    require_called_aet: bool = False,
    maximum_associations: int = 10,
    port: int = 0,
) -> Iterator[DimseDestination]:
    """``scp`` listening on loopback ``port`` (a free one by default), AE title ``FAKEPACS``, with ``contexts``
    (every storage SOP class in Explicit and Implicit VR Little Endian by default); yields its address, stops it
    after."""
    entity = AE(ae_title=AE_TITLE)
    entity.supported_contexts = contexts if contexts is not None else storage_contexts()
    entity.require_called_aet = require_called_aet
    entity.maximum_associations = maximum_associations
    entity.network_timeout = 5
    server = entity.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, scp.handle)])
    assert server is not None
    try:
        yield DimseDestination(ae_title=AE_TITLE, host="127.0.0.1", port=int(server.server_address[1]))
    finally:
        shut_down(entity)
