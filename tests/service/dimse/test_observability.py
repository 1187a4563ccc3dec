"""``/readyz`` and ``/metrics`` show the SCP when it is configured (and only then); a port that cannot be bound
fails the start-up; pynetdicom's loggers stay at WARNING; no patient attribute reaches the logs."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydicom import dcmread

from core.settings import Settings
from service.dimse.server import PYNETDICOM_LOGGER, StorageScp
from service.dimse.stats import DimseStats
from service.main import create_app
from service.readiness import check_dimse
from tests.service.conftest import TestClient
from tests.service.dimse.scanner import association, running_gateway, send, simulated_series
from tests.service.helpers import as_ct
from tests.service.job_helpers import RecordingQueue
from tests.workers.processes import free_port

pytestmark = pytest.mark.slow  # each starts the gateway and its SCP on a loopback port


def _samples(text: str, name: str) -> dict[str, float]:
    (family,) = (family for family in text_string_to_metric_families(text) if family.name == name)
    return {next(iter(sample.labels.values())): sample.value for sample in family.samples if sample.labels}


def test_readyz_and_metrics_show_the_scp(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    ct = as_ct(dcmread(files[0]))
    with running_gateway(storage=tmp_path / "storage") as app:
        check = app.client.get("/readyz").json()["checks"]["dimse"]
        assert check == {"ok": True, "detail": f"AE PETIQ on 127.0.0.1:{app.port}"}
        with caplog.at_level(logging.DEBUG), association(port=app.port) as assoc:
            send(assoc, [*files, ct])
        metrics = app.client.get("/metrics").text
        assert logging.getLogger(PYNETDICOM_LOGGER).getEffectiveLevel() == logging.WARNING
    assert _samples(metrics, "petiq_dimse_associations") == {"accepted": 1.0, "rejected": 0.0, "aborted": 0.0}
    assert _samples(metrics, "petiq_dimse_cstore") == {"0x0000": float(len(files)), "0x0122": 1.0}
    patient = dcmread(files[0])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "pynetdicom" not in {record.name.split(".")[0] for record in caplog.records if record.levelno < 30}
    assert str(patient.PatientName) not in logged and str(patient.PatientID) not in logged


def test_no_scp_no_check_and_no_metrics(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "storage", allow_anonymous=True)
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        assert "dimse" not in client.get("/readyz").json()["checks"]  # 200 or 503 (weights): checks either way
        assert "petiq_dimse" not in client.get("/metrics").text
        assert client.app.state.dimse_scp is None  # type: ignore[attr-defined]


def test_a_stopped_scp_is_not_ready(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "storage", dimse_port=free_port(), dimse_host="127.0.0.1")
    scp = StorageScp(settings=settings, hooks=[], stats=DimseStats())
    assert check_dimse(settings=settings, scp=None).ok is False
    scp.start()
    assert check_dimse(settings=settings, scp=scp).ok and scp.listening
    scp.stop()
    check = check_dimse(settings=settings, scp=scp)
    assert (check.ok, check.detail) == (False, f"not listening: AE PETIQ on 127.0.0.1:{settings.dimse_port}")


def test_a_port_in_use_fails_the_start_up(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(storage_dir=tmp_path / "storage", dimse_port=port, dimse_host="127.0.0.1")
        with pytest.raises(OSError), TestClient(create_app(settings=settings, job_queue=RecordingQueue())):
            pass
