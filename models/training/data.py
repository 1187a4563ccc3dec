"""Shards in memory as normalised training and validation tensors, and the seeded batch sampler.

Each shard sample (see :mod:`imaging.simulation.shards`) becomes ``x = inputs / scale`` ``(3, P, P)`` and
``y = target / scale`` ``(1, P, P)`` (``clean`` or the full-count slice), both float32, dimensionless (activity
over the volume's activity scale). Whole studies are held out for validation, never single patches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from imaging.errors import InputError
from imaging.simulation.shard_store import MANIFEST_FORMAT, MANIFEST_NAME, shard_path
from models.training.config import Target, TrainConfig

__all__ = ["Batch", "PatchSet", "lesion_draw_weights", "load_patch_sets", "sample_batch"]


@dataclass(frozen=True, kw_only=True)
class PatchSet:
    """``x (n, 3, P, P)`` and ``y (n, 1, P, P)`` float32 normalised patches, ``level (n,)`` count levels and, when
    the run reads them, ``lesion (n, 1, P, P) uint8`` lesion labels of the centre slice (0: no lesion)."""

    x: torch.Tensor
    y: torch.Tensor
    level: torch.Tensor
    lesion: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True, kw_only=True)
class Batch:
    """One training batch: ``x (b, 3, P, P)``, ``y (b, 1, P, P)`` and ``lesion (b, 1, P, P)`` labels (or None)."""

    x: torch.Tensor
    y: torch.Tensor
    lesion: torch.Tensor | None = None


def _study_count(*, folder: Path) -> int:
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
    except (OSError, ValueError) as error:
        raise InputError(
            f"Argument 'shards' names a folder without a readable manifest: {error}.", path=str(folder)
        ) from error
    if manifest.get("format") != MANIFEST_FORMAT:
        raise InputError(
            f"Argument 'shards' names a folder of format {manifest.get('format')!r}, expected {MANIFEST_FORMAT!r}; "
            "rewrite it with petiq simulate-shards.",
            check="shard_format",
            path=str(folder),
        )
    return len(manifest["studies"])


Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]


def _load_shard(*, path: Path, target: Target, lesions: bool) -> Part:
    if not path.exists():
        raise InputError(f"Shard {path.name} is missing; finish the run with petiq simulate-shards.", path=str(path))
    with np.load(path, allow_pickle=False) as arrays:
        if lesions and "lesion" not in arrays.files:
            raise InputError(
                f"Shard {path.name} has no lesion labels, which lesion oversampling and the lesion term need; "
                "rewrite its folder with this petiq's simulate-shards.",
                check="shard_lesions",
                path=str(path),
            )
        scale = arrays["scale"].astype(np.float32)[:, None, None]
        x = arrays["inputs"] / scale[:, None]
        y = (arrays["clean"] if target is Target.CLEAN else arrays["target"]) / scale
        labels = arrays["lesion"][:, None].astype(np.uint8) if lesions else None
        return x.astype(np.float32), y[:, None].astype(np.float32), arrays["level"].astype(np.float32), labels


def _stack(parts: list[Part]) -> PatchSet:
    x, y, level = (np.concatenate([part[i] for part in parts]) for i in range(3))
    labels = [part[3] for part in parts]
    lesion = None if any(item is None for item in labels) else torch.from_numpy(np.concatenate(labels))  # type: ignore[arg-type]
    return PatchSet(x=torch.from_numpy(x), y=torch.from_numpy(y), level=torch.from_numpy(level), lesion=lesion)


def load_patch_sets(*, config: TrainConfig) -> tuple[PatchSet, PatchSet]:
    """The training and validation :class:`PatchSet` of ``config.shards`` (every n-th study held out).

    InputError for a folder that is not a complete shard run of the current format.
    """
    train: list[Part] = []
    val: list[Part] = []
    for name in config.shards:
        folder = Path(name)
        for index in range(_study_count(folder=folder)):
            part = _load_shard(
                path=shard_path(out=folder, index=index), target=config.target, lesions=config.uses_lesions
            )
            (val if index % config.val_every_nth_study == 0 else train).append(part)
    if not train or not val:
        raise InputError(
            f"Arguments 'shards' hold {len(train)} training and {len(val)} validation studies; need ≥ 1 of each.",
            check="shards",
        )
    return _stack(train), _stack(val)


def lesion_draw_weights(*, patches: PatchSet, oversample: float) -> np.ndarray | None:
    """Draw probabilities ``(n,)`` giving each patch with a lesion voxel ``oversample`` times the weight of one
    without; None (uniform) when ``oversample`` is 1 or the set has no labels or no lesion."""
    if oversample <= 1.0 or patches.lesion is None:
        return None
    present = (patches.lesion.flatten(1).amax(dim=1) > 0).numpy()
    if not present.any():
        return None
    weights = np.where(present, oversample, 1.0)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def sample_batch(
    *,
    patches: PatchSet,
    batch: int,
    gain_range: float,
    rng: np.random.Generator,
    draw: np.ndarray | None = None,
) -> Batch:
    """``batch`` random patches with a random dihedral transform, slice-order flip and gain (input and target;
    lesion labels turned alike). ``draw``: each patch's probability (:func:`lesion_draw_weights`), None uniform.

    All randomness comes from ``rng``; the same generator state gives the same batch.
    """
    index = rng.integers(len(patches), size=batch) if draw is None else rng.choice(len(patches), size=batch, p=draw)
    x, y = patches.x[index], patches.y[index]
    lesion = None if patches.lesion is None else patches.lesion[index]
    rotations, flip_x, flip_z = int(rng.integers(4)), bool(rng.integers(2)), bool(rng.integers(2))
    x, y = torch.rot90(x, rotations, dims=(2, 3)), torch.rot90(y, rotations, dims=(2, 3))
    lesion = None if lesion is None else torch.rot90(lesion, rotations, dims=(2, 3))
    if flip_x:
        x, y = torch.flip(x, dims=(3,)), torch.flip(y, dims=(3,))
        lesion = None if lesion is None else torch.flip(lesion, dims=(3,))
    if flip_z:
        x = torch.flip(x, dims=(1,))
    log_gain = rng.uniform(-np.log(gain_range), np.log(gain_range), size=batch) if gain_range > 1 else np.zeros(batch)
    gain = torch.from_numpy(np.exp(log_gain).astype(np.float32))[:, None, None, None]
    return Batch(
        x=(x * gain).contiguous(), y=(y * gain).contiguous(), lesion=None if lesion is None else lesion.contiguous()
    )
