"""Benchmark: what each blend weight α gives — noise cut, PSNR and lesion bias — to choose the strength levels.

The strength levels (:mod:`models.strength`) keep the fraction α of the change the network makes,
``input + α · (network − input)``. For each α of a grid this prints, from one network pass per input:

α = 0 (the first row) is the unprocessed input.

- on the held-out torsos (:mod:`bench.denoise.cases`, low and high BMI, R realisations at each count level):
  the liver's ensemble voxel CoV (flat tissue) and its cut from the input's, PSNR against the noise-free
  reconstruction, and each lesion's ensemble bias (%, mean over the ≥ 12 mm lesions and the worst);
- on ``../shared/data/pet-real-ge-sts001`` (a real whole-body FDG study, when present): the CoV of the uniform
  body region QC picks on the input (:func:`workers.pipeline.qc.find_uniform_region`) and its cut.

Then the levels it proposes: ``low`` = the smallest α on the grid that cuts the flat-tissue CoV by ≥ 40 % on the
real study and on every torso at 25 % counts and up (where a reader wants hot structures' means kept), ``high``
= 1 (the network's own output), ``medium`` = the α whose real-study CoV cut is half way between low's and
high's. And the bundle's own levels (``--weights``'s ``strengths``, or the defaults) with the same figures.

``--write`` records the proposed levels in the bundle's ``dncnn.json`` (:func:`models.bundle_info.write_strengths`).

Run: ``.venv/bin/python -m bench.denoise.strengths [--weights DIR] [--realisations 3] [--alphas 0.3,...,1] [--write]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.denoise.cases import held_out_cases, held_out_phantom
from bench.denoise.scores import lesion_biases, liver_cov
from bench.shared_data import GE_SERIES, REPO
from bench.tables import format_table, level_label
from imaging.intensity import body_mask
from imaging.metrics.fidelity import psnr
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.study import StudyRequest, simulate_study
from models.bundle_info import load_bundle_info, write_strengths
from models.engines import Engine, open_engine
from models.inference import DEFAULT_ENSEMBLE, finish_volume, network_volume
from models.strength import LEVELS, blend_weight

FloatArray = npt.NDArray[np.float32]

DEFAULT_ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
DEFAULT_LEVELS = (0.05, 0.1, 0.25, 1.0)
NOISE_CUT = 0.40
"""``low`` must cut flat-tissue noise (CoV) by at least this fraction (issue: "by ≥ 40 %")."""
LOW_FROM_LEVEL = 0.25
"""The torso count levels from which ``low``'s noise cut is required (25 % and full counts)."""
BIG_LESION_MM = 12.0


@dataclass(kw_only=True)
class Row:
    """The figures of one α on one input set."""

    alpha: float
    cov_pct: float | None
    cut_pct: float | None
    psnr_db: float | None = None
    lesion_mean_pct: float | None = None
    lesion_worst_pct: float | None = None
    biases: dict[str, float] = field(default_factory=dict)


def _outputs(*, inputs: Sequence[FloatArray], engine: Engine, alphas: Sequence[float]) -> dict[float, FloatArray]:
    """``(R, z, y, x)`` outputs at each α from one network pass per input."""
    passes = [network_volume(voxels=x, engine=engine, ensemble=DEFAULT_ENSEMBLE) for x in inputs]
    return {
        alpha: np.stack(
            [
                finish_volume(voxels=x, network=out.copy(), scale=scale, blend=alpha).voxels
                for x, (out, scale) in zip(inputs, passes, strict=True)
            ]
        )
        for alpha in alphas
    }


