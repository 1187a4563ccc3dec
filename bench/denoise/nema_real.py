"""Benchmark: a real NEMA IEC body phantom scan against the EARL 2 bands — input, petiq, a Gaussian at matched noise.

::

    python -m bench.denoise.nema_real [--data DIR] [--weights DIR] [--ensemble N]

The series (default ``../shared/data/pet-nema-iec-real``, beside the repository: a real scanner's reconstruction,
six hot spheres of one activity in a warm background) is read with petiq's own reader. Skipped, with a message
and exit status 0, when the folder is absent.

Analysis (:mod:`bench.denoise.real_phantom`): the spheres are found and their shared true activity fitted on the
unprocessed image (blurred uniform spheres with a cold 1.5 mm wall in a background, one activity, background and
PSF FWHM for all, :mod:`imaging.metrics.sphere_fit`); RC_max and RC_a50 (background-adapted 50 % isocontour,
:mod:`imaging.metrics.recovery`) of every image divide by that one activity. Background CoV: the voxel SD / mean
pooled over up to 12 circular 37 mm ROIs in the warm background of the sphere plane, repeated at ±10 and ±20 mm
(:mod:`imaging.metrics.iec_background`).

Images: the input; petiq's output at each strength level (``--weights``, onnxruntime first, ``--ensemble``
orientations, each level's blend weight α from the bundle, as ``petiq process --strength`` denoises); the input
under a 3D Gaussian whose FWHM is bisected until its background CoV matches petiq's at ``high`` (the network's
full output). Tables: RC_a50 and RC_max per sphere with the EARL 2 band and PASS/FAIL per cell, then the background
CoV of each image.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.denoise.real_phantom import ImageFigures, PhantomAnalysis, analyse_phantom, matched_gaussian, measure_image
from bench.shared_data import NEMA_SERIES
from bench.tables import format_table
from imaging.dicom.reader import read_pet_series
from imaging.metrics.iec_background import background_cov
from imaging.metrics.recovery import EARL2_BANDS, EarlBand
from models.bundle import load_bundle_info
from models.engines import open_engine
from models.inference import DEFAULT_ENSEMBLE, ENSEMBLE_SIZES, denoise_volume
from models.strength import LEVELS, blend_weight

__all__ = ["main", "recovery_table"]

DEFAULT_DATA = NEMA_SERIES
DEFAULT_WEIGHTS = Path("models/weights/dncnn")


@dataclass(frozen=True, kw_only=True)
class Config:
    """The run's settings (command line)."""

    data: Path
    weights: Path
    ensemble: int


def _cell(value: float, band: EarlBand) -> str:
    return f"{value:.2f} {'PASS' if band.contains(value) else 'FAIL'}"


def recovery_table(*, title: str, figures: dict[str, ImageFigures], which: str) -> str:
    """RC per sphere (rows) and image (columns), each cell with its EARL 2 verdict; ``which``: ``a50`` or
    ``max``."""
    names = list(figures)
    rows = []
    for index, sphere in enumerate(next(iter(figures.values())).spheres):
        bands = EARL2_BANDS[sphere.diameter_mm]
        band = bands.rc_a50 if which == "a50" else bands.rc_max
        cells = []
        for name in names:
            found = figures[name].spheres[index]
            cells.append(_cell(found.rc_a50 if which == "a50" else found.rc_max, band))
        rows.append([f"{sphere.diameter_mm:g} mm", f"{band.low:.2f}–{band.high:.2f}", *cells])
    return format_table(title=title, header=["sphere", "EARL 2 band", *names], rows=rows)


def _passes(figures: ImageFigures) -> int:
    return sum(
        EARL2_BANDS[s.diameter_mm].rc_a50.contains(s.rc_a50) + EARL2_BANDS[s.diameter_mm].rc_max.contains(s.rc_max)
        for s in figures.spheres
    )


def background_table(*, figures: dict[str, ImageFigures], settings: dict[str, str]) -> str:
    """Each image's background CoV, mean and EARL cells in band."""
    rows = [
        [
            name,
            f"{found.background.cov_pct:.2f}",
            f"{found.background.mean:.0f}",
            f"{_passes(found)}/{2 * len(found.spheres)}",
            settings.get(name, "–"),
        ]
        for name, found in figures.items()
    ]
    return format_table(
        title="Background: voxel CoV (SD / mean over the pooled ROI voxels), mean; EARL 2 cells in band",
        header=["image", "CoV %", "mean", "in band", "setting"],
        rows=rows,
        left=(0, 4),
    )


