"""The run plan of the TGD experiments: wall time estimated from a few small timed pieces.

:func:`measure_units` times one phantom, one acquisition + reconstruction, a few training steps at the fine-tuning
and at the adaptation batch sizes, and one batch of denoised slices (seconds; on the machine and load of the run);
:func:`estimate_plan` (pure) multiplies them by the work each section does. Not counted: KSE, metrics, the
v2-net's periodic validation (a few % of its training), file I/O. The figures are estimates for planning only.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from bench.tgd.cases import Case, phantom_of
from imaging.simulation.study import StudyRequest, simulate_study
from models.adaptation.pairs import split_batches
from models.dncnn import DnCNN
from models.engines import TorchEngine
from models.inference import denoise_volume
from models.tgd.layer_masks import layer_masks
from models.tgd.trainer import tgd_step, tgd_trainer

__all__ = ["PlanItem", "UnitTimes", "Workload", "estimate_plan", "measure_units"]


@dataclass(frozen=True, kw_only=True)
class UnitTimes:
    """Seconds of one piece of work (module docstring).

    Attributes:
        phantom_s: drawing one torso phantom.
        recon_s: one noisy acquisition and OSEM reconstruction of one torso series.
        train_step_s: one training step at the fine-tuning batch and patch (also the v2-net's).
        adapt_step_s: one step at the online adaptation's batch and patch.
        slice_s: denoising one torso slice (a whole series through :func:`denoise_volume`, over its slices).
    """

    phantom_s: float
    recon_s: float
    train_step_s: float
    adapt_step_s: float
    slice_s: float


@dataclass(frozen=True, kw_only=True)
class Workload:
    """What the run will do (sections that are not selected have counts of 0).

    Attributes:
        drop_studies, drop_networks: kernel drop: studies (one series each) and networks with kernels dropped.
        v2_shards, v2_steps: shards still to write and v2-net training steps still to run.
        shard_levels: noisy levels of a shard study (each also needs the full count and the noise-free series).
        ft_studies, ft_steps: fine-tuning studies (simulated like a shard) and steps of each of FT and TGD.
        eval_studies, eval_realisations, eval_networks: held-out v2 studies, realisations, networks scored.
        online_studies, online_realisations, adapt_steps: online studies, realisations, steps of each adaptation.
        slices: slices of a volume.
    """

    drop_studies: int = 0
    drop_networks: int = 0
    v2_shards: int = 0
    v2_steps: int = 0
    shard_levels: int = 0
    ft_studies: int = 0
    ft_steps: int = 0
    eval_studies: int = 0
    eval_realisations: int = 0
    eval_networks: int = 0
    online_studies: int = 0
    online_realisations: int = 0
    adapt_steps: int = 0
    slices: int = 0


@dataclass(frozen=True, kw_only=True)
class PlanItem:
    """One planned piece: its section, what it is, and the estimated seconds."""

    section: str
    item: str
    seconds: float


def _study_s(units: UnitTimes, studies: int, recons_each: int) -> float:
    return studies * (units.phantom_s + recons_each * units.recon_s)


def estimate_plan(*, work: Workload, units: UnitTimes) -> list[PlanItem]:
    """The estimated seconds of every piece of ``work`` (items of 0 s are left out)."""
    volume_s = work.slices * units.slice_s
    shard_recons = work.shard_levels + 2
    items = [
        PlanItem(section="kernel-drop", item="simulate", seconds=_study_s(units, work.drop_studies, 2)),
        PlanItem(
            section="kernel-drop",
            item="denoise (base + dropped nets)",
            seconds=work.drop_studies * (1 + work.drop_networks) * volume_s,
        ),
        PlanItem(section="fine-tuning", item="v2 shards", seconds=_study_s(units, work.v2_shards, shard_recons)),
        PlanItem(section="fine-tuning", item="v2-net training", seconds=work.v2_steps * units.train_step_s),
        PlanItem(section="fine-tuning", item="FT/TGD data", seconds=_study_s(units, work.ft_studies, shard_recons)),
        PlanItem(section="fine-tuning", item="FT-net + TGD-net", seconds=2 * work.ft_steps * units.train_step_s),
        PlanItem(
            section="fine-tuning",
            item="simulate held-out",
            seconds=_study_s(units, work.eval_studies, 2 * work.eval_realisations),
        ),
        PlanItem(
            section="fine-tuning",
            item="denoise held-out",
            seconds=work.eval_studies * work.eval_realisations * work.eval_networks * volume_s,
        ),
        PlanItem(
            section="online",
            item="simulate (with splits)",
            seconds=_study_s(units, work.online_studies, 4 * work.online_realisations),
        ),
        PlanItem(
            section="online",
            item="TGD-N2N, its second round, N2N adaptation",
            seconds=work.online_studies * 3 * work.adapt_steps * units.adapt_step_s,
        ),
        PlanItem(
            section="online", item="denoise", seconds=work.online_studies * work.online_realisations * 4 * volume_s
        ),
    ]
    return [item for item in items if item.seconds > 0]


def _timed(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up (allocations, thread pools)
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) / repeats


def _step_time(*, base: DnCNN, batches: Iterator[tuple[torch.Tensor, ...]]) -> float:
    """Seconds of drawing one batch and one masked step on it (every kernel trainable: the full backward pass)."""
    model = copy.deepcopy(base)
    trainer = tgd_trainer(model=model, masks=layer_masks(model=model, layers=range(len(model.convs))), lr=1e-6)

    def step() -> None:
        x, y, *_ = next(batches)
        tgd_step(trainer=trainer, x=x, y=y)

    return _timed(step, repeats=2)


def _random_batches(*, base: DnCNN, batch: int, patch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        yield torch.rand(batch, base.config.slices, patch, patch), torch.rand(batch, 1, patch, patch)


def measure_units(
    *, base: DnCNN, case: Case, quick: bool, train_batch: int, train_patch: int, adapt_batch: int, adapt_patch: int
) -> UnitTimes:
    """Time the pieces of :class:`UnitTimes` with ``base`` (CPU) on the torso ``case`` (~15 s in full): the
    adaptation step on pairs drawn from its simulated series as :func:`split_batches` draws them, the denoising
    on the whole series as :func:`denoise_volume` runs it."""
    start = time.perf_counter()
    phantom = phantom_of(case=case, quick=quick)
    phantom_s = time.perf_counter() - start
    request = StudyRequest(kind=case.kind, seed=case.seed, levels=(0.1,), protocol=case.protocol, variant=case.variant)
    start = time.perf_counter()
    study = simulate_study(request=request, phantom=phantom)
    recon_s = (time.perf_counter() - start) / 2  # the noisy series and the noise-free reference
    noisy = study.series[0].volume.voxels
    engine = TorchEngine(base.eval(), torch.device("cpu"))
    start = time.perf_counter()
    denoise_volume(voxels=noisy, engine=engine, ensemble=1)  # as bench.tgd.sections.denoise_all
    slice_s = (time.perf_counter() - start) / noisy.shape[0]
    pairs = split_batches(
        a=noisy, b=study.reference, patch=adapt_patch, batch=adapt_batch, rng=np.random.default_rng(0)
    )
    return UnitTimes(
        phantom_s=phantom_s,
        recon_s=recon_s,
        train_step_s=_step_time(base=base, batches=_random_batches(base=base, batch=train_batch, patch=train_patch)),
        adapt_step_s=_step_time(base=base, batches=pairs),
        slice_s=slice_s,
    )
