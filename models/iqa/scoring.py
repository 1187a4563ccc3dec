"""A series' GQR, PR and DC: patches of the volume → the scorer → mean and spread over the patches.

The series score is the mean of the patch predictions (clipped to [0, 3]), rounded to the 0.5 grid; its
uncertainty is the standard deviation over the patches. Every score names the calibration it comes from. The
network runs on the first CUDA GPU when there is one, else on the CPU (torch is imported when it runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from models.device import torch_device
from models.iqa.bundle import Scorer
from models.iqa.labels import METRICS, round_to_grid
from models.iqa.patches import sample_patches

__all__ = ["DEFAULT_PATCH_SEED", "SeriesScores", "predict_patches", "score_volume"]

DEFAULT_PATCH_SEED = 0
"""Seed of the patch positions unless the caller records another."""


@dataclass(frozen=True, kw_only=True)
class SeriesScores:
    """Scores of one series.

    Attributes:
        raw: unrounded ``(gqr, pr, dc)`` in [0, 3]; ``rounded`` on the 0.5 grid.
        uncertainty: std over the patches of each score, same units.
        calibration: the label of the calibration that produced them.
        n_patches: patches scored; seed: the seed of their positions.
    """

    raw: tuple[float, float, float]
    rounded: tuple[float, float, float]
    uncertainty: tuple[float, float, float]
    calibration: str
    n_patches: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The ``scores`` section of result.json."""
        section: dict[str, Any] = {metric: value for metric, value in zip(METRICS, self.rounded, strict=True)}
        section["raw"] = {metric: round(value, 3) for metric, value in zip(METRICS, self.raw, strict=True)}
        section["uncertainty"] = {metric: round(v, 3) for metric, v in zip(METRICS, self.uncertainty, strict=True)}
        section.update(calibration=self.calibration, n_patches=self.n_patches, seed=self.seed)
        return section


def predict_patches(*, scorer: Scorer, patches: npt.NDArray[np.floating], batch: int = 128) -> npt.NDArray[np.float64]:
    """Per-patch scores ``(n, 3)`` of ``patches`` ``(n, 80, 80)`` (voxels / activity scale)."""
    import torch

    device = torch_device()
    net = scorer.net.to(device).eval()
    rows = []
    with torch.no_grad():
        for start in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch], dtype=np.float32)[:, None])
            rows.append(net(x.to(device)).cpu().numpy())
    return np.concatenate(rows).astype(np.float64)


def score_volume(
    *, volume: npt.NDArray[np.floating], scorer: Scorer, seed: int = DEFAULT_PATCH_SEED, scale: float | None = None
) -> SeriesScores:
    """Score ``volume`` ``(z, y, x)`` (Bq/ml or SUV: the patches are normalised either way); ``scale``: its
    activity scale when already known.

    Raises:
        InputError: the volume has no patch above the mean threshold (check ``iqa_patches``).
    """
    sample = sample_patches(volume=volume, seed=seed, per_plane=scorer.info.per_plane, scale=scale)
    per_patch = np.clip(predict_patches(scorer=scorer, patches=sample.patches), 0.0, 3.0)
    raw = per_patch.mean(axis=0)
    spread = per_patch.std(axis=0)
    rounded = round_to_grid(raw)
    return SeriesScores(
        raw=(float(raw[0]), float(raw[1]), float(raw[2])),
        rounded=(float(rounded[0]), float(rounded[1]), float(rounded[2])),
        uncertainty=(float(spread[0]), float(spread[1]), float(spread[2])),
        calibration=scorer.info.calibration,
        n_patches=len(sample.patches),
        seed=seed,
    )
