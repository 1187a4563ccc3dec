"""Benchmark: denoiser bundles side by side on the same held-out simulations (the basis of the default width).

::

    python -m bench.denoise.width_compare --weights RUN_W16 RUN_W32 RUN_W48 [--realisations 3] [--levels 0.05,0.1,0.25]
        [--ensemble 1] [--quick]

The held-out studies of :mod:`bench.denoise.quality` (low- and high-BMI torso, NEMA IEC; protocol v1) are
simulated once, and every bundle denoises the same realisations; figures are against the noise-free
reconstruction. One pass per slice by default (``--ensemble 1``): this compares networks, not inference modes.

Tables: each bundle's width, parameters, training steps and final validation loss; the speed of one pass in ms
per 344×344 slice (onnxruntime on this machine, the same slices for every bundle; ratio to the first bundle,
measured in this run); PSNR (dB) per study and level with the best Gaussian (FWHM sweep chosen on realisation
0, as in :mod:`bench.denoise.quality`) as a reference row; the mean |ensemble lesion bias| (%) over the torso
lesions per level; the NEMA 10 and 13 mm spheres' contrast recovery (background variability), %.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from bench.denoise.baselines import DEFAULT_FWHM_SWEEP_MM, gaussian_baseline
from bench.denoise.cases import Case, held_out_cases, held_out_phantom
from bench.denoise.scores import Scores, score_images
from bench.denoise.sweeps import best_setting
from bench.tables import format_table, level_label
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.study import StudyRequest, simulate_study
from models.bundle import BundleInfo, load_bundle_info, load_torch_model
from models.engines import Engine, open_engine
from models.inference import ENSEMBLE_SIZES, denoise_volume

__all__ = ["Entry", "main", "slice_ms"]

FloatArray = npt.NDArray[np.float32]
SPEED_SHAPE = (8, 344, 344)
NEMA_SPHERES_MM = (10.0, 13.0)


@dataclass(kw_only=True)
class Entry:
    """One bundle: its info, engine, and its scores by ``(case name, level)``."""

    info: BundleInfo
    engine: Engine
    scores: dict[tuple[str, float], Scores] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``version`` (``directory name``)."""
        return f"{self.info.version} ({self.info.directory.name})"


def slice_ms(*, engine: Engine, repeats: int = 2) -> float:
    """Milliseconds per 344×344 slice of one pass (best of ``repeats`` over an 8-slice random volume)."""
    voxels = np.random.default_rng(0).gamma(2.0, 500.0, size=SPEED_SHAPE).astype(np.float32)
    denoise_volume(voxels=voxels[:3], engine=engine, ensemble=1)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        denoise_volume(voxels=voxels, engine=engine, ensemble=1)
        best = min(best, time.perf_counter() - start)
    return best / SPEED_SHAPE[0] * 1000.0


def _best_gaussian(*, inputs: FloatArray, reference: FloatArray, phantom: Phantom) -> Scores:
    """The Gaussian whose FWHM has the best PSNR on realisation 0, scored on every realisation (PSNR only)."""
    first = {
        fwhm: score_images(
            images=gaussian_baseline(voxels=inputs[0], fwhm_mm=fwhm, spacing_mm=phantom.spacing_mm)[None],
            reference=reference,
            phantom=phantom,
            full=False,
        ).psnr_db
        for fwhm in DEFAULT_FWHM_SWEEP_MM
    }
    chosen = best_setting(scores=first)
    images = np.stack([gaussian_baseline(voxels=x, fwhm_mm=chosen, spacing_mm=phantom.spacing_mm) for x in inputs])
    return score_images(images=images.astype(np.float32), reference=reference, phantom=phantom, full=False)


def _evaluate(
    *, case: Case, entries: list[Entry], levels: tuple[float, ...], realisations: int, ensemble: int, quick: bool
) -> dict[float, Scores]:
    """Score every entry on ``case`` at ``levels``; returns the best Gaussian's scores by level."""
    phantom = held_out_phantom(case=case, quick=quick)
    request = StudyRequest(
        kind=case.kind,
        seed=case.seed,
        levels=levels,
        protocol="v1",
        realizations=realisations,
        variant=case.variant,
    )
    study = simulate_study(request=request, phantom=phantom)
    gaussian: dict[float, Scores] = {}
    for level in levels:
        series = sorted((s for s in study.series if s.level == level and s.split is None), key=lambda s: s.realization)
        inputs = np.stack([s.volume.voxels for s in series]).astype(np.float32)
        gaussian[level] = _best_gaussian(inputs=inputs, reference=study.reference, phantom=phantom)
        for entry in entries:
            images = np.stack(
                [denoise_volume(voxels=x, engine=entry.engine, ensemble=ensemble).voxels for x in inputs]
            ).astype(np.float32)
            entry.scores[(case.name, level)] = score_images(
                images=images, reference=study.reference, phantom=phantom, full=True
            )
        print(f"  {case.name} {level_label(level=level)} done", flush=True)
    return gaussian


