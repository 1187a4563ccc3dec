"""The scorer's two training stages on observer-labelled patches, seeded and checkpointed.

Stage 1 (pretext): the whole network regresses ``log10`` of the count level of each patch's image, a label that
is free. Stage 2: the first :attr:`~models.iqa.network.IqaConfig.frozen_units` backbone units stay frozen
(weights and BatchNorm statistics) and the rest with the 3-output head regress the image's unrounded observer
scores (GQR, PR, DC; MSE). Batches are drawn uniformly over patches, with random horizontal and vertical flips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from models.iqa.dataset import StudyPatches
from models.iqa.network import IqaNet

__all__ = ["PatchTable", "StageSettings", "fit_stage", "freeze_for_scores", "patch_table", "predict_images"]

Log = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class PatchTable:
    """Patches of many images: ``patches (n, 80, 80) float16``, ``image (n,)`` index into the per-image arrays
    ``levels (v,)``, ``q (v, 3)``, ``patient (v,)`` and ``family (v,)``."""

    patches: npt.NDArray[np.float16]
    image: npt.NDArray[np.int64]
    levels: npt.NDArray[np.float64]
    q: npt.NDArray[np.float64]
    patient: npt.NDArray[np.str_]
    family: npt.NDArray[np.str_]


def patch_table(*, studies: Sequence[StudyPatches]) -> PatchTable:
    """All patches of ``studies`` in one table."""
    offsets = np.cumsum([0] + [len(study.levels) for study in studies])
    return PatchTable(
        patches=np.concatenate([study.patches for study in studies]),
        image=np.concatenate(
            [study.image.astype(np.int64) + offset for study, offset in zip(studies, offsets, strict=False)]
        ),
        levels=np.concatenate([study.levels for study in studies]),
        q=np.concatenate([study.q for study in studies]),
        patient=np.concatenate([[study.spec.patient_id] * len(study.levels) for study in studies]).astype(np.str_),
        family=np.concatenate([[study.spec.family] * len(study.levels) for study in studies]).astype(np.str_),
    )


@dataclass(frozen=True, kw_only=True)
class StageSettings:
    """One stage: optimiser ``steps`` of ``batch`` patches, Adam at ``lr`` with cosine decay, a log line every
    ``log_every`` steps."""

    steps: int
    batch: int = 64
    lr: float = 2e-3
    log_every: int = 100


def _batch(
    *, table: PatchTable, targets: npt.NDArray[np.float64], rng: np.random.Generator, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    rows = rng.integers(len(table.patches), size=size)
    x = table.patches[rows].astype(np.float32)
    flips = rng.random((size, 2)) < 0.5
    x[flips[:, 0]] = x[flips[:, 0], :, ::-1]
    x[flips[:, 1]] = x[flips[:, 1], ::-1, :]
    y = targets[table.image[rows]].astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(x[:, None])), torch.from_numpy(y)


def freeze_for_scores(*, net: IqaNet) -> list[nn.Parameter]:
    """Freeze the first units (``requires_grad`` off, BatchNorm in eval mode); returns the trainable parameters."""
    for module in net.frozen_modules():
        module.eval()
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    return [p for module in net.trainable_modules() for p in module.parameters()]


def fit_stage(
    *,
    net: IqaNet,
    table: PatchTable,
    targets: npt.NDArray[np.float64],
    settings: StageSettings,
    rng: np.random.Generator,
    pretext: bool,
    log: Log,
) -> list[float]:
    """Fit ``net`` to per-image ``targets`` (``(v,)`` log10 levels when ``pretext``, else ``(v, 3)`` scores);
    returns the running training loss logged every ``log_every`` steps."""
    net.train()
    params = [p for p in net.parameters() if p.requires_grad] if pretext else freeze_for_scores(net=net)
    optimiser = torch.optim.Adam(params, lr=settings.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=settings.steps, eta_min=settings.lr / 50)
    history, running = [], 0.0
    for step in range(1, settings.steps + 1):
        x, y = _batch(table=table, targets=targets, rng=rng, size=settings.batch)
        prediction = net.count_level(x) if pretext else net(x)
        loss = nn.functional.mse_loss(prediction, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if step % settings.log_every == 0 or step == settings.steps:
            history.append(running)
            log(f"{'pretext' if pretext else 'scores'} step {step}/{settings.steps} loss {running:.4f}")
    net.eval()
    return history


@torch.no_grad()
def predict_images(
    *, net: IqaNet, table: PatchTable, batch: int = 256
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per image: mean and std over its patches of the scores ``(v, 3)`` (each patch's clipped to [0, 3], as
    :func:`models.iqa.scoring.score_volume` does), and the mean pretext ``(v,)``."""
    net.eval()
    scores, levels = [], []
    for start in range(0, len(table.patches), batch):
        x = torch.from_numpy(table.patches[start : start + batch].astype(np.float32)[:, None])
        features = net.features(x)
        scores.append(net.head(features).clamp(0.0, 3.0).numpy())
        levels.append(net.pretext(features).squeeze(1).numpy())
    per_patch, per_level = np.concatenate(scores).astype(np.float64), np.concatenate(levels).astype(np.float64)
    count = len(table.levels)
    n = np.maximum(np.bincount(table.image, minlength=count), 1).astype(np.float64)

    def per_image(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(np.bincount(table.image, weights=values, minlength=count) / n, dtype=np.float64)

    mean = np.stack([per_image(per_patch[:, i]) for i in range(3)], axis=1)
    square = np.stack([per_image(per_patch[:, i] ** 2) for i in range(3)], axis=1)
    return mean, np.sqrt(np.maximum(square - mean**2, 0.0)), per_image(per_level)
