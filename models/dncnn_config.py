"""The shape of a :class:`~models.dncnn.DnCNN`, without torch: a weight bundle's metadata names it, and reading a
bundle (the onnxruntime path) must not load torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DnCNNConfig"]


@dataclass(frozen=True, kw_only=True)
class DnCNNConfig:
    """Architecture of a :class:`~models.dncnn.DnCNN`.

    Attributes:
        width: feature channels of the hidden layers.
        depth: number of conv 3×3 layers (≥ 3).
        slices: input slices (odd; the centre one is denoised).
        noise_map: append the centre slice's noise-level map as one more input channel (:mod:`models.dncnn`).
    """

    width: int = 48
    depth: int = 8
    slices: int = 3
    noise_map: bool = False

    def __post_init__(self) -> None:
        if self.width < 1 or self.depth < 3 or self.slices < 1 or self.slices % 2 == 0:
            raise ValueError(
                "Arguments 'width' ≥ 1, 'depth' ≥ 3 and odd 'slices' are required, "
                f"got width={self.width}, depth={self.depth}, slices={self.slices}."
            )

    def to_json(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict."""
        return asdict(self)
