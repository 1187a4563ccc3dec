"""Pure state changes of a job's delivery (the forwarding of its result); the store writes them.

``requested`` (pending, e.g. by ``POST /v1/jobs/{id}/deliver``) → ``attempting`` (delivering, one more attempt)
→ one ``with_result`` per destination sent to → ``concluded``: ``delivered`` (every destination stored
everything), ``delivering`` (a retry is scheduled for a destination that was unavailable, the reason kept) or
``failed``. ``delivery_failed`` fails the whole delivery at once (nothing could be sent anywhere).

A destination whose result says ``delivered`` is not sent to again by a retry or by a request that keeps it,
unless every destination was delivered: asking again for a delivered job sends everything anew.
"""

from __future__ import annotations

from core.jobs.models import DeliveryStatus, DestinationDelivery, ForwardKind, JobPublic, utc_now

__all__ = [
    "attempting",
    "concluded",
    "delivery_failed",
    "destinations",
    "requested",
    "with_result",
]


def _with(job: JobPublic, **changes: object) -> JobPublic:
    delivery = job.delivery.model_copy(update={**changes, "updated": utc_now()})
    return job.model_copy(update={"delivery": delivery})


def destinations(*, destination: str | None, dimse: str | None) -> list[tuple[ForwardKind, str]]:
    """The (kind, address) pairs of a delivery: the DICOMweb URL first, then the C-STORE destination."""
    pairs = [(ForwardKind.STOW_RS, destination), (ForwardKind.DIMSE, dimse)]
    return [(kind, address) for kind, address in pairs if address is not None]


def _kept_results(job: JobPublic, *, named: list[tuple[ForwardKind, str]]) -> list[DestinationDelivery]:
    """The results of the destinations still ``named``: a delivered one kept (unless all were), the others
    pending again."""
    kept = [result for result in job.delivery.results if (result.kind, result.destination) in named]
    if len(kept) == len(named) and all(result.status is DeliveryStatus.DELIVERED for result in kept):
        return []
    pending = {"status": DeliveryStatus.PENDING}
    return [
        result if result.status is DeliveryStatus.DELIVERED else result.model_copy(update=pending) for result in kept
    ]


def requested(job: JobPublic, *, destination: str | None, dimse: str | None = None) -> JobPublic:
    """Delivery to the DICOMweb URL ``destination`` and/or the C-STORE ``dimse`` (``AET@host:port``) asked for
    (again): pending; attempts and the last reason are kept, and so are the destinations already delivered
    (module docstring)."""
    results = _kept_results(job, named=destinations(destination=destination, dimse=dimse))
    return _with(job, status=DeliveryStatus.PENDING, destination=destination, dimse=dimse, results=results)


def attempting(job: JobPublic) -> JobPublic:
    """An attempt starts."""
    return _with(job, status=DeliveryStatus.DELIVERING, attempts=job.delivery.attempts + 1)


def delivery_failed(job: JobPublic, *, reason: str) -> JobPublic:
    """Failed for good with ``reason`` before anything was sent (no destination, no file to send)."""
    return _with(job, status=DeliveryStatus.FAILED, last_error=reason)


def with_result(job: JobPublic, *, result: DestinationDelivery) -> JobPublic:
    """``result`` recorded as its destination's (replacing the one it had), in the order of
    :func:`destinations`; ``job`` unchanged when the delivery no longer names that destination."""
    named = destinations(destination=job.delivery.destination, dimse=job.delivery.dimse)
    if not named:  # a manifest that records no destination: its results are those of the configured ones
        pairs = [(old.kind, old.destination) for old in job.delivery.results] + [(result.kind, result.destination)]
        named = list(dict.fromkeys(pairs))
    if (result.kind, result.destination) not in named:
        return job
    by_destination = {(old.kind, old.destination): old for old in job.delivery.results}
    by_destination[(result.kind, result.destination)] = result
    return _with(job, results=[by_destination[pair] for pair in named if pair in by_destination])


def _reason(results: list[DestinationDelivery]) -> str | None:
    """The last errors of the destinations not delivered, each after its address when there are several."""
    errors = [result for result in results if result.status is not DeliveryStatus.DELIVERED and result.last_error]
    if len(results) == 1:
        return errors[0].last_error if errors else None
    return "; ".join(f"{result.destination}: {result.last_error}" for result in errors) or None


def concluded(job: JobPublic) -> JobPublic:
    """The delivery's state summed up from its destinations' results: ``delivering`` while one waits for a
    retry, else ``delivered`` when all were, else ``failed``; ``instances_sent`` summed over them."""
    results = job.delivery.results
    if any(result.status is DeliveryStatus.DELIVERING for result in results):
        status = DeliveryStatus.DELIVERING
    elif results and all(result.status is DeliveryStatus.DELIVERED for result in results):
        status = DeliveryStatus.DELIVERED
    else:
        status = DeliveryStatus.FAILED
    instances = sum(result.instances_sent for result in results)
    return _with(job, status=status, instances_sent=instances, last_error=_reason(results))
