"""The API docs need the bearer key like every other route, unless ``PETIQ_PUBLIC_DOCS`` opens them."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from service.api.routes.docs import DOCS_PATHS
from service.main import create_app
from service.openapi import openapi_document
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH


@pytest.mark.parametrize("path", DOCS_PATHS)
def test_docs_need_a_key(client: TestClient, path: str) -> None:
    refused = client.get(path)
    assert refused.status_code == 401 and refused.json()["check"] == "api_key"
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(path, headers=AUTH).status_code == 200


def test_the_served_document_is_the_committed_contract(client: TestClient) -> None:
    assert client.get("/openapi.json", headers=AUTH).json() == openapi_document()
    assert "/openapi.json" in client.get("/docs", headers=AUTH).text
    assert "/openapi.json" in client.get("/redoc", headers=AUTH).text


def test_public_docs_setting_opens_them_and_only_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_PUBLIC_DOCS", "true")
    settings = Settings(storage_dir=tmp_path, api_keys=frozenset({"k"}))
    assert settings.public_docs
    with TestClient(create_app(settings=settings)) as client:
        assert [client.get(path).status_code for path in DOCS_PATHS] == [200] * len(DOCS_PATHS)
        assert client.get("/dicomweb/studies").status_code == 401
        assert client.get("/v1/jobs").status_code == 401