def torso_rows(
    *, engine: Engine, alphas: Sequence[float], levels: Sequence[float], realisations: int, quick: bool
) -> dict[tuple[str, float], list[Row]]:
    """``(case name, level) → one Row per α`` on the held-out torsos (module docstring)."""
    result: dict[tuple[str, float], list[Row]] = {}
    for case in [c for c in held_out_cases(studies=1) if c.kind is PhantomKind.TORSO]:
        phantom = held_out_phantom(case=case, quick=quick)
        request = StudyRequest(
            kind=case.kind, seed=case.seed, levels=tuple(levels), realizations=realisations, variant=case.variant
        )
        study = simulate_study(request=request, phantom=phantom)
        big = [lesion.name for lesion in phantom.lesions if lesion.diameter_mm >= BIG_LESION_MM]
        body = phantom.masks["body"]
        for level in levels:
            series = sorted(
                (s for s in study.series if s.level == level and s.split is None), key=lambda s: s.realization
            )
            inputs = [s.volume.voxels.astype(np.float32) for s in series]
            before = liver_cov(images=np.stack(inputs), phantom=phantom)
            plain, _ = lesion_biases(images=np.stack(inputs), reference=study.reference, phantom=phantom)
            kept = [plain[name] for name in big] or list(plain.values())
            rows = [
                Row(
                    alpha=0.0,
                    cov_pct=before,
                    cut_pct=0.0,
                    psnr_db=float(np.mean([psnr(image=i, reference=study.reference, mask=body) for i in inputs])),
                    lesion_mean_pct=float(np.mean(kept)) if kept else None,
                    lesion_worst_pct=float(max(kept, key=abs)) if kept else None,
                    biases=plain,
                )
            ]
            for alpha, images in _outputs(inputs=inputs, engine=engine, alphas=alphas).items():
                cov = liver_cov(images=images, phantom=phantom)
                biases, _ = lesion_biases(images=images, reference=study.reference, phantom=phantom)
                chosen = [biases[name] for name in big] or list(biases.values())
                rows.append(
                    Row(
                        alpha=alpha,
                        cov_pct=cov,
                        cut_pct=None if cov is None or not before else 100.0 * (1.0 - cov / before),
                        psnr_db=float(np.mean([psnr(image=i, reference=study.reference, mask=body) for i in images])),
                        lesion_mean_pct=float(np.mean(chosen)) if chosen else None,
                        lesion_worst_pct=float(max(chosen, key=abs)) if chosen else None,
                        biases=biases,
                    )
                )
            result[(case.name, level)] = rows
            print(f"  {case.name} {level_label(level=level)} done", file=sys.stderr)
    return result


def real_rows(*, engine: Engine, alphas: Sequence[float], series: Path) -> list[Row] | None:
    """One Row per α on the real study's uniform region (None when the folder is absent)."""
    if not series.is_dir():
        return None
    from imaging.dicom.reader import read_pet_series
    from workers.pipeline.qc import find_uniform_region, region_cov

    volume = read_pet_series(source=series).volume
    voxels = volume.voxels.astype(np.float32)
    body = body_mask(voxels=voxels)
    region = find_uniform_region(voxels=voxels, body=body, spacing_mm=volume.geometry.spacing_mm)
    if region is None:
        return None
    before = region_cov(voxels=voxels, region=region)
    rows = [Row(alpha=0.0, cov_pct=None if before is None else 100.0 * before, cut_pct=0.0)]
    for alpha, images in _outputs(inputs=[voxels], engine=engine, alphas=alphas).items():
        cov = region_cov(voxels=images[0], region=region)
        cut = None if cov is None or not before else 100.0 * (1.0 - cov / before)
        rows.append(Row(alpha=alpha, cov_pct=None if cov is None else 100.0 * cov, cut_pct=cut))
    print(f"  real study: uniform region CoV of the input {100.0 * (before or 0):.1f} %", file=sys.stderr)
    return rows