def _describe(*, config: Config, shape: tuple[int, ...], spacing: tuple[float, ...], analysis: PhantomAnalysis) -> str:
    fit, layout = analysis.fit, analysis.layout
    grid = "×".join(str(n) for n in shape)
    mm = " × ".join(f"{s:.2f}" for s in spacing)
    return "\n".join(
        [
            f"Input: {config.data} ({grid} voxels of {mm} mm, z y x)",
            f"Spheres: plane z = {layout.axis_mm[0]:.1f} mm from slice 0, 37 mm sphere at {layout.rotation_deg:.0f}°, "
            f"sizes decreasing {'with' if layout.direction > 0 else 'against'} the angle",
            f"Joint fit on the input: true activity {fit.activity:.0f}, background {fit.background:.0f} "
            f"(image units), PSF FWHM {fit.fwhm_mm:.2f} mm, {fit.n_voxels} voxels, RMS residual {fit.rms_residual:.0f}",
            f"Background ROIs: {len(analysis.background_centres_mm)} × 37 mm on the sphere plane, repeated at "
            "±10 and ±20 mm",
            "RC = VOI statistic / the fitted true activity; A50: voxels ≥ B + 0.5·(max − B) connected to the max, "
            "B the image's background ROI mean",
        ]
    )


def parse_config(argv: Sequence[str] | None = None) -> Config:
    """The run's settings from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the NEMA IEC series folder")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS, help="denoiser bundle folder")
    parser.add_argument(
        "--ensemble", type=int, choices=ENSEMBLE_SIZES, default=DEFAULT_ENSEMBLE, help="petiq's orientations averaged"
    )
    args = parser.parse_args(argv)
    return Config(data=args.data, weights=args.weights, ensemble=args.ensemble)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark (module docstring) and print its tables."""
    config, start = parse_config(argv), time.perf_counter()
    if not config.data.is_dir():
        print(f"skipped: no NEMA IEC series at {config.data} (see the shared data folder's README)")
        return
    volume = read_pet_series(source=config.data).volume
    spacing = volume.geometry.spacing_mm
    analysis = analyse_phantom(voxels=volume.voxels, spacing_mm=spacing)
    info = load_bundle_info(directory=config.weights)
    engine = open_engine(info=info)
    levels = {
        level: denoise_volume(
            voxels=volume.voxels,
            engine=engine,
            ensemble=config.ensemble,
            blend=blend_weight(strengths=info.strengths, strength=level),
        ).voxels
        for level in LEVELS
    }
    level_figures = {
        f"petiq {level}": measure_image(voxels=image, spacing_mm=spacing, analysis=analysis)
        for level, image in levels.items()
    }
    petiq_figures = level_figures["petiq high"]

    def cov_of(image: np.ndarray) -> float:
        return background_cov(image=image, spacing_mm=spacing, centres_mm=analysis.background_centres_mm).cov_pct

    gaussian = matched_gaussian(
        voxels=volume.voxels, spacing_mm=spacing, cov_of=cov_of, target_pct=petiq_figures.background.cov_pct
    )
    figures = {
        "input": measure_image(voxels=volume.voxels, spacing_mm=spacing, analysis=analysis),
        **level_figures,
        "gaussian": measure_image(voxels=gaussian.image, spacing_mm=spacing, analysis=analysis),
    }
    matched = f"FWHM {gaussian.fwhm_mm:.2f} mm (σ {gaussian.sigma_mm:.2f} mm)"
    print(f"petiq {info.name} {info.version} ({config.weights}, {engine.name}, ensemble {config.ensemble})")
    print(_describe(config=config, shape=volume.shape, spacing=spacing, analysis=analysis))
    print(f"Gaussian at petiq high's background CoV: {matched}{'' if gaussian.bracketed else ' (NOT reached)'}\n")
    print(recovery_table(title="RC_a50 (EARL 2 band; PASS = inside)", figures=figures, which="a50"))
    print()
    print(recovery_table(title="RC_max (EARL 2 band; PASS = inside)", figures=figures, which="max"))
    print()
    settings = {
        f"petiq {level}": f"α {blend_weight(strengths=info.strengths, strength=level):.2f}, ensemble {config.ensemble}"
        for level in LEVELS
    }
    print(background_table(figures=figures, settings=settings | {"gaussian": matched}))
    print(f"\nWall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
