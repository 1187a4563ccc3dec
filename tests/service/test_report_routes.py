"""``GET /v1/jobs/{id}/report`` and ``/report-link`` over HTTP: the page from stored series, its headers, bearer
or signed-link access (tampered, expired, for another job), job states, and a derived series gone missing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from core.jobs.models import JobPublic, JobStatus
from core.jobs.store import JobStore
from core.settings import Settings
from service.api.routes.report import signing_secret
from service.main import create_app
from service.report import build
from service.report.signing import link_secret, report_path
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets, sibling_series
from tests.service.job_helpers import RecordingQueue, stow
from tests.service.report_dom import parse_page, png_of
from tests.service.report_helpers import job, result_document

PROBLEM = "application/problem+json"
SHAPE = (4, 6, 8)  # z, y, x


@pytest.fixture
def report_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as test_client:
        yield test_client


def _stored_job(client: TestClient, settings: Settings, *, number: int, **changes: Any) -> JobPublic:
    """A succeeded job on a stored series whose derived series (a stored sibling) is its output."""
    datasets = pet_datasets(seed=number, n_slices=SHAPE[0], size=SHAPE[1])
    for dataset in datasets:  # not square: rows and columns must not be swapped
        dataset.Columns = SHAPE[2]
        dataset.PixelData = dataset.PixelData + bytes(2 * SHAPE[1] * (SHAPE[2] - SHAPE[1]))
    derived = sibling_series(datasets, tag="derived", description="WB [petiq denoised]")
    assert stow(client, datasets + derived).status_code == 200
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    result = result_document(input_uid=series, output_uid=derived[0].SeriesInstanceUID, scored=False)
    fields: dict[str, Any] = {"status": JobStatus.SUCCEEDED, "result": result, **changes}
    manifest = job(number=number, study_uid=study, series_uid=series, **fields)
    JobStore(settings.storage_dir).create(manifest)
    return manifest


def _report(client: TestClient, job_id: str, **kwargs: Any) -> Any:
    return client.get(f"/v1/jobs/{job_id}/report", **kwargs)


def test_the_report_shows_the_stored_series(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=101)
    response = _report(report_client, done.id, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "img-src data:" in policy and "script-src" not in policy
    page = parse_page(response.text)
    shapes = {image["id"]: png_of(image["src"]).shape for image in page.images}
    assert shapes == {
        "axial-input": SHAPE[1:],
        "axial-output": SHAPE[1:],
        "mip-input": (SHAPE[0], SHAPE[2]),
        "mip-output": (SHAPE[0], SHAPE[2]),
    }
    assert "WB [petiq denoised]" in page.text["header"] and "Synthetic^Patient" in page.text["header"]
    assert {"scores-table", "qc-table", "provenance", "timings-table"} <= page.ids.keys()


def test_without_credentials_the_report_is_refused(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=102)
    response = _report(report_client, done.id)
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    assert response.json()["check"] == "api_key" and response.headers["www-authenticate"] == "Bearer"
    wrong_key = _report(report_client, done.id, headers={"Authorization": "Bearer nope"})
    assert wrong_key.status_code == 401


def test_a_signed_link_opens_the_report_without_a_key(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=103)
    before = int(time.time())
    link = report_client.get(f"/v1/jobs/{done.id}/report-link", headers=AUTH)
    assert link.status_code == 200, link.text
    body = link.json()
    assert body["url"] == "http://testserver" + body["path"]
    assert before + settings.report_link_ttl_s <= body["expires"] <= int(time.time()) + settings.report_link_ttl_s
    query = parse_qs(urlsplit(body["path"]).query)
    assert query["expires"] == [str(body["expires"])] and len(query["signature"][0]) == 64
    response = report_client.get(body["path"])
    assert response.status_code == 200 and len(parse_page(response.text).images) == 4


def _signed(settings: Settings, job_id: str, *, expires: int) -> str:
    secret = signing_secret(settings)
    assert secret is not None
    return report_path(secret=secret, job_id=job_id, expires=expires)


def test_tampered_expired_or_foreign_links_are_refused(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=104)
    other = _stored_job(report_client, settings, number=105)
    later = int(time.time()) + 600
    good = _signed(settings, done.id, expires=later)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    longer = good.replace(f"expires={later}", f"expires={later + 86400}")
    foreign = _signed(settings, other.id, expires=later).replace(other.id, done.id)
    for path in (tampered, longer, foreign, f"/v1/jobs/{done.id}/report?expires={later}"):
        response = report_client.get(path)
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM, path
        assert response.json()["check"] == "report_link"
    expired = report_client.get(_signed(settings, done.id, expires=int(time.time()) - 1))
    assert expired.status_code == 401 and expired.json()["check"] == "report_link_expired"


def test_a_bearer_key_is_judged_alone(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=106)
    path = _signed(settings, done.id, expires=int(time.time()) + 600)
    response = report_client.get(path, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json()["check"] == "api_key"


def test_unknown_jobs_are_404_and_links_need_a_key(report_client: TestClient, settings: Settings) -> None:
    missing = "00000000-0000-0000-0000-0000000003e7"
    assert _report(report_client, missing, headers=AUTH).status_code == 404
    assert report_client.get(f"/v1/jobs/{missing}/report-link", headers=AUTH).status_code == 404
    assert _report(report_client, "not-a-job", headers=AUTH).status_code == 404
    done = _stored_job(report_client, settings, number=107)
    response = report_client.get(f"/v1/jobs/{done.id}/report-link")
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("status", "error", "says"),
    [
        (JobStatus.QUEUED, None, "The job is queued"),
        (JobStatus.RUNNING, None, "The job is running, stage denoise, 40 %"),
        (JobStatus.FAILED, {"title": "The job failed", "detail": "No denoiser weights."}, "No denoiser weights."),
    ],
)
def test_jobs_without_a_report_get_their_status(
    report_client: TestClient, settings: Settings, status: JobStatus, error: dict[str, Any] | None, says: str
) -> None:
    pending = _stored_job(report_client, settings, number=110, status=status, result=None, error=error)
    response = _report(report_client, pending.id, headers=AUTH)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    page = parse_page(response.text)
    assert says in page.text["status"] and not page.images


def test_a_second_view_draws_from_the_cache(
    report_client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _stored_job(report_client, settings, number=112)
    reads: list[str] = []
    real = build.read_stored_series

    def counted(**kwargs: Any) -> Any:
        reads.append(kwargs["series_uid"])
        return real(**kwargs)

    monkeypatch.setattr(build, "read_stored_series", counted)
    first = _report(report_client, done.id, headers=AUTH)
    second = _report(report_client, done.id, headers=AUTH)
    assert len(reads) == 2  # the input and the output, once
    assert [image["src"] for image in parse_page(first.text).images] == [
        image["src"] for image in parse_page(second.text).images
    ]


def test_a_missing_derived_series_leaves_a_page_without_images(report_client: TestClient, settings: Settings) -> None:
    done = _stored_job(report_client, settings, number=111)
    assert done.result is not None
    output = done.result.output.model_copy(update={"series_uid": "1.2.3.4.5.6"})
    result = done.result.model_copy(update={"output": output})
    JobStore(settings.storage_dir).update(done.id, lambda current: current.model_copy(update={"result": result}))
    page = parse_page(_report(report_client, done.id, headers=AUTH).text)
    assert not page.images and "No such series is stored" in page.text["images"]
    assert "qc-table" in page.ids


def test_an_explicit_secret_replaces_the_derived_one(settings: Settings) -> None:
    chosen = settings.model_copy(update={"report_secret": SecretStr("site-secret")})
    with TestClient(create_app(settings=chosen, job_queue=RecordingQueue())) as client:
        done = _stored_job(client, chosen, number=112)
        derived = link_secret(explicit=None, api_keys=settings.api_keys)
        assert derived is not None
        stale = report_path(secret=derived, job_id=done.id, expires=int(time.time()) + 600)
        assert client.get(stale).status_code == 401
        fresh = client.get(f"/v1/jobs/{done.id}/report-link", headers=AUTH).json()["path"]
        assert client.get(fresh).status_code == 200


def test_an_anonymous_gateway_needs_no_link(tmp_path: Path) -> None:
    anonymous = Settings(storage_dir=tmp_path / "anonymous", allow_anonymous=True)
    with TestClient(create_app(settings=anonymous, job_queue=RecordingQueue())) as client:
        done = _stored_job(client, anonymous, number=113)
        link = client.get(f"/v1/jobs/{done.id}/report-link").json()
        assert (link["path"], link["expires"]) == (f"/v1/jobs/{done.id}/report", None)
        assert client.get(link["path"]).status_code == 200
        assert client.get(link["path"], params={"expires": 1, "signature": "0" * 64}).status_code == 200