def _bundle_table(*, entries: list[Entry]) -> str:
    speeds = [slice_ms(engine=entry.engine) for entry in entries]
    rows = []
    for entry, speed in zip(entries, speeds, strict=True):
        history = entry.info.metadata.get("history") or [{}]
        training = entry.info.metadata.get("training", {})
        params = _parameters(entry.info)
        rows.append(
            [
                entry.label,
                str(entry.info.config.width),
                f"{params:,}",
                str(training.get("steps", "–")),
                "yes" if training.get("init") else "no",
                f"{history[-1].get('val_loss', float('nan')):.4f}",
                f"{speed:.1f}",
                f"{speed / speeds[0]:.2f}",
            ]
        )
    header = ["bundle", "width", "parameters", "steps", "fine-tuned", "val loss", "ms/slice", "× first"]
    title = "Bundles (speed: one pass, onnxruntime where it loads, 344×344 slices)"
    return format_table(title=title, header=header, rows=rows, left=(0, 4))


def _parameters(info: BundleInfo) -> int:
    model = load_torch_model(info=info, device=torch.device("cpu"))
    return sum(p.numel() for p in model.parameters())


def _psnr_table(*, cases: list[Case], entries: list[Entry], gaussian: dict[str, dict[float, Scores]]) -> str:
    levels = sorted({level for _, level in entries[0].scores})
    columns = [(case.name, level) for case in cases for level in levels]
    header = ["method", *(f"{name} {level_label(level=level)}" for name, level in columns)]
    rows = [["best gaussian", *(f"{gaussian[name][level].mean_psnr_db:.2f}" for name, level in columns)]]
    rows += [[entry.label, *(f"{entry.scores[key].mean_psnr_db:.2f}" for key in columns)] for entry in entries]
    return format_table(title="PSNR (dB) in the body, mean over R", header=header, rows=rows)


def _bias_table(*, cases: list[Case], entries: list[Entry]) -> str:
    levels = sorted({level for _, level in entries[0].scores})
    torsos = [case.name for case in cases if case.kind is PhantomKind.TORSO]
    rows = []
    for entry in entries:
        cells = []
        for level in levels:
            biases = [abs(b) for name in torsos for b in entry.scores[(name, level)].lesion_bias_pct.values()]
            cells.append(f"{np.mean(biases):.1f}" if biases else "–")
        rows.append([entry.label, *cells])
    header = ["bundle", *(level_label(level=level) for level in levels)]
    title = "Mean |ensemble lesion bias| (%) over the torso lesions"
    return format_table(title=title, header=header, rows=rows)


def _nema_table(*, cases: list[Case], entries: list[Entry]) -> str:
    levels = sorted({level for _, level in entries[0].scores})
    nemas = [case.name for case in cases if case.kind is PhantomKind.NEMA]
    header = ["bundle", *(f"{d:.0f} mm {level_label(level=lv)}" for lv in levels for d in NEMA_SPHERES_MM)]
    rows = []
    for entry in entries:
        cells = []
        for level in levels:
            spheres = [s for name in nemas for s in entry.scores[(name, level)].nema]
            for diameter in NEMA_SPHERES_MM:
                chosen = [s for s in spheres if abs(s.diameter_mm - diameter) < 0.5]
                cr = np.mean([s.contrast_recovery_pct for s in chosen])
                bv = np.mean([s.background_variability_pct for s in chosen])
                cells.append(f"{cr:.1f} ({bv:.1f})")
        rows.append([entry.label, *cells])
    title = "NEMA contrast recovery % (background variability %), mean over R"
    return format_table(title=title, header=header, rows=rows)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the comparison and print its tables (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--weights", type=Path, nargs="+", required=True, help="bundle folders, the first is the ratio's"
    )
    parser.add_argument("--realisations", type=int, default=3, help="noise realisations R (≥ 2)")
    parser.add_argument("--levels", default="0.05,0.1,0.25", help="count levels")
    parser.add_argument("--studies", type=int, default=1, help="held-out studies of each phantom type")
    parser.add_argument("--ensemble", type=int, choices=ENSEMBLE_SIZES, default=1, help="orientations averaged")
    parser.add_argument("--quick", action="store_true", help="small grids: a smoke run")
    args = parser.parse_args(argv)
    if args.realisations < 2:
        parser.error("--realisations should be ≥ 2 (lesion bias is an ensemble figure)")
    try:
        levels = tuple(float(v) for v in args.levels.split(","))
    except ValueError:
        parser.error(f"--levels should be comma-separated numbers, got {args.levels!r}")
    entries = [Entry(info=(info := load_bundle_info(directory=d)), engine=open_engine(info=info)) for d in args.weights]
    cases = held_out_cases(studies=args.studies)
    print(f"Bundles side by side: R = {args.realisations}, ensemble {args.ensemble}, levels {args.levels}", flush=True)
    start = time.perf_counter()
    gaussian = {
        case.name: _evaluate(
            case=case,
            entries=entries,
            levels=levels,
            realisations=args.realisations,
            ensemble=args.ensemble,
            quick=args.quick,
        )
        for case in cases
    }
    for table in (
        _bundle_table(entries=entries),
        _psnr_table(cases=cases, entries=entries, gaussian=gaussian),
        _bias_table(cases=cases, entries=entries),
        _nema_table(cases=cases, entries=entries),
    ):
        print(f"\n{table}")
    print(f"\nWall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
