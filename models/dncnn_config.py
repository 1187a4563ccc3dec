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
        widths: the channels of each hidden layer (``depth − 1`` values, each 1 … ``width``) of a pruned network
            (:mod:`models.pruning`); None: every hidden layer has ``width``.
    """

    width: int = 48
    depth: int = 8
    slices: int = 3
    noise_map: bool = False
    widths: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.width < 1 or self.depth < 3 or self.slices < 1 or self.slices % 2 == 0:
            raise ValueError(
                "Arguments 'width' ≥ 1, 'depth' ≥ 3 and odd 'slices' are required, "
                f"got width={self.width}, depth={self.depth}, slices={self.slices}."
            )
        if self.widths is not None:
            object.__setattr__(self, "widths", tuple(int(value) for value in self.widths))  # JSON gives a list
            assert self.widths is not None
            if len(self.widths) != self.depth - 1 or not all(1 <= value <= self.width for value in self.widths):
                raise ValueError(
                    f"Argument 'widths' should hold {self.depth - 1} values from 1 to {self.width}, got {self.widths}."
                )

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """The channels of each hidden layer (``depth − 1`` values)."""
        return self.widths if self.widths is not None else (self.width,) * (self.depth - 1)

    def to_json(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict (``widths`` only for a pruned network, so older readers of an
        unpruned bundle see the keys they know)."""
        values = asdict(self)
        if self.widths is None:
            del values["widths"]
        else:
            values["widths"] = list(self.widths)
        return values
