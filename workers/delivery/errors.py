"""The delivery branch of petiq's one error hierarchy (:mod:`imaging.errors`).

::

    PetiqError
    └── DeliveryError                    the destination did not store the result; the message is the reason
        └── DestinationUnavailableError  transient: no connection, a timeout, HTTP 5xx, 408 or 429 (retried)

``instances_stored`` counts the instances the destination did store before the error (a partial failure).
"""

from __future__ import annotations

from imaging.errors import PetiqError

__all__ = ["DeliveryError", "DestinationUnavailableError"]


class DeliveryError(PetiqError):
    """The destination did not store (all of) the result; retrying the same request would not help.

    Args:
        instances_stored: instances the destination stored before the error.
    """

    def __init__(self, message: str, *, instances_stored: int = 0, check: str | None = None) -> None:
        super().__init__(message, check=check)
        self.instances_stored = instances_stored


class DestinationUnavailableError(DeliveryError):
    """The destination cannot be reached or is busy; worth a retry.

    Args:
        retry_after_s: the delay the destination asked for (``Retry-After``), seconds, when it did.
    """

    def __init__(
        self,
        message: str,
        *,
        instances_stored: int = 0,
        check: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, instances_stored=instances_stored, check=check)
        self.retry_after_s = retry_after_s
