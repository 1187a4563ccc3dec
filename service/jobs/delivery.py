"""Pure state changes of a job's delivery (the forwarding of its result); the store writes them.

``requested`` (pending, e.g. by ``POST /v1/jobs/{id}/deliver``) → ``attempting`` (delivering, one more attempt)
→ ``delivered`` | ``retrying`` (still delivering, a retry is scheduled, the reason kept) | ``delivery_failed``.
"""

from __future__ import annotations

from service.jobs.models import DeliveryStatus, JobPublic, utc_now

__all__ = ["attempting", "delivered", "delivery_failed", "requested", "retrying"]


def _with(job: JobPublic, **changes: object) -> JobPublic:
    delivery = job.delivery.model_copy(update={**changes, "updated": utc_now()})
    return job.model_copy(update={"delivery": delivery})


def requested(job: JobPublic, *, destination: str) -> JobPublic:
    """Delivery to ``destination`` asked for (again): pending; attempts and the last reason are kept."""
    return _with(job, status=DeliveryStatus.PENDING, destination=destination)


def attempting(job: JobPublic) -> JobPublic:
    """An attempt starts."""
    return _with(job, status=DeliveryStatus.DELIVERING, attempts=job.delivery.attempts + 1)


def retrying(job: JobPublic, *, reason: str) -> JobPublic:
    """The attempt failed for a transient ``reason``; a retry is scheduled."""
    return _with(job, status=DeliveryStatus.DELIVERING, last_error=reason)


def delivered(job: JobPublic, *, instances: int) -> JobPublic:
    """The destination stored all ``instances``."""
    return _with(job, status=DeliveryStatus.DELIVERED, instances_sent=instances, last_error=None)


def delivery_failed(job: JobPublic, *, reason: str, instances: int = 0) -> JobPublic:
    """Failed for good with ``reason``; ``instances`` the destination did store."""
    return _with(job, status=DeliveryStatus.FAILED, instances_sent=instances, last_error=reason)
