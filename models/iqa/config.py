"""The shape of the scorer's network (:class:`~models.iqa.network.IqaNet`), without torch: ``iqa.json`` names it,
and reading that document must not load torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["UNITS", "IqaConfig"]

UNITS = ("stem", "unit1", "unit2", "unit3", "unit4")
"""The backbone's units, input first."""


@dataclass(frozen=True, kw_only=True)
class IqaConfig:
    """Shape of the network.

    Attributes:
        width: channels of the stem (the units have 1, 2, 4 and 6 times as many).
        frozen_units: backbone units (from the input) kept frozen when fitting the scores.
    """

    width: int = 16
    frozen_units: int = 3

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"Argument 'width' should be positive, got {self.width}.")
        if not 0 <= self.frozen_units <= len(UNITS):
            raise ValueError(f"Argument 'frozen_units' should be in [0, {len(UNITS)}], got {self.frozen_units}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)
