"""A scanner for the storage SCP tests: pynetdicom's AE as the SCU, the gateway's SCP on a loopback port, and
small PET studies written by the simulator (as ``tests.workers.builders.small_study``, without its torch import)."""

from __future__ import annotations

import socket
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    PositronEmissionTomographyImageStorage,
)
from pynetdicom import AE
from pynetdicom.association import Association

from core.settings import Settings
from imaging.simulation.export import write_study
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import StudyRequest, simulate_study
from service.main import create_app
from tests.service.job_helpers import RecordingQueue
from tests.workers.processes import free_port

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

__all__ = [
    "CALLING",
    "ScpApp",
    "association",
    "running_gateway",
    "send",
    "simulated_series",
    "wait_for",
]

CALLING = "SCANNER"
VERIFICATION = "1.2.840.10008.1.1"
_SYNTAXES = [ImplicitVRLittleEndian, ExplicitVRLittleEndian]
SHAPE = (12, 48, 48)
"""Voxels (z, y, x) of the simulated study, as ``tests.workers.builders.SMALL_SHAPE``."""
SPACING_MM = (4.0, 10.0, 10.0)
_T = TypeVar("_T")


@dataclass(frozen=True)
class ScpApp:
    """A running gateway whose SCP listens on ``port`` (127.0.0.1), its jobs going to ``queue``."""

    client: TestClient
    settings: Settings
    queue: RecordingQueue

    @property
    def port(self) -> int:
        assert self.settings.dimse_port is not None
        return self.settings.dimse_port


@contextmanager
def running_gateway(*, storage: Path, **settings: Any) -> Iterator[ScpApp]:
    """The gateway (anonymous HTTP) with its SCP on a free loopback port; ``settings`` override the rest."""
    values: dict[str, Any] = {"storage_dir": storage, "allow_anonymous": True, "dimse_host": "127.0.0.1"}
    config = Settings(**{**values, "dimse_port": free_port(), **settings})
    queue = RecordingQueue()
    with TestClient(create_app(settings=config, job_queue=queue)) as client:
        yield ScpApp(client=client, settings=config, queue=queue)


def scanner_ae(*, calling: str = CALLING) -> AE:
    """An SCU proposing Verification, PET and CT Image Storage in Implicit and in Explicit VR Little Endian (one
    context each, as scanners do, so that a file is sent in its own transfer syntax)."""
    ae = AE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    ae.add_requested_context(VERIFICATION)
    for sop_class in (PositronEmissionTomographyImageStorage, CTImageStorage):
        for syntax in _SYNTAXES:
            ae.add_requested_context(sop_class, syntax)
    return ae


@contextmanager
def association(*, port: int, calling: str = CALLING, called: str = "PETIQ") -> Iterator[Association]:
    """An association from ``calling`` to ``called`` on 127.0.0.1:``port``, released at the end if still up.

    Its socket gets TCP_NODELAY, as DCMTK-based senders set by default: pynetdicom does not, and Nagle's
    algorithm then waits for the receiver's delayed ACK (40 ms on Linux) at the end of every data set."""
    assoc = scanner_ae(calling=calling).associate("127.0.0.1", port, ae_title=called)
    connection = assoc.dul.socket.socket if assoc.dul.socket is not None else None
    if assoc.is_established and connection is not None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield assoc
    finally:
        if assoc.is_established:
            assoc.release()


def send(assoc: Association, items: Sequence[Dataset | Path]) -> list[Dataset]:
    """C-STORE each item in order; the response statuses (an empty Dataset when none came)."""
    return [assoc.send_c_store(item) for item in items]


def simulated_series(*, directory: Path, seed: int = 3, split: bool = False) -> dict[str, list[Path]]:
    """A small simulated torso study's files by series folder name (full count, and ``-split-a``/``-split-b``
    with ``split``), each list in slice order."""
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=seed, shape=SHAPE, spacing_mm=SPACING_MM)
    request = StudyRequest(kind=PhantomKind.TORSO, seed=seed, levels=(0.05,), split=split)
    write_study(study=simulate_study(request=request, phantom=phantom), directory=directory)
    folders = sorted({path.parent for path in directory.glob("r00/*/*.dcm")})
    return {folder.name: sorted(folder.glob("*.dcm")) for folder in folders}


def read(path: Path) -> Dataset:
    """The file at ``path``, headers only."""
    return dcmread(path, stop_before_pixels=True)


def wait_for(probe: Callable[[], _T], *, timeout_s: float = 10.0) -> _T:
    """``probe()`` once it is truthy (the end of an association is reported in a worker thread), polling every
    20 ms; its last value after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return value