def _number(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def propose(
    *, torso: dict[tuple[str, float], list[Row]], real: list[Row] | None, alphas: Sequence[float]
) -> dict[str, float]:
    """The levels the module docstring's rule gives (``high`` 1.0), choosing among ``alphas``."""

    def at(rows: list[Row], alpha: float) -> Row:
        return next(row for row in rows if row.alpha == alpha)

    def cuts_enough(alpha: float) -> bool:
        checks = [at(rows, alpha).cut_pct for (_, level), rows in torso.items() if level >= LOW_FROM_LEVEL]
        if real is not None:
            checks.append(at(real, alpha).cut_pct)
        return all(cut is not None and cut >= 100.0 * NOISE_CUT for cut in checks)

    low = next((alpha for alpha in alphas if cuts_enough(alpha)), 1.0)
    if real is None:
        return {"low": low, "medium": round((low + 1.0) / 2.0, 2), "high": 1.0}
    wanted = ((at(real, low).cut_pct or 0.0) + (at(real, 1.0).cut_pct or 0.0)) / 2.0
    medium = min((a for a in alphas if a >= low), key=lambda alpha: abs((at(real, alpha).cut_pct or 0.0) - wanted))
    return {"low": low, "medium": medium, "high": 1.0}


def tables(*, torso: dict[tuple[str, float], list[Row]], real: list[Row] | None) -> list[str]:
    """The printed tables: one per torso and level, and the real study's."""
    out = []
    for (name, level), rows in torso.items():
        out.append(
            format_table(
                title=f"{name}, {level_label(level=level)} counts: liver CoV, PSNR, lesion bias (≥ 12 mm lesions)",
                header=["α", "liver CoV %", "cut %", "PSNR dB", "mean lesion bias %", "worst lesion bias %"],
                rows=[
                    [
                        f"{row.alpha:.2f}",
                        _number(row.cov_pct, ".1f"),
                        _number(row.cut_pct, ".0f"),
                        _number(row.psnr_db, ".2f"),
                        _number(row.lesion_mean_pct, "+.1f"),
                        _number(row.lesion_worst_pct, "+.1f"),
                    ]
                    for row in rows
                ],
            )
        )
    if real is not None:
        out.append(
            format_table(
                title="Real FDG study (pet-real-ge-sts001): CoV of QC's uniform region",
                header=["α", "CoV %", "cut %"],
                rows=[[f"{r.alpha:.2f}", _number(r.cov_pct, ".1f"), _number(r.cut_pct, ".0f")] for r in real],
            )
        )
    return out


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(item) for item in text.split(","))


def main(argv: Sequence[str] | None = None) -> None:
    """Print the tables and the proposed levels (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=REPO / "models" / "weights" / "dncnn")
    parser.add_argument("--realisations", type=int, default=3)
    parser.add_argument("--alphas", type=_floats, default=DEFAULT_ALPHAS)
    parser.add_argument("--levels", type=_floats, default=DEFAULT_LEVELS)
    parser.add_argument("--real", type=Path, default=GE_SERIES, help="a real PET series folder (skipped if absent)")
    parser.add_argument("--quick", action="store_true", help="small torsos (a smoke run; numbers mean nothing)")
    parser.add_argument("--write", action="store_true", help="record the proposed levels in the bundle's dncnn.json")
    args = parser.parse_args(argv)
    if sorted(args.alphas) != list(args.alphas) or args.alphas[-1] != 1.0 or args.realisations < 2:
        parser.error("--alphas must be increasing and end at 1; --realisations ≥ 2")
    start = time.perf_counter()
    info = load_bundle_info(directory=args.weights)
    engine = open_engine(info=info)
    alphas = tuple(args.alphas)
    bundle_alphas = {level: blend_weight(strengths=info.strengths, strength=level) for level in LEVELS}
    grid = tuple(sorted(set(alphas) | set(bundle_alphas.values())))
    torso = torso_rows(engine=engine, alphas=grid, levels=args.levels, realisations=args.realisations, quick=args.quick)
    real = real_rows(engine=engine, alphas=grid, series=args.real)
    print(f"Strength levels: {info.name} {info.version} ({args.weights}, {engine.name}, ensemble {DEFAULT_ENSEMBLE})")
    print(f"R = {args.realisations} realisations per torso and level\n")
    for table in tables(torso=torso, real=real):
        print(table + "\n")
    proposed = propose(torso=torso, real=real, alphas=alphas)
    print(f"Proposed (rule in the module docstring): {proposed}")
    print(f"This bundle's levels: {bundle_alphas}{'' if info.strengths else ' (defaults: the bundle names none)'}")
    if args.write:
        evidence = (
            f"python -m bench.denoise.strengths --realisations {args.realisations} "
            f"--alphas {','.join(f'{a:g}' for a in alphas)} --levels {','.join(f'{v:g}' for v in args.levels)} --write"
        )
        write_strengths(directory=args.weights, strengths=proposed, evidence=evidence)
        print(f"Written to {args.weights / 'dncnn.json'} (the weights and DeviceUID are unchanged).")
    print(f"\nWall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
