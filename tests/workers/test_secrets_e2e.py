"""Secrets never printed, with real processes: ``petiq --debug serve`` (gateway only, uvicorn's access log on),
``petiq worker`` at DEBUG and ``redis-server --requirepass``, all configured with known secrets (API key, report
secret, forward auth, the broker URL's password, a job's own destination credentials).

The fault paths are driven — a job forwarded to a closed port (delivery fails), a bad key (401), a signed report
link fetched, an invalid job request carrying credentials (400), then Redis stopped: a STOW-RS (its job cannot be
enqueued), ``/readyz`` (503), ``/metrics``, a ``POST /v1/jobs`` — and every line the gateway and the worker wrote,
every response body and header, is searched for each secret: none is found. The report link's signature is
searched for in the logs too (the access log shows ``signature=REDACTED``). Which state a job shows while Redis is
down is left to the enqueue tests.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pydicom
import pytest
import requests

from models.bundle import BundleInfo
from tests.imaging.dicom.factories import to_bytes
from tests.service.helpers import BOUNDARY, RELATED, related_body, sibling_series
from tests.workers.http_helpers import poll_job
from tests.workers.processes import REDIS_SERVER, ROOT, free_port, kill_group, petiq_serve, redis_server, start_worker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_SERVER.is_file(), reason="redis-server is not installed"),
]

KEY = f"key-{secrets.token_hex(12)}"
REPORT_SECRET = f"report-{secrets.token_hex(12)}"
FORWARD_TOKEN = f"fwd-{secrets.token_hex(12)}"
JOB_TOKEN = f"job-{secrets.token_hex(12)}"
PASSWORD = f"pw-{secrets.token_hex(12)}"
SECRETS = {
    "api key": KEY,
    "report secret": REPORT_SECRET,
    "forward auth": FORWARD_TOKEN,
    "a job's forward auth": JOB_TOKEN,
    "broker password": PASSWORD,
}
AUTH = {"Authorization": f"Bearer {KEY}"}


def _env(*, storage: Path, weights: Path, broker: str, closed: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
        "PETIQ_STORAGE_DIR": str(storage),
        "PETIQ_DENOISER_WEIGHTS": str(weights),
        "PETIQ_DEFAULT_ADAPT": "off",
        "PETIQ_DEFAULT_SCORE": "false",
        "PETIQ_API_KEYS": f"{KEY},another-{secrets.token_hex(4)}",
        "PETIQ_REPORT_SECRET": REPORT_SECRET,
        "PETIQ_BROKER_URL": broker,
        "PETIQ_FORWARD_URL": closed,
        "PETIQ_FORWARD_AUTH": f"Bearer {FORWARD_TOKEN}",
        "PETIQ_FORWARD_MAX_RETRIES": "0",
        "PETIQ_FORWARD_TIMEOUT_S": "5",
    }


class Recorder(requests.Session):
    """A session that keeps the status line, headers and body of every response it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.hooks["response"].append(self._keep)

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        self.seen.append(f"{response.status_code} {response.url}\n{headers}\n{response.text}")


def _stow(http: Recorder, url: str, parts: list[bytes]) -> requests.Response:
    headers = {**AUTH, "Content-Type": RELATED}
    return http.post(f"{url}/dicomweb/studies", data=related_body(parts, boundary=BOUNDARY), headers=headers)


def _job_of(http: Recorder, url: str, study_uid: str) -> dict[str, Any]:
    (job,) = http.get(f"{url}/v1/jobs", params={"study_uid": study_uid}, headers=AUTH, timeout=10).json()
    job_dict: dict[str, Any] = job
    return job_dict


def _until(check: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what} after {timeout_s} s"
        time.sleep(0.2)


def _delivery_failed(http: Recorder, url: str, job_id: str) -> None:
    def failed() -> bool:
        job = http.get(f"{url}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()
        return bool(job["delivery"]["status"] == "failed")

    _until(failed, timeout_s=30, what="delivery not failed")


def _with_redis(http: Recorder, url: str, series_dir: Path, closed: str) -> str:
    """Redis up: a job runs and its delivery fails twice (server and own credentials), a bad key, a signed link;
    returns the link's signature."""
    files = sorted(series_dir.glob("*.dcm"))
    assert _stow(http, url, [path.read_bytes() for path in files]).status_code == 200
    study_uid = pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID
    job = poll_job(lambda: _job_of(http, url, study_uid), timeout_s=60)
    assert job["status"] == "succeeded", job
    _delivery_failed(http, url, job["id"])
    own = {"url": closed, "auth": f"Bearer {JOB_TOKEN}"}
    assert http.post(f"{url}/v1/jobs/{job['id']}/deliver", json=own, headers=AUTH).status_code == 202
    _delivery_failed(http, url, job["id"])
    bad = {"series_uid": job["series_uid"], "forward": {"url": f"http://u:{JOB_TOKEN}@x/", "auth": JOB_TOKEN}}
    assert http.post(f"{url}/v1/jobs", json=bad, headers=AUTH).status_code == 400
    assert http.get(f"{url}/v1/jobs", headers={"Authorization": "Bearer not-a-key"}).status_code == 401
    link = http.get(f"{url}/v1/jobs/{job['id']}/report-link", headers=AUTH).json()["url"]
    assert http.get(link).status_code == 200
    return parse_qs(urlsplit(link).query)["signature"][0]


def _without_redis(http: Recorder, url: str, series_dir: Path) -> None:
    """Redis down: a new series is stored (its job cannot be enqueued), the gateway is not ready."""
    datasets = sibling_series(
        [pydicom.dcmread(path) for path in sorted(series_dir.glob("*.dcm"))], tag="down", description="PET WB 2"
    )
    assert _stow(http, url, [to_bytes(ds) for ds in datasets]).status_code == 200
    ready = http.get(f"{url}/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["broker"]["ok"] is False
    assert http.get(f"{url}/metrics").status_code == 200
    again = {"series_uid": datasets[0].SeriesInstanceUID, "score": True}
    http.post(f"{url}/v1/jobs", json=again, headers=AUTH)  # whatever it answers, it must not show a secret


def test_no_secret_in_any_log_or_response(
    tmp_path: Path, random_bundle_info: BundleInfo, small_series_dir: Path
) -> None:
    port, closed = free_port(), f"http://127.0.0.1:{free_port()}/dicom-web"
    broker = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    env = _env(storage=tmp_path / "storage", weights=random_bundle_info.directory, broker=broker, closed=closed)
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    http = Recorder()
    with petiq_serve(env=env, log=serve_log, debug=True) as url:
        worker = start_worker(env=env, name="secrets", log=worker_log, loglevel="DEBUG")
        try:
            with redis_server(log=tmp_path / "redis.log", port=port, password=PASSWORD):
                signature = _with_redis(http, url, small_series_dir, closed)
            _without_redis(http, url, small_series_dir)
            _until(lambda: "Cannot connect to" in worker_log.read_text(), timeout_s=20, what="worker kept quiet")
        finally:
            kill_group(worker)
    logs = {"gateway": serve_log.read_text(), "worker": worker_log.read_text()}
    found = {
        (name, where)
        for name, secret in {**SECRETS, "report link signature": signature}.items()
        for where, text in {**logs, "responses": "\n".join(http.seen)}.items()
        if secret in text and not (where == "responses" and name == "report link signature")
    }
    assert found == set()
    assert f"redis://:**@127.0.0.1:{port}/0" in logs["worker"]  # Celery's banner and reconnect lines, masked
    assert "signature=REDACTED" in logs["gateway"] and "GET /readyz" in logs["gateway"]  # the access log is on
