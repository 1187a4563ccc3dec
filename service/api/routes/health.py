"""``GET /healthz``: liveness. Open (no key): the process is up and answering."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

__all__ = ["HealthPublic", "router"]

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    """The liveness answer."""

    status: Literal["ok"] = "ok"


@router.get("/healthz", operation_id="healthz", response_model=HealthPublic)
def healthz() -> HealthPublic:
    """Liveness: 200 while the gateway process serves requests."""
    return HealthPublic()
