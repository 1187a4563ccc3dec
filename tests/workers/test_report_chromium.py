"""The report page in a real browser: Debian's headless Chromium loads the signed report link of a job that ran
to success on a gateway (uvicorn on loopback, embedded Celery worker) and the DOM it built and a screenshot are
checked: every section, the four images (PNG data URIs of the series' grid), the scores and QC tables, no
Content-Security-Policy violation, and a page that is not blank."""

from __future__ import annotations

import io
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import uvicorn

from core.jobs.queue import CeleryJobQueue
from core.settings import Settings
from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from service.main import create_app
from tests.service.report_dom import parse_page, png_of
from tests.workers.http_helpers import AUTH, poll_job, stow_body
from tests.workers.processes import free_port
from workers.celery_app import make_celery
from workers.embedded import EmbeddedWorker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
)


@contextmanager
def _gateway_with_worker(settings: Settings) -> Iterator[str]:
    """The gateway of ``settings`` under uvicorn on a loopback port, with an embedded worker; yields its URL."""
    celery = make_celery(settings=settings)
    worker = EmbeddedWorker(app=celery)
    worker.start()
    port = free_port()
    app = create_app(settings=settings, job_queue=CeleryJobQueue(celery))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        assert worker.stop()


def _chromium(*arguments: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def _succeeded_job(url: str, series_dir: Path) -> dict[str, Any]:
    body, headers = stow_body(series_dir)
    assert requests.post(f"{url}/dicomweb/studies", data=body, headers=headers, timeout=30).status_code == 200
    study = read_pet_series(source=series_dir).volume.uids.study_uid
    (queued,) = requests.get(f"{url}/v1/jobs", params={"study_uid": study}, headers=AUTH, timeout=10).json()
    job = poll_job(lambda: requests.get(f"{url}/v1/jobs/{queued['id']}", headers=AUTH, timeout=10).json())
    assert job["status"] == "succeeded", job["error"]
    return job


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_renders_the_signed_report(
    tmp_path: Path, random_bundle_info: BundleInfo, small_series_dir: Path
) -> None:
    key = AUTH["Authorization"].removeprefix("Bearer ")
    settings = Settings(
        storage_dir=tmp_path / "storage",
        api_keys=frozenset({key}),
        denoiser_weights=random_bundle_info.directory,
        default_adapt="off",
    )
    z, y, x = read_pet_series(source=small_series_dir).volume.shape
    with _gateway_with_worker(settings) as url:
        job = _succeeded_job(url, small_series_dir)
        link = requests.get(f"{url}/v1/jobs/{job['id']}/report-link", headers=AUTH, timeout=10).json()["url"]
        assert requests.get(link.split("?")[0], timeout=10).status_code == 401  # the browser has no key
        dom = _chromium("--dump-dom", link, profile=tmp_path / "profile-dom")
        shot = tmp_path / "report.png"
        screen = _chromium("--window-size=1000,1400", f"--screenshot={shot}", link, profile=tmp_path / "profile-shot")
    for log in (dom.stderr, screen.stderr):
        assert "Content Security Policy" not in log and "Refused to" not in log, log
    page = parse_page(dom.stdout)
    assert {"header", "images", "scores", "calibration-note", "qc", "provenance", "timings"} <= page.ids.keys()
    shapes = {image["id"]: png_of(image["src"]).shape for image in page.images}
    assert shapes == {"axial-input": (y, x), "axial-output": (y, x), "mip-input": (z, x), "mip-output": (z, x)}
    assert all(image["alt"] for image in page.images)
    scores = page.tables["scores-table"]
    assert [row[0] for row in scores[1:]] == [
        "Global quality rating (GQR)",
        "Pathology recognisable (PR)",
        "Diagnostic confidence (DC)",
    ]
    qc = {row[0]: row[1:] for row in page.tables["qc-table"]}
    assert float(qc["Noise CoV in a uniform region (%)"][0]) > 0 and job["id"] in page.text["header"]
    _assert_not_blank(shot)


def _assert_not_blank(path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(io.BytesIO(path.read_bytes())) as screenshot:
        grey = np.asarray(screenshot.convert("L"), dtype=np.float64)
    assert grey.shape == (1400, 1000)
    assert grey.std() > 10 and len(np.unique(grey)) > 64  # text, tables and the grey-level images
