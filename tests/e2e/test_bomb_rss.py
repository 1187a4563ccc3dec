"""The real gateway (``petiq serve``) receives a 3 MB Deflated file that inflates to 3 GiB: it refuses it and its
peak resident memory rises by less than ``RSS_BOUND_BYTES`` (before bounded inflation it rose by ~6 GB)."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
import requests

from core.storage import FailureReason
from imaging.dicom.limits import MAX_INFLATED_BYTES
from tests.e2e.servers import petiq_serve
from tests.imaging.dicom.bombs import deflated_bomb
from tests.service.helpers import RELATED, pet_datasets, pet_parts, related_body
from tests.workers.processes import free_port

KEY = "rss-key"
INFLATED_BYTES = 3 * 1024**3 - 1024
RSS_BOUND_BYTES = 200 * 1024**2
"""The stated bound: the bounded inflation holds MAX_INFLATED_BYTES (72 MiB) plus one read chunk at most."""


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def _gateway_pid(port: int) -> int:
    for child in psutil.Process().children(recursive=True):
        if "serve" in child.cmdline() and str(port) in child.cmdline():
            return child.pid
    raise AssertionError("petiq serve process not found")


def _post(url: str, parts: list[bytes]) -> requests.Response:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": RELATED}
    return requests.post(f"{url}/dicomweb/studies", data=related_body(parts), headers=headers, timeout=120)


@pytest.mark.slow
@pytest.mark.e2e
def test_gateway_peak_rss_stays_bounded_on_a_3_gib_deflate_bomb(tmp_path: Path) -> None:
    assert RSS_BOUND_BYTES > MAX_INFLATED_BYTES
    parts = pet_parts(seed=90, n_slices=2, size=128)
    bomb = deflated_bomb(dataset=pet_datasets(seed=90, n_slices=2, size=128)[1], inflated_bytes=INFLATED_BYTES)
    assert len(bomb) < 4 * 1024**2
    env = {"PETIQ_STORAGE_DIR": str(tmp_path / "storage"), "PETIQ_API_KEYS": KEY, "PETIQ_DEFAULT_ADAPT": "off"}
    port = free_port()
    with petiq_serve(port=port, env=env, log=tmp_path / "petiq.log") as url:
        pid = _gateway_pid(port)
        assert _post(url, parts[:1]).status_code == 200  # warm up: the STOW-RS path's imports are loaded
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        before = _status_kib(pid, "VmRSS") * 1024
        response = _post(url, [bomb])
        peak = _status_kib(pid, "VmHWM") * 1024
        after = _status_kib(pid, "VmRSS") * 1024
    print(f"gateway RSS before {before / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB, after {after / 2**20:.0f} MiB")
    assert response.status_code == 409
    reason = response.json()["00081198"]["Value"][0]["00081197"]["Value"][0]
    assert reason == FailureReason.OUT_OF_RESOURCES
    assert peak - before < RSS_BOUND_BYTES
