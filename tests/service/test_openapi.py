"""The committed ``openapi/openapi.json`` is the app's schema (regenerate: ``python -m service.openapi``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.jobs.store import JOB_ID_PATTERN
from core.storage.layout import UID_PATTERN, is_uid
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


def test_uid_and_job_id_parameters_declare_the_pattern_the_routes_enforce() -> None:
    """Every ``{study}``, ``{series}``, ``{sop}`` (and ``study_uid``) parameter states the UID pattern of
    ``check_uid``, every ``{job_id}`` the job id's; the answers to a bad value are unchanged (tested elsewhere)."""
    declared: dict[str, set[tuple[str, int | None]]] = {}
    for operations in openapi_document()["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                declared.setdefault(parameter["name"], set()).add((schema.get("pattern"), schema.get("maxLength")))
    for name in ("study", "series", "sop", "study_uid", "series_uid"):
        assert declared[name] == {(UID_PATTERN, 64)}, name
    assert declared["job_id"] == {(JOB_ID_PATTERN, None)}
    uid = re.compile(UID_PATTERN)
    for value in ("1.2.840.10008.1.2", "1", "1.2.x", "1..2", ".1", "1.2."):
        assert (uid.match(value) is not None) == is_uid(value), value
    assert re.match(JOB_ID_PATTERN, "0f0e0d0c-0b0a-5908-8706-050403020100")
