"""What each section of the TGD experiments measured (plain dataclasses; :mod:`bench.tgd.tables` prints them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.checks import TargetCheck
from bench.tgd.metrics import DropFigures, EnsembleFigures

__all__ = [
    "DropRow",
    "FineTuningResult",
    "KernelDropResult",
    "LayerDropRow",
    "NetworkScores",
    "OnlineCaseResult",
    "OnlineMethod",
    "OnlineResult",
]


@dataclass(frozen=True, kw_only=True)
class DropRow:
    """Kernel drop at one threshold.

    Attributes:
        phi: the KSE threshold.
        kernel_pct: percent of the ranked output kernels (convs 0 … depth − 2) with KSE < φ.
        parameter_pct: percent of all learnable parameters that belong to them.
        per_layer: kernels below φ in each of convs 0 … depth − 2.
        figures: study name → :class:`DropFigures` of the network with those kernels dropped.
    """

    phi: float
    kernel_pct: float
    parameter_pct: float
    per_layer: list[int]
    figures: dict[str, DropFigures]


@dataclass(frozen=True, kw_only=True)
class LayerDropRow:
    """The kernels below TGD's φ of ONE conv layer dropped, the others kept: which layer's drop moves the output.

    Attributes:
        layer: conv index (its output kernels are dropped).
        kernels: how many.
        figures: study name → :class:`DropFigures`.
    """

    layer: int
    kernels: int
    figures: dict[str, DropFigures]


@dataclass(frozen=True, kw_only=True)
class KernelDropResult:
    """The kernel-drop experiment: count level, each study's input PSNR (dB), one row per φ, and per layer at
    TGD's ``phi``."""

    level: float
    input_psnr_db: dict[str, float]
    rows: list[DropRow]
    phi: float
    per_layer: list[LayerDropRow]


@dataclass(frozen=True, kw_only=True)
class NetworkScores:
    """One network of the fine-tuning table.

    Attributes:
        network: ``input`` (no denoising), ``v1-net``, ``v2-net``, ``FT-net``, ``TGD-net``.
        seconds: training seconds (None: not trained by this run, or nothing to train).
        steps: training steps (None when unknown or none).
        note: how it was trained.
        figures: held-out study name → :class:`EnsembleFigures`.
    """

    network: str
    seconds: float | None
    steps: int | None
    note: str
    figures: dict[str, EnsembleFigures]


@dataclass(frozen=True, kw_only=True)
class FineTuningResult:
    """The fine-tuning experiment (paper Table 1) on held-out v2 studies, with its target checks.

    ``trainable_pct``: network → percent of learnable parameters it retrained (FT-net, TGD-net).
    """

    level: float
    realisations: int
    studies: list[str]
    networks: list[NetworkScores]
    trainable_pct: dict[str, float]
    checks: list[TargetCheck] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OnlineMethod:
    """One method on one online study: error inside the OOD ROI and liver CoV (percent), its adaptation steps and
    seconds (0 for no adaptation)."""

    method: str
    ood_error_pct: float
    liver_cov_pct: float | None
    steps: int
    seconds: float


@dataclass(frozen=True, kw_only=True)
class OnlineCaseResult:
    """One study with an out-of-distribution feature: its name, the feature, the ROI's voxels, every method."""

    study: str
    feature: str
    roi_voxels: int
    methods: list[OnlineMethod]


@dataclass(frozen=True, kw_only=True)
class OnlineResult:
    """The online-learning experiment: level, realisations, adaptation settings, studies and target checks."""

    level: float
    realisations: int
    settings: dict[str, float]
    studies: list[OnlineCaseResult]
    checks: list[TargetCheck] = field(default_factory=list)
