"""The three sections of the TGD experiments (:mod:`bench.tgd.experiments`): simulate, train, denoise, score.

* :func:`run_kernel_drop` (paper Fig. 4): the base network's kernels with KSE < φ, and what zeroing them
  (:func:`models.tgd.drop.drop_kernels`) does to the denoised held-out v1 studies;
* :func:`run_fine_tuning` (paper Table 1): v1-net, v2-net, FT-net, TGD-net on held-out v2 torso studies;
* :func:`run_online`: per-study TGD-N2N vs N2N without masks on v1 studies with a catheter / hot bladder.

The adapted networks are made once per study on realisation 0's half-count splits and then denoise all R
full-count realisations (realisations 1 … R − 1 are independent of the adaptation data), so the liver CoV is
the ensemble noise of one fixed adapted network, as for the base network.

Every network trained here other than the v2-net (FT-net, TGD-net, TGD-N2N, N2N without masks) is trained by
:func:`models.tgd.trainer.fine_tune` / :func:`adapt_network`: Adam, gradient clipping and BatchNorm in eval mode
(running statistics frozen), so the methods differ only in which parameters move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from bench.checks import TargetCheck
from bench.tgd.cases import Case, evaluation_cases, finetune_cases, kernel_drop_cases, online_cases, simulate_case
from bench.tgd.metrics import DropFigures, EnsembleFigures, drop_figures, ensemble_figures, roi_relative_error
from bench.tgd.results import (
    DropRow,
    FineTuningResult,
    KernelDropResult,
    LayerDropRow,
    NetworkScores,
    OnlineCaseResult,
    OnlineMethod,
    OnlineResult,
)
from bench.tgd.targets import bias_order_check, cov_order_check, cov_rise_check, ood_error_check
from bench.tgd.training import MaskedRun, V2NetSpec, ensure_v2_net, finetune_patches, patch_batches, train_under_masks
from imaging.metrics import psnr
from imaging.simulation.study import SimulatedStudy
from models.adaptation.focus import base_output, focus_excess
from models.adaptation.online import AdaptationSettings, adapt_network
from models.adaptation.pairs import split_batches
from models.dncnn import DnCNN
from models.engines import TorchEngine
from models.inference import denoise_volume
from models.tgd.drop import drop_kernels
from models.tgd.layer_masks import last_layers, layer_masks
from models.tgd.masks import TgdMasks, tgd_masks, trainable_kernel_fraction, trainable_parameter_fraction

__all__ = ["FT_BLOCKS", "Config", "run_fine_tuning", "run_kernel_drop", "run_online", "series_stack"]

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
Log = Callable[[str], None]

FT_BLOCKS = 3
"""FT-net retrains the base network's last 3 conv blocks (conv + BN), the last conv included."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """The run's settings (command line of :mod:`bench.tgd.experiments`)."""

    base: Path
    work: Path
    sections: tuple[str, ...]
    quick: bool
    json_path: Path | None
    level: float
    realisations: int
    studies: int
    phis: tuple[float, ...]
    phi: float
    ft_studies: int
    ft_steps: int
    ft_batch: int
    ft_lr: float
    v2: V2NetSpec
    adaptation: AdaptationSettings
    seed: int
    exclude_last: bool = False
    """kernel drop: leave conv depth − 2's kernels (the ones the last conv's KSE ranks) out of every drop; its
    per-layer min–max always scores one channel 0, so it drops a live channel whatever the network"""


def denoise_all(*, model: DnCNN, volumes: FloatArray, device: torch.device) -> FloatArray:
    """``volumes (R, z, y, x)`` (Bq/ml) each denoised by ``model`` as petiq does (:func:`denoise_volume`), one pass
    per slice: these tables compare networks, and were measured so (petiq itself averages
    ``DEFAULT_ENSEMBLE`` orientations, which lowers every network's noise alike)."""
    engine = TorchEngine(model.to(device).eval(), device)
    return np.stack([denoise_volume(voxels=volume, engine=engine, ensemble=1).voxels for volume in volumes])


def series_stack(*, study: SimulatedStudy, split: str | None) -> FloatArray:
    """Every realisation of ``study``'s series with ``split`` (None: the full-count ones), ``(R, z, y, x)``."""
    chosen = sorted((s for s in study.series if s.split == split), key=lambda s: s.realization)
    return np.stack([s.volume.voxels for s in chosen])


def _one_layer(*, masks: TgdMasks, layer: int) -> TgdMasks:
    """``masks`` restricted to conv ``layer``."""
    kept = tuple(mask if index == layer else torch.zeros_like(mask) for index, mask in enumerate(masks.trainable))
    return TgdMasks(trainable=kept, scores=masks.scores, phi=masks.phi)


def _last_ranking_excluded(masks: TgdMasks) -> TgdMasks:
    """``masks`` without the kernels of conv depth − 2 (those the last conv's input-channel KSE ranks)."""
    trainable = list(masks.trainable)
    trainable[-2] = torch.zeros_like(trainable[-2])
    return TgdMasks(trainable=tuple(trainable), scores=masks.scores, phi=masks.phi)


def run_kernel_drop(*, config: Config, base: DnCNN, device: torch.device, log: Log) -> KernelDropResult:
    """Kernels below each φ in ``base``, and the change of its output on held-out v1 studies when dropped (all
    at once for each φ; layer by layer at TGD's φ); with ``config.exclude_last`` the last conv's ranking is left
    out (:attr:`Config.exclude_last`)."""

    def masks_at(phi: float) -> TgdMasks:
        found = tgd_masks(model=base, phi=phi)
        return _last_ranking_excluded(found) if config.exclude_last else found

    masks = {phi: masks_at(phi) for phi in config.phis}
    tgd = masks_at(config.phi)
    layers = [index for index, mask in enumerate(tgd.trainable) if bool(mask.any())]
    nets: dict[tuple[str, float], DnCNN] = {("phi", phi): drop_kernels(model=base, masks=m) for phi, m in masks.items()}
    nets |= {("layer", i): drop_kernels(model=base, masks=_one_layer(masks=tgd, layer=i)) for i in layers}
    figures: dict[tuple[str, float], dict[str, DropFigures]] = {key: {} for key in nets}
    input_psnr: dict[str, float] = {}
    for case in kernel_drop_cases(studies=config.studies):
        study = simulate_case(case=case, levels=(config.level,), realisations=1, split=False, quick=config.quick)
        noisy, body = series_stack(study=study, split=None), study.phantom.masks["body"]
        input_psnr[case.name] = psnr(image=noisy[0], reference=study.reference, mask=body)
        denoised = denoise_all(model=base, volumes=noisy, device=device)[0]
        for key, net in nets.items():
            after = denoise_all(model=net, volumes=noisy, device=device)[0]
            figures[key][case.name] = drop_figures(
                noisy=noisy[0], base=denoised, dropped=after, reference=study.reference, body=body
            )
        log(f"kernel drop: {case.name} done")
    rows = [
        DropRow(
            phi=phi,
            kernel_pct=100.0 * trainable_kernel_fraction(masks=m),
            parameter_pct=100.0 * trainable_parameter_fraction(model=base, masks=m),
            per_layer=[int(mask.sum()) for mask in m.trainable[:-1]],
            figures=figures[("phi", phi)],
        )
        for phi, m in masks.items()
    ]
    per_layer = [
        LayerDropRow(layer=i, kernels=int(tgd.trainable[i].sum()), figures=figures[("layer", i)]) for i in layers
    ]
    return KernelDropResult(
        level=config.level, input_psnr_db=input_psnr, rows=rows, phi=config.phi, per_layer=per_layer
    )


def _network_rows(
    *,
    config: Config,
    base_note: str,
    timing: dict[str, float],
    runs: dict[str, MaskedRun],
    tgd: TgdMasks,
    percent: dict[str, float],
) -> list[NetworkScores]:
    """The table's networks, their training seconds, steps and notes (figures still empty)."""
    kinds = " + ".join(str(kind) for kind in config.v2.shard_config().kinds)
    batch = config.v2.train_config(shards=config.work).batch
    resumed = " (resumed; the interrupted part not counted)" if timing["from_step"] > 0 else ""
    common = f"{config.ft_steps} steps × batch {config.ft_batch}, lr {config.ft_lr:g}, BN statistics frozen"
    ft_note = (
        f"the base's last {FT_BLOCKS} conv blocks ({percent['FT-net']:.1f} % of parameters) on "
        f"{config.ft_studies} low-BMI v2 torso studies, {common}"
    )
    tgd_note = (
        f"TGD, φ = {config.phi:g}: {100 * trainable_kernel_fraction(masks=tgd):.1f} % of kernels, "
        f"{percent['TGD-net']:.1f} % of parameters; same studies, {common}"
    )
    v2_note = f"from scratch on {config.v2.studies} v2 shard studies ({kinds}), batch {batch}{resumed}"
    return [
        NetworkScores(network="input", seconds=None, steps=None, note="the noisy v2 series", figures={}),
        NetworkScores(network="v1-net", seconds=None, steps=None, note=base_note, figures={}),
        NetworkScores(
            network="v2-net", seconds=timing["seconds"], steps=int(timing["steps"]), note=v2_note, figures={}
        ),
        NetworkScores(
            network="FT-net", seconds=runs["FT-net"].seconds, steps=config.ft_steps, note=ft_note, figures={}
        ),
        NetworkScores(
            network="TGD-net", seconds=runs["TGD-net"].seconds, steps=config.ft_steps, note=tgd_note, figures={}
        ),
    ]


def _trained_networks(
    *, config: Config, base: DnCNN, base_note: str, log: Log
) -> tuple[dict[str, DnCNN | None], list[NetworkScores], dict[str, float]]:
    """Every network of the table (None = the noisy input), their table rows without figures, and the retrained
    parameter percentages."""
    v2, timing = ensure_v2_net(work=config.work, spec=config.v2, log=log)
    log("fine-tuning: simulating the FT/TGD training studies")
    patches = finetune_patches(cases=finetune_cases(count=config.ft_studies), quick=config.quick)
    ft_masks = layer_masks(model=base, layers=last_layers(model=base, count=FT_BLOCKS))
    tgd = tgd_masks(model=base, phi=config.phi)
    runs = {}
    for name, masks in (("FT-net", ft_masks), ("TGD-net", tgd)):
        batches = patch_batches(patches=patches, batch=config.ft_batch, seed=config.seed)
        runs[name] = train_under_masks(base=base, masks=masks, batches=batches, steps=config.ft_steps, lr=config.ft_lr)
        log(f"fine-tuning: {name} trained in {runs[name].seconds:.0f} s")
    percent = {
        "FT-net": 100.0 * trainable_parameter_fraction(model=base, masks=ft_masks),
        "TGD-net": 100.0 * trainable_parameter_fraction(model=base, masks=tgd),
    }
    rows = _network_rows(config=config, base_note=base_note, timing=timing, runs=runs, tgd=tgd, percent=percent)
    nets: dict[str, DnCNN | None] = {"input": None, "v1-net": base, "v2-net": v2}
    nets |= {name: run.model for name, run in runs.items()}
    return nets, rows, percent


def _fine_tuning_checks(*, case: Case, level: float, figures: dict[str, EnsembleFigures]) -> list[TargetCheck]:
    """Targets 1 (every study) and 2 (high-BMI studies) on one held-out study's figures by network."""
    tgd, v1, ft = figures["TGD-net"], figures["v1-net"], figures["FT-net"]
    checks = [bias_order_check(case=case.name, level=level, tgd_pct=tgd.mean_abs_bias_pct, v1_pct=v1.mean_abs_bias_pct)]
    if case.variant == "high_bmi" and tgd.liver_cov_pct is not None and ft.liver_cov_pct is not None:
        checks.append(cov_order_check(case=case.name, level=level, tgd_pct=tgd.liver_cov_pct, ft_pct=ft.liver_cov_pct))
    return checks


def run_fine_tuning(*, config: Config, base: DnCNN, base_note: str, device: torch.device, log: Log) -> FineTuningResult:
    """Train v2-net, FT-net and TGD-net and score every network on the held-out v2 studies (paper Table 1)."""
    nets, rows, percent = _trained_networks(config=config, base=base, base_note=base_note, log=log)
    cases = evaluation_cases(studies=config.studies)
    checks: list[TargetCheck] = []
    for case in cases:
        study = simulate_case(
            case=case, levels=(config.level,), realisations=config.realisations, split=False, quick=config.quick
        )
        noisy = series_stack(study=study, split=None)
        for row in rows:
            net = nets[row.network]
            images = noisy if net is None else denoise_all(model=net, volumes=noisy, device=device)
            row.figures[case.name] = ensemble_figures(images=images, reference=study.reference, phantom=study.phantom)
        by_name = {row.network: row.figures[case.name] for row in rows}
        checks += _fine_tuning_checks(case=case, level=config.level, figures=by_name)
        log(f"fine-tuning: {case.name} scored")
    return FineTuningResult(
        level=config.level,
        realisations=config.realisations,
        studies=[case.name for case in cases],
        networks=rows,
        trainable_pct=percent,
        checks=checks,
    )


def _online_methods(
    *, config: Config, base: DnCNN, study: SimulatedStudy, device: torch.device
) -> list[tuple[str, int, float, FloatArray]]:
    """Input, base, TGD-N2N, TGD²-N2N (a second round on KSE re-scored on TGD-N2N's network) and N2N without masks
    (same pairs, same steps) on one study: ``(method, adaptation steps, adaptation seconds, images (R, z, y, x))``.
    The OOD focus map (settings with a focus share or weight) is made once, from the base's output."""
    settings = config.adaptation
    a, b = (series_stack(study=study, split=split)[0] for split in ("A", "B"))
    focus = focus_excess(a=a, b=b, base=base_output(model=base, a=a, b=b)).excess if settings.focused else None

    def pairs(seed: int) -> Iterator[tuple[torch.Tensor, ...]]:
        return split_batches(
            a=a,
            b=b,
            patch=settings.patch,
            batch=settings.batch,
            rng=np.random.default_rng(seed),
            hot_share=settings.hot_share,
            focus=focus,
            focus_share=settings.focus_share,
            focus_weight=settings.focus_weight,
        )

    adapted, report = adapt_network(base=base, batches=pairs(settings.seed), settings=settings)
    second, second_report = adapt_network(
        base=adapted, batches=pairs(settings.seed + 1), settings=replace(settings, seed=settings.seed + 1)
    )
    everything = layer_masks(model=base, layers=range(len(base.convs)))
    same_steps = replace(settings, steps=report.steps, max_seconds=1e9)
    plain, plain_report = adapt_network(base=base, batches=pairs(settings.seed), settings=same_steps, masks=everything)
    full = series_stack(study=study, split=None)
    found = [("input", 0, 0.0, full), ("base", 0, 0.0, denoise_all(model=base, volumes=full, device=device))]
    runs = (
        ("TGD-N2N", adapted, report.steps, report.seconds),
        ("TGD²-N2N", second, report.steps + second_report.steps, report.seconds + second_report.seconds),
        ("N2N, no masks", plain, plain_report.steps, plain_report.seconds),
    )
    for name, net, steps, seconds in runs:
        found.append((name, steps, seconds, denoise_all(model=net, volumes=full, device=device)))
    return found


def _scored(
    *, method: str, steps: int, seconds: float, images: FloatArray, study: SimulatedStudy, mask: BoolArray
) -> OnlineMethod:
    """One method's row: OOD-ROI error and (R ≥ 2) liver CoV of ``images (R, z, y, x)``."""
    cov = None
    if len(images) > 1:
        cov = ensemble_figures(images=images, reference=study.reference, phantom=study.phantom).liver_cov_pct
    error = roi_relative_error(images=images, reference=study.reference, mask=mask)
    return OnlineMethod(method=method, ood_error_pct=error, liver_cov_pct=cov, steps=steps, seconds=seconds)


def _online_checks(*, case: Case, level: float, methods: list[OnlineMethod]) -> list[TargetCheck]:
    """Targets 3 and 4 (TGD-N2N against the base network) on one online study."""
    by_name = {method.method: method for method in methods}
    base, tgd = by_name["base"], by_name["TGD-N2N"]
    checks = [ood_error_check(case=case.name, level=level, adapted_pct=tgd.ood_error_pct, base_pct=base.ood_error_pct)]
    if base.liver_cov_pct is not None and tgd.liver_cov_pct is not None:
        checks.append(
            cov_rise_check(case=case.name, level=level, adapted_pct=tgd.liver_cov_pct, base_pct=base.liver_cov_pct)
        )
    return checks


def run_online(*, config: Config, base: DnCNN, device: torch.device, log: Log) -> OnlineResult:
    """TGD-N2N and N2N without masks against the base network on studies with an OOD catheter / hot bladder."""
    studies: list[OnlineCaseResult] = []
    checks: list[TargetCheck] = []
    for case in online_cases():
        study = simulate_case(
            case=case, levels=(config.level,), realisations=config.realisations, split=True, quick=config.quick
        )
        feature = case.ood[0]
        mask = study.phantom.masks[f"ood:{feature}"]
        methods = [
            _scored(method=name, steps=steps, seconds=seconds, images=images, study=study, mask=mask)
            for name, steps, seconds, images in _online_methods(config=config, base=base, study=study, device=device)
        ]
        studies.append(OnlineCaseResult(study=case.name, feature=feature, roi_voxels=int(mask.sum()), methods=methods))
        checks += _online_checks(case=case, level=config.level, methods=methods)
        log(f"online: {case.name} done")
    settings = {key: float(value) for key, value in asdict(config.adaptation).items()}
    return OnlineResult(
        level=config.level, realisations=config.realisations, settings=settings, studies=studies, checks=checks
    )
