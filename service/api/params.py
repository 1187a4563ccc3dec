"""Path and query parameters shared by the routes, with the patterns the routes enforce declared in the OpenAPI.

A UID is checked by :func:`core.storage.layout.check_uid` (400 problem, check ``uid``) and a job id by
:class:`core.jobs.store.JobStore` (404 problem, check ``job_id``). FastAPI's own ``pattern=`` validation would
answer a generic 400 ``invalid-parameter`` instead, so the pattern is only declared in the schema
(``json_schema_extra``): the document says what the routes accept, the answers stay as they are.
"""

from __future__ import annotations

from typing import Any

from fastapi import Path, Query

from core.jobs.store import JOB_ID_PATTERN
from core.storage.layout import UID_MAX_LENGTH, UID_PATTERN

__all__ = ["UID_SCHEMA", "job_id_path", "uid_path", "uid_query"]

UID_SCHEMA: dict[str, Any] = {"pattern": UID_PATTERN, "maxLength": UID_MAX_LENGTH}
"""The JSON schema constraints of a DICOM UID parameter."""


def uid_path(*, description: str) -> Any:
    """A UID path parameter (e.g. ``{study}``) documented with :data:`UID_SCHEMA`."""
    return Path(description=description, json_schema_extra=UID_SCHEMA)


def uid_query(*, description: str) -> Any:
    """A UID query parameter documented with :data:`UID_SCHEMA`."""
    return Query(description=description, json_schema_extra=UID_SCHEMA)


def job_id_path() -> Any:
    """The ``{job_id}`` path parameter, documented as a lower-case UUID."""
    return Path(description="The job's id", json_schema_extra={"pattern": JOB_ID_PATTERN, "format": "uuid"})
