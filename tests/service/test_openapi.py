"""The committed ``openapi/openapi.json`` is the app's schema (regenerate: ``python -m service.openapi``)."""

from __future__ import annotations

import json
from pathlib import Path

from service.openapi import DEFAULT_PATH, openapi_document, openapi_text, write_openapi


def test_committed_openapi_matches_the_app() -> None:
    assert DEFAULT_PATH.is_file(), "openapi/openapi.json is missing: run python -m service.openapi"
    assert DEFAULT_PATH.read_text(encoding="utf-8") == openapi_text(), (
        "openapi/openapi.json differs from the app: run python -m service.openapi and commit it"
    )


def test_job_operations_have_stable_ids() -> None:
    paths = openapi_document()["paths"]
    assert paths["/v1/jobs"]["post"]["operationId"] == "create_job"
    assert paths["/v1/jobs"]["get"]["operationId"] == "list_jobs"
    assert paths["/v1/jobs/{job_id}"]["get"]["operationId"] == "get_job"
    assert set(paths["/v1/jobs"]["post"]["responses"]) >= {"200", "202", "400", "401", "404"}


def test_write_openapi_writes_sorted_json(tmp_path: Path) -> None:
    path = write_openapi(path=tmp_path / "x" / "openapi.json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == openapi_document()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_validation_errors_are_documented_as_400_problems() -> None:
    document = openapi_document()
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    with_422 = [
        (path, method)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if "422" in op["responses"]
    ]
    assert with_422 == [("/v1/jobs", "post")]  # documented: a series petiq will not process (not a positron emitter)
    bad_request = document["paths"]["/v1/jobs"]["post"]["responses"]["400"]
    assert "application/problem+json" in bad_request["content"]
