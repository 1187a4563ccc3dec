"""The storage SCP the gateway runs beside its HTTP routes when ``dimse_port`` is set (``petiq serve``, embedded
and distributed alike: the gateway only stores and starts jobs, as for STOW-RS).

:func:`running_scp` starts it in the app's lifespan, listening in pynetdicom's own threads
(``AE.start_server(block=False)``), and stops it when the lifespan exits: no new association is taken, those in
progress are aborted, and the ends already submitted are reported before it returns. A port that cannot be bound
fails the start-up (like the HTTP port). The AE answers to ``dimse_ae_title`` only (``require_called_aet``), takes
at most ``dimse_max_associations`` associations at once (``AE.maximum_associations``) and negotiates the contexts
of :mod:`service.dimse.contexts`; the handlers (:mod:`service.dimse.handlers`) do the rest.

pynetdicom's loggers are set to WARNING: at INFO and DEBUG they print every PDU and the data sets received, with
their patient attributes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pynetdicom import AE, evt
from pynetdicom.transport import ThreadedAssociationServer
from starlette.concurrency import run_in_threadpool

from core.settings import Settings
from service.dimse import handlers
from service.dimse.contexts import scp_contexts
from service.dimse.ending import AssociationEnder
from service.dimse.handlers import Scp
from service.dimse.session import Sessions
from service.dimse.stats import DimseStats
from service.hooks import SeriesStoredHooks

__all__ = ["PYNETDICOM_LOGGER", "StorageScp", "running_scp", "shut_down"]

PYNETDICOM_LOGGER = "pynetdicom"
_AWAITING_TRANSPORT_CLOSE = "Sta13"
_LOG = logging.getLogger(__name__)
_HANDLERS = (
    (evt.EVT_REQUESTED, handlers.handle_requested),
    (evt.EVT_REJECTED, handlers.handle_rejected),
    (evt.EVT_ACCEPTED, handlers.handle_accepted),
    (evt.EVT_PDU_RECV, handlers.handle_pdu_received),
    (evt.EVT_C_STORE, handlers.handle_store),
    (evt.EVT_RELEASED, handlers.handle_released),
    (evt.EVT_ABORTED, handlers.handle_aborted),
    (evt.EVT_CONN_CLOSE, handlers.handle_closed),
)


@dataclass
class StorageScp:
    """The storage SCP of ``settings`` (module docstring); its ends go to ``hooks``, its counts to ``stats``."""

    settings: Settings = field(repr=False)
    hooks: SeriesStoredHooks
    stats: DimseStats
    _ae: AE | None = field(default=None, repr=False)
    _server: ThreadedAssociationServer | None = field(default=None, repr=False)
    _ender: AssociationEnder | None = field(default=None, repr=False)

    @property
    def detail(self) -> str:
        """``AE PETIQ on 0.0.0.0:11112``: the AE title and the address it listens on."""
        return f"AE {self.settings.dimse_ae_title} on {self.settings.dimse_host}:{self.settings.dimse_port}"

    @property
    def listening(self) -> bool:
        """Whether the server was started, not stopped, and its socket is open."""
        server = self._server
        return server is not None and server.socket is not None and server.socket.fileno() >= 0

    def _make_ae(self) -> AE:
        ae = AE(ae_title=self.settings.dimse_ae_title)
        ae.require_called_aet = True
        ae.maximum_associations = self.settings.dimse_max_associations
        ae.supported_contexts = scp_contexts()
        return ae

    def start(self) -> None:
        """Listen on ``dimse_host:dimse_port``; OSError when the port cannot be bound."""
        if self.settings.dimse_port is None:
            raise ValueError("Setting 'dimse_port' should be set to start the storage SCP.")
        logging.getLogger(PYNETDICOM_LOGGER).setLevel(logging.WARNING)
        ender = AssociationEnder(settings=self.settings, hooks=self.hooks, stats=self.stats)
        scp = Scp(
            settings=self.settings,
            stats=self.stats,
            sessions=Sessions(max_bytes=self.settings.max_request_bytes),
            ender=ender,
        )
        ae = self._make_ae()
        address = (self.settings.dimse_host, self.settings.dimse_port)
        server = ae.start_server(
            address, block=False, evt_handlers=[(event, handler, [scp]) for event, handler in _HANDLERS]
        )
        self._ae, self._server, self._ender = ae, server, ender
        _LOG.info("DICOM storage SCP listening: %s", self.detail)

    def stop(self) -> None:
        """Stop listening, abort the associations in progress, and report the ends submitted (module docstring)."""
        ae, ender = self._ae, self._ender
        self._ae = self._server = self._ender = None
        if ae is not None:
            shut_down(ae)
        if ender is not None:
            ender.close()
        _LOG.info("DICOM storage SCP stopped")


def shut_down(ae: AE, *, within_s: float = 5.0) -> None:
    """``ae.shutdown()`` (abort every association, close the servers) once no association of ``ae`` awaits its
    transport close (Sta13: just after an A-ASSOCIATE-RJ or A-RELEASE-RP), waiting at most ``within_s`` seconds.

    pynetdicom leaves Sta13 on its own within a reactor loop or two (it closes the connection once nothing more is
    to be read), but an abort requested in Sta13 is not a valid event there: its reactor thread raises, an
    unhandled thread exception with a traceback in the log.
    """
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and any(
        association.dul.state_machine.current_state == _AWAITING_TRANSPORT_CLOSE
        for association in ae.active_associations
    ):
        time.sleep(0.005)
    ae.shutdown()


@asynccontextmanager
async def running_scp(
    *, settings: Settings, hooks: SeriesStoredHooks, stats: DimseStats
) -> AsyncIterator[StorageScp | None]:
    """The storage SCP running while the block runs (None, and nothing started, when ``dimse_port`` is unset)."""
    if settings.dimse_port is None:
        yield None
        return
    scp = StorageScp(settings=settings, hooks=hooks, stats=stats)
    await run_in_threadpool(scp.start)
    try:
        yield scp
    finally:
        await run_in_threadpool(scp.stop)
