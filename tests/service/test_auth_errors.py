"""Bearer keys on every route but the health probe; problem+json for errors, mapped in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from core.errors import (
    InstanceRejectedError,
    InsufficientStorageError,
    NotFoundError,
    TooLargeError,
    UnauthorizedError,
)
from core.settings import Settings
from core.storage import FailureReason
from imaging.errors import OutputError, PetiqError, SeriesError
from service.api import errors as api_errors
from service.api.deps import _key_matches
from service.main import create_app
from tests.service.conftest import TestClient

ROUTES = [
    ("POST", "/dicomweb/studies"),
    ("POST", "/dicomweb/studies/1.2.3"),
    ("GET", "/dicomweb/studies"),
    ("GET", "/dicomweb/studies/1.2.3/series"),
    ("GET", "/dicomweb/studies/1.2.3/series/1.2.4"),
    ("GET", "/dicomweb/studies/1.2.3/series/1.2.4/instances/1.2.5"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic dGVzdDp0ZXN0", "Bearer test-key-"])
def test_every_route_needs_a_valid_key(client: TestClient, method: str, path: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["check"] == "api_key"


def test_any_configured_key_works_and_health_is_open(client: TestClient) -> None:
    assert client.get("/dicomweb/studies", headers={"Authorization": "Bearer other-key"}).status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def test_no_keys_configured_refuses_with_a_hint(tmp_path: Path) -> None:
    with TestClient(create_app(settings=Settings(storage_dir=tmp_path, api_keys=frozenset()))) as client:
        response = client.get("/dicomweb/studies", headers={"Authorization": "Bearer anything"})
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 401
    assert "PETIQ_API_KEYS" in response.json()["detail"]
    assert response.json()["check"] == "api_keys_configured"


def test_anonymous_only_when_allowed_and_no_keys(tmp_path: Path) -> None:
    open_settings = Settings(storage_dir=tmp_path, api_keys=frozenset(), allow_anonymous=True)
    with TestClient(create_app(settings=open_settings)) as client:
        assert client.get("/dicomweb/studies").status_code == 200
    keyed = Settings(storage_dir=tmp_path, api_keys=frozenset({"k"}), allow_anonymous=True)
    with TestClient(create_app(settings=keyed)) as client:
        assert client.get("/dicomweb/studies").status_code == 401


def test_key_comparison() -> None:
    keys = frozenset({SecretStr("alpha"), SecretStr("beta")})
    assert _key_matches("beta", keys) and not _key_matches("bet", keys) and not _key_matches("", keys)


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "type": "urn:petiq:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/nothing-here",
    }


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (UnauthorizedError("x", check="api_key"), 401, "unauthorized"),
        (NotFoundError("x", uid="1.2"), 404, "not-found"),
        (TooLargeError("x"), 413, "too-large"),
        (SeriesError("x", check="modality", uid="1.2"), 400, "invalid-input"),
        (InstanceRejectedError("x", reason=FailureReason.CANNOT_UNDERSTAND, check="dicom"), 400, "invalid-input"),
        (OutputError("x", path="/secret/path"), 500, "storage-failure"),
        (InsufficientStorageError("x", check="storage_space", path="/secret/path"), 507, "insufficient-storage"),
        (PetiqError("x"), 500, "internal-error"),
    ],
)
def test_error_classes_map_to_status(error: PetiqError, status: int, slug: str) -> None:
    app = create_app(settings=Settings(api_keys=frozenset({"k"})))

    @app.get("/boom")
    def boom() -> None:
        raise error

    with TestClient(app) as client:
        response = client.get("/boom")
    assert response.status_code == status
    problem = response.json()
    assert problem["type"] == f"urn:petiq:problem:{slug}" and problem["detail"] == "x" and problem["status"] == status
    assert "path" not in problem  # file paths stay in the logs
    assert problem.get("check") == error.check and problem.get("uid") == error.uid


def test_unexpected_errors_are_a_500_problem() -> None:
    app = create_app(settings=Settings(api_keys=frozenset({"k"})))

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text


def test_all_exports_exist() -> None:
    for name in api_errors.__all__:
        assert hasattr(api_errors, name)


def test_a_server_path_in_an_error_message_stays_in_the_log(tmp_path: Path) -> None:
    app = create_app(settings=Settings(storage_dir=tmp_path, api_keys=frozenset({"k"})))
    folder = tmp_path / "storage" / "studies" / "1.2.3"

    @app.get("/full")
    def full() -> None:
        raise OutputError(f"Cannot open the instances folder: [Errno 28] No space left on device: '{folder}'")

    with TestClient(app) as client:
        response = client.get("/full")
    assert response.status_code == 500
    detail = "Cannot open the instances folder: [Errno 28] No space left on device: '…/1.2.3'"
    assert response.json()["detail"] == detail
