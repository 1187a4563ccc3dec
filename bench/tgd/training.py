"""Networks the TGD experiments train: the v2-net from scratch, FT/TGD fine-tunes, N2N without masks.

* :func:`ensure_v2_net`: v2-protocol shards (:func:`imaging.simulation.shard_store.run_shards`) and a from-scratch
  :func:`models.training.loop.train_denoiser` run in a cache folder; both resume where they stopped, and a
  finished run is only loaded. Layout of ``work``::

      shards-v2/       the shard folder (manifest.json, shard-*.npz)
      v2-net/          the training run (train-config.json, checkpoint.pt, dncnn.*) and timing.json

* :func:`finetune_patches`: the low-BMI v2 studies FT-net and TGD-net train on, simulated in memory and cut into
  patches exactly as a shard is (:func:`imaging.simulation.shards.simulate_shard`), normalised as the trainer's
  loader does (``inputs / scale``, ``clean / scale``);
* :func:`train_under_masks`: :func:`models.tgd.trainer.fine_tune` for ``steps`` steps on a copy of the base under
  any masks (TGD's KSE masks, or :func:`models.tgd.layer_masks.layer_masks` for FT-net and N2N without masks),
  so every network is trained by the same optimiser, learning rate, clipping and frozen BatchNorm statistics.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from bench.tgd.cases import QUICK_GRIDS, V2_SHARD_SEED, Case
from imaging.atomic import write_json_atomic
from imaging.errors import InputError
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.shard_store import run_shards, shard_path
from imaging.simulation.shards import DEFAULT_SHARD_LEVELS, ShardConfig, StudyPlan, simulate_shard
from models.bundle import METADATA_NAME, load_bundle_info, load_torch_model
from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks
from models.tgd.trainer import fine_tune
from models.training.checkpoint import load_checkpoint
from models.training.config import TrainConfig
from models.training.data import PatchSet, sample_batch
from models.training.loop import train_denoiser

__all__ = [
    "QUICK_LEVELS",
    "TIMING_NAME",
    "MaskedRun",
    "V2NetSpec",
    "ensure_v2_net",
    "finetune_patches",
    "patch_batches",
    "train_under_masks",
    "v2_progress",
]

TIMING_NAME = "timing.json"
QUICK_LEVELS = (0.05, 0.25)
"""Input count levels of the quick shards and fine-tuning patches."""


@dataclass(frozen=True, kw_only=True)
class V2NetSpec:
    """The v2-net's data and training run.

    Attributes:
        studies: v2 shard studies (brain and torso, like the v1-net's data; seeds ``V2_SHARD_SEED + i``).
        steps: training steps (batch 32 and every other setting the TrainConfig default, as the v1-net).
        width, depth, noise_map: the architecture (the base network's).
        quick: tiny shards (torso only, quick grid, 32-pixel patches, 2 levels) and a few steps of batch 4.
    """

    studies: int
    steps: int
    width: int
    depth: int
    quick: bool
    noise_map: bool = False

    def shard_config(self) -> ShardConfig:
        """The v2 shards' configuration."""
        if not self.quick:
            return ShardConfig(studies=self.studies, seed=V2_SHARD_SEED, protocols=("v2",), patches_per_level=32)
        shape, spacing = QUICK_GRIDS[PhantomKind.TORSO]
        return ShardConfig(
            studies=self.studies,
            seed=V2_SHARD_SEED,
            kinds=(PhantomKind.TORSO,),
            protocols=("v2",),
            levels=QUICK_LEVELS,
            patch=32,
            patches_per_level=4,
            shape=shape,
            spacing_mm=spacing,
        )

    def train_config(self, *, shards: Path) -> TrainConfig:
        """The v2-net's training run on ``shards``."""
        config = TrainConfig(
            shards=(str(shards),), width=self.width, depth=self.depth, noise_map=self.noise_map, steps=self.steps
        )
        if not self.quick:
            return config
        return replace(
            config, batch=4, warmup=1, val_every_nth_study=3, val_patches=8, eval_every=max(1, self.steps // 2)
        )


def v2_progress(*, work: Path, spec: V2NetSpec) -> tuple[int, int]:
    """(shards already written, training steps already done) in ``work`` (for the run plan)."""
    shards = work / "shards-v2"
    written = sum(shard_path(out=shards, index=i).exists() for i in range(spec.studies))
    checkpoint = load_checkpoint(directory=work / "v2-net") if (work / "v2-net").is_dir() else None
    return written, 0 if checkpoint is None else checkpoint.step


def _finished(run: Path) -> bool:
    return (run / METADATA_NAME).exists() and (run / TIMING_NAME).exists()


def ensure_v2_net(*, work: Path, spec: V2NetSpec, log: Callable[[str], None]) -> tuple[DnCNN, dict[str, float]]:
    """The v2-net (CPU, eval mode) and its timing ``{"seconds", "from_step", "steps"}``: trained now, resumed, or
    loaded when ``work/v2-net`` already holds it. ``seconds`` sums the invocations that finished the run; a run
    that was interrupted and resumed says so by ``from_step`` > 0 (the interrupted part is not counted)."""
    shards, run = work / "shards-v2", work / "v2-net"
    if not _finished(run):
        run_shards(out=shards, config=spec.shard_config(), log=log)
        config = spec.train_config(shards=shards)
        found = load_checkpoint(directory=run) if run.is_dir() else None
        from_step = 0 if found is None else found.step
        result = train_denoiser(config=config, out=run, log=log)
        timing = {"seconds": result.seconds, "from_step": float(from_step), "steps": float(config.steps)}
        write_json_atomic(path=run / TIMING_NAME, value=timing)
    timing = json.loads((run / TIMING_NAME).read_text())
    info = load_bundle_info(directory=run)
    wanted = (spec.width, spec.depth, spec.noise_map)
    if (info.config.width, info.config.depth, info.config.noise_map) != wanted:
        raise InputError(
            f"The v2-net in {run} has width {info.config.width}, depth {info.config.depth}, noise map "
            f"{info.config.noise_map}; the base network needs {wanted}. Use another --work folder.",
            check="v2_net_architecture",
            path=str(run),
        )
    return load_torch_model(info=info, device=torch.device("cpu")), timing


def finetune_patches(*, cases: Sequence[Case], quick: bool) -> PatchSet:
    """Patches of ``cases`` (v2 torso studies), as their shards would hold them, normalised, on the CPU."""
    shape, spacing = QUICK_GRIDS[PhantomKind.TORSO] if quick else (None, None)
    config = ShardConfig(
        studies=len(cases),
        seed=cases[0].seed,
        kinds=(PhantomKind.TORSO,),
        protocols=("v2",),
        levels=QUICK_LEVELS if quick else DEFAULT_SHARD_LEVELS,
        patch=32 if quick else 64,
        patches_per_level=4 if quick else 32,
        shape=shape,
        spacing_mm=spacing,
    )
    xs, ys, levels = [], [], []
    for index, case in enumerate(cases):
        variant = case.variant or "low_bmi"
        plan = StudyPlan(index=index, seed=case.seed, kind=case.kind, variant=variant, protocol=case.protocol)
        arrays = simulate_shard(plan=plan, config=config)
        scale = arrays["scale"].astype(np.float32)
        xs.append(arrays["inputs"] / scale[:, None, None, None])
        ys.append((arrays["clean"] / scale[:, None, None])[:, None])
        levels.append(arrays["level"])
    return PatchSet(
        x=torch.from_numpy(np.concatenate(xs).astype(np.float32)),
        y=torch.from_numpy(np.concatenate(ys).astype(np.float32)),
        level=torch.from_numpy(np.concatenate(levels).astype(np.float32)),
    )


@dataclass(frozen=True, kw_only=True)
class MaskedRun:
    """A network trained under masks: the model (eval mode), training seconds and the loss of every step."""

    model: DnCNN
    seconds: float
    losses: list[float]


def patch_batches(*, patches: PatchSet, batch: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless augmented batches of ``patches`` (:func:`models.training.data.sample_batch`, gain range 1.25)."""
    rng = np.random.default_rng(seed)
    while True:
        drawn = sample_batch(patches=patches, batch=batch, gain_range=1.25, rng=rng)
        yield drawn.x, drawn.y


def train_under_masks(
    *,
    base: DnCNN,
    masks: TgdMasks,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    steps: int,
    lr: float,
    clip_norm: float = 1.0,
) -> MaskedRun:
    """``steps`` masked steps (:func:`models.tgd.trainer.fine_tune`) on a copy of ``base`` (left untouched)."""
    model = copy.deepcopy(base).eval()
    start = time.perf_counter()
    losses = fine_tune(model=model, masks=masks, batches=batches, steps=steps, lr=lr, clip_norm=clip_norm)
    return MaskedRun(model=model, seconds=time.perf_counter() - start, losses=losses)
