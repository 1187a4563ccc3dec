"""The delivery branch of petiq's one error hierarchy (:mod:`imaging.errors`).

::

    PetiqError
    └── DeliveryError                    the destination did not store the result; the message is the reason
        └── DestinationUnavailableError  transient: no connection, a timeout, HTTP 5xx, 408 or 429, an
                                         association rejected for a transient reason or aborted (retried)

``instances_stored`` counts the instances the destination did store before the error (a partial failure);
``tally`` holds a C-STORE destination's answers so far, instance by instance (None for STOW-RS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imaging.errors import PetiqError

if TYPE_CHECKING:
    from workers.delivery.tally import Tally

__all__ = ["DeliveryError", "DestinationUnavailableError"]


class DeliveryError(PetiqError):
    """The destination did not store (all of) the result; retrying the same request would not help.

    Args:
        instances_stored: instances the destination stored before the error.
        tally: a C-STORE destination's answers before the error.
    """

    def __init__(
        self, message: str, *, instances_stored: int = 0, check: str | None = None, tally: Tally | None = None
    ) -> None:
        super().__init__(message, check=check)
        self.instances_stored = instances_stored
        self.tally = tally


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
        tally: Tally | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, instances_stored=instances_stored, check=check, tally=tally)
        self.retry_after_s = retry_after_s
