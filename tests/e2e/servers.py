"""Real servers for the end-to-end tests: Debian's Orthanc with its DICOMweb plugin, and ``petiq serve``.

Both listen on loopback only, keep their data under the test's temporary folder and are stopped (and reaped)
when their context ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.workers.processes import ROOT

__all__ = ["DICOMWEB_PLUGIN", "ORTHANC", "ORTHANC_AET", "orthanc_config", "orthanc_server", "petiq_serve"]

ORTHANC = Path("/usr/sbin/Orthanc")
ORTHANC_AET = "ORTHANC"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def orthanc_config(
    *,
    folder: Path,
    http_port: int,
    petiq_url: str,
    petiq_key: str,
    dicom_port: int | None = None,
    petiq_dimse_port: int | None = None,
) -> dict[str, object]:
    """An Orthanc configuration: HTTP on loopback ``http_port``, no authentication, storage in ``folder``, the
    DICOMweb plugin with a server entry ``petiq`` (``petiq_url``, its bearer key). No DICOM port, unless
    ``dicom_port`` is given: then its storage SCP listens there as AE title ``ORTHANC`` (Orthanc 1.10 binds
    every interface) and stores from any calling AE title, whatever called AE title it is asked for; with
    ``petiq_dimse_port``, petiq's storage SCP (AE title ``PETIQ`` on loopback) is its modality ``petiq``, so
    ``POST /modalities/petiq/store`` C-STOREs a study to petiq as a PACS's DICOM node would."""
    dicom: dict[str, object] = {"DicomServerEnabled": False}
    if dicom_port is not None:
        dicom = {
            "DicomServerEnabled": True,
            "DicomPort": dicom_port,
            "DicomAet": ORTHANC_AET,
            "DicomCheckCalledAet": False,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowEcho": True,
        }
    if petiq_dimse_port is not None:
        dicom["DicomModalities"] = {"petiq": ["PETIQ", "127.0.0.1", petiq_dimse_port]}
    return {
        "Name": "petiq-e2e",
        "HttpPort": http_port,
        **dicom,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {
            "Enable": True,
            "Root": "/dicom-web/",
            "Servers": {"petiq": {"Url": petiq_url, "HttpHeaders": {"Authorization": f"Bearer {petiq_key}"}}},
        },
    }


def _wait_http(*, url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


@contextmanager
def orthanc_server(*, config: dict[str, object], folder: Path) -> Iterator[str]:
    """Orthanc running ``config`` (written to ``folder``); yields its base URL."""
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config, indent=1))
    log = folder / "orthanc.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(ORTHANC), str(path)], stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{config['HttpPort']}"
    try:
        _wait_http(url=f"{url}/system", process=process, log=log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def petiq_serve(*, port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """``petiq serve`` (embedded mode) on loopback ``port`` with environment ``env``; yields its base URL.
    Stopped with SIGINT, as an operator would; a non-zero exit fails the test."""
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env={**base, **env}, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url=f"{url}/healthz", process=process, log=log)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log.read_text()
