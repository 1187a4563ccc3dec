"""Headers every answer carries: ``Cache-Control: no-store`` on every route (PHI is never cached), ``Allow`` on 405."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from core.settings import Settings
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets
from tests.service.job_helpers import jobs_of, stow

_PARAMS = {
    "study": "1.2.3",
    "study_uid": "1.2.3",
    "series": "1.2.4",
    "series_uid": "1.2.4",
    "sop": "1.2.5",
    "job_id": "0f0e0d0c-0b0a-5908-8706-050403020100",
}
PHI_ROUTES = {
    ("GET", "/dicomweb/studies"),
    ("GET", "/dicomweb/studies/{study}/series"),
    ("GET", "/dicomweb/studies/{study}/series/{series}"),
    ("GET", "/dicomweb/studies/{study}/series/{series}/instances/{sop}"),
    ("POST", "/dicomweb/studies"),
    ("POST", "/dicomweb/studies/{study}"),
    ("GET", "/v1/jobs"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs/{job_id}"),
    ("POST", "/v1/jobs/{job_id}/deliver"),
    ("GET", "/v1/jobs/{job_id}/report"),
    ("GET", "/v1/jobs/{job_id}/report-link"),
    ("GET", "/v1/studies/{study_uid}/series/{series_uid}/status"),
}


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route of ``app``, included routers and docs routes too."""
    return sorted(
        (method, route.path_format)
        for route in iter_route_contexts(app.routes)
        if route.path_format
        for method in route.methods or ()
        if method != "HEAD"
    )


def _concrete(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: _PARAMS[match.group(1)], template)


@pytest.mark.parametrize("authorization", [AUTH, {}])
def test_every_route_answers_no_store(client: TestClient, authorization: dict[str, str]) -> None:
    """Whatever the route and whatever the outcome (200, 400, 401, 404 problem), nothing may be cached."""
    routes = _routes(client.app)  # type: ignore[arg-type]
    assert set(routes) >= PHI_ROUTES  # the walk sees the included routers
    for method, template in routes:
        response = client.request(method, _concrete(template), headers=authorization)
        assert response.headers.get("cache-control") == "no-store", (method, template, response.status_code)


def test_phi_answers_are_no_store(jobs_client: TestClient) -> None:
    datasets = pet_datasets(seed=81, n_slices=2)
    stored = stow(jobs_client, datasets)
    study, series = datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID
    (job,) = jobs_of(jobs_client, study)
    answers = [
        stored,
        jobs_client.get("/dicomweb/studies", params={"PatientID": "SYN001"}, headers=AUTH),
        jobs_client.get(f"/dicomweb/studies/{study}/series", headers=AUTH),
        jobs_client.get(f"/dicomweb/studies/{study}/series/{series}", headers=AUTH),
        jobs_client.get(f"/v1/jobs/{job['id']}", headers=AUTH),
        jobs_client.get(f"/v1/jobs/{job['id']}/report", headers=AUTH),
        jobs_client.get(f"/v1/studies/{study}/series/{series}/status", headers=AUTH),
    ]
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert {answer.headers["cache-control"] for answer in answers} == {"no-store"}


def test_an_unexpected_500_is_no_store(tmp_path: Path) -> None:
    app = create_app(settings=Settings(storage_dir=tmp_path, api_keys=frozenset({"k"})))

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/crash")
    assert response.status_code == 500 and response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/jobs", "GET, POST"),  # two routes share the path: both named
        ("PUT", "/dicomweb/studies", "GET, POST"),
        ("POST", "/dicomweb/studies/1.2.3/series", "GET"),
        ("DELETE", "/v1/jobs/0f0e0d0c-0b0a-5908-8706-050403020100", "GET"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_405_names_the_allowed_methods(client: TestClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:petiq:problem:method-not-allowed"
