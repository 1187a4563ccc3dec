"""Check: does the split uncertainty ``u`` read the true noise of the denoised output?

::

    python -m bench.denoise.uncertainty_check [--weights DIR] [--realizations 16] [--levels 0.05,0.25]
        [--strength medium] [--seed 11]

Simulates one torso phantom (64 × 128 × 128 voxels of 4 mm) ``R`` times at each count level with its two
half-count splits, denoises the three series of each realisation as ``petiq process`` does (ensemble 2, the
strength's blend) and estimates ``u`` from the two denoised splits (:mod:`imaging.uncertainty`). The truth: the
standard deviation over the ``R`` realisations of the denoised full-count output, voxel by voxel. Printed per
region (body, liver, lung, the phantom's lesions, the mean output's 5 hottest spots):

- ``rms``: ``sqrt(mean u²) / sqrt(mean SD²)`` (means over the realisations and the region's voxels): 1 when
  ``u²`` is right on average, i.e. the variance law ``E[(D_A − D_B)²] = 4 σ²`` holds;
- ``mean``: the same with each voxel's ``u`` averaged over the realisations first, ``ū``: what one map reads on
  average, lower than ``rms`` by the bias of a square root of a noisy local mean (about 5 %);

and the same for the raw OSEM series (the 1 / counts law alone, no network), and the correlation in the body of
the two maps smoothed by σ = 2 voxels (1 = the map's shape is right).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from bench.tables import format_table, level_label
from core.strength import Strength
from imaging.hot_regions import hottest_regions
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import StudyRequest, simulate_study
from imaging.uncertainty import split_uncertainty
from models.bundle_info import load_bundle_info
from models.strength import blend_weight
from workers.pipeline.denoise import Denoiser, denoise, open_denoiser

__all__ = ["main", "map_correlation", "region_ratios"]

Stack = npt.NDArray[np.float32]
"""``(R, z, y, x)``: one volume per realisation."""


def region_ratios(*, uncertainty: Stack, outputs: Stack, mask: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """``(rms, mean)`` (module docstring) of the maps ``uncertainty`` against the SD of ``outputs`` over ``mask``."""
    sd = np.sqrt(np.mean(np.var(outputs, axis=0, ddof=1)[mask], dtype=np.float64))
    rms = np.sqrt(np.mean(np.square(uncertainty[:, mask], dtype=np.float64)))
    mean = np.sqrt(np.mean(np.square(uncertainty[:, mask].mean(axis=0, dtype=np.float64))))
    return float(rms / sd), float(mean / sd)


def map_correlation(*, uncertainty: Stack, outputs: Stack, mask: npt.NDArray[np.bool_]) -> float:
    """Correlation over ``mask`` of the mean ``uncertainty`` map and the SD map of ``outputs``, both smoothed by
    σ = 2 voxels."""
    mean_u = ndimage.gaussian_filter(uncertainty.mean(axis=0), 2.0)[mask]
    sd = ndimage.gaussian_filter(outputs.std(axis=0, ddof=1), 2.0)[mask]
    return float(np.corrcoef(mean_u, sd)[0, 1])


def _regions(*, phantom: Phantom, mean_output: Stack) -> dict[str, npt.NDArray[np.bool_]]:
    body = phantom.masks["body"]
    regions = {name: phantom.masks[name] & body for name in ("body", "liver", "lung") if name in phantom.masks}
    lesions = [mask for name, mask in phantom.masks.items() if name.startswith("lesion:")]
    if lesions:
        regions[f"{len(lesions)} lesions"] = np.logical_or.reduce(lesions)
    for number, spot in enumerate(hottest_regions(voxels=mean_output, body=body), start=1):
        mask = np.zeros(body.shape, dtype=np.bool_)
        mask[spot.box] = spot.mask
        regions[f"hot spot {number}"] = mask
    return regions


def _stacks(
    *, phantom: Phantom, level: float, args: argparse.Namespace, denoiser: Denoiser, blend: float
) -> dict[str, tuple[Stack, Stack]]:
    """``{"petiq": (u, outputs), "OSEM": (u, inputs)}`` over the realisations at ``level``."""
    request = StudyRequest(
        kind=PhantomKind.TORSO, seed=args.seed, levels=(level,), split=True, realizations=args.realizations
    )
    study = simulate_study(request=request, phantom=phantom)
    found: dict[str, tuple[list[Stack], list[Stack]]] = {"petiq": ([], []), "OSEM": ([], [])}
    for realization in range(args.realizations):
        raw = {series.split: series.volume for series in study.series if series.realization == realization}
        out = {key: denoise(volume=volume, denoiser=denoiser, blend=blend).volume.voxels for key, volume in raw.items()}
        for name, volumes in (("petiq", out), ("OSEM", {key: volume.voxels for key, volume in raw.items()})):
            found[name][0].append(split_uncertainty(denoised_a=volumes["A"], denoised_b=volumes["B"]))
            found[name][1].append(volumes[None])
    return {name: (np.stack(u), np.stack(outputs)) for name, (u, outputs) in found.items()}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.denoise.uncertainty_check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--weights", type=Path, default=Path("models/weights/dncnn"), help="the denoiser bundle")
    parser.add_argument("--realizations", type=int, default=16, help="noise realisations R (≥ 2)")
    parser.add_argument("--levels", default="0.05,0.25", help="count levels, fractions of the full count")
    parser.add_argument("--strength", choices=[level.value for level in Strength], default="medium")
    parser.add_argument("--seed", type=int, default=11, help="seed of the phantom and the noise")
    args = parser.parse_args(argv)
    if args.realizations < 2:
        parser.error("--realizations should be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Print one table per count level (module docstring)."""
    args = _parse(argv)
    info = load_bundle_info(directory=args.weights)
    denoiser = open_denoiser(info=info)
    blend = blend_weight(strengths=info.strengths, strength=args.strength)
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=args.seed)
    print(
        f"{info.name} {info.version} (sha256 {info.onnx_sha256[:12]}), strength {args.strength}, R {args.realizations}"
    )
    for level in (float(text) for text in args.levels.split(",")):
        stacks = _stacks(phantom=phantom, level=level, args=args, denoiser=denoiser, blend=blend)
        regions = _regions(phantom=phantom, mean_output=stacks["petiq"][1].mean(axis=0))
        rows = []
        for name, mask in regions.items():
            cells = [name]
            for u, outputs in stacks.values():
                rms, mean = region_ratios(uncertainty=u, outputs=outputs, mask=mask)
                sd = float(np.sqrt(np.mean(np.var(outputs, axis=0, ddof=1)[mask])))
                cells += [f"{rms:.3f}", f"{mean:.3f}", f"{sd:.0f}"]
            rows.append(cells)
        correlations = [
            map_correlation(uncertainty=u, outputs=o, mask=phantom.masks["body"]) for u, o in stacks.values()
        ]
        rows.append(["map correlation (body)", *(cell for r in correlations for cell in (f"{r:.3f}", "", ""))])
        header = ["region", "petiq rms", "petiq mean", "petiq SD Bq/ml", "OSEM rms", "OSEM mean", "OSEM SD Bq/ml"]
        print(format_table(title=f"u / true SD at {level_label(level=level)} counts", header=header, rows=rows))


if __name__ == "__main__":
    main()
