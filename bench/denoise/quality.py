"""Benchmark: denoising quality of petiq vs a Gaussian post-filter and non-local means on held-out simulations.

Held-out studies (seeds far from the training seeds 1000–1089 and 2000–2089): a low-BMI torso (90001), a
high-BMI torso (90002) and the NEMA IEC body phantom (90003); ``--studies N`` adds N − 1 more of each
(seeds + 3, + 6, ...). Each is simulated with the network's protocol at every count level, R noise realisations.

Methods on each (study, level, realisation): the input; the Gaussian post-filter (FWHM sweep, on top of the
protocol's own post-filter); slice-wise non-local means (strength sweep ``h = k·σ̂``, :mod:`bench.denoise.baselines`);
petiq (``--weights``). The "best" Gaussian / NLM is the setting with the highest PSNR on realisation 0 of that
study and level; all R realisations are then scored with it. Realisation 0 is among those scored, so the
classical methods are tuned on the test data: optimistic for them. A chosen setting at the top of its sweep is
marked ``*`` (the optimum may lie beyond).

Figures (:mod:`bench.denoise.scores`) are against the noise-free reconstruction of the same protocol. Tables go
to stdout (methods as rows, levels as columns), then the targets (:mod:`bench.denoise.targets`) with PASS/FAIL
and margins, then the wall time of each part; ``--json PATH`` writes every number. No target is asserted.

Run: ``.venv/bin/python -m bench.denoise.quality [--weights DIR] [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.checks import TargetCheck
from bench.denoise.baselines import DEFAULT_FWHM_SWEEP_MM, DEFAULT_NLM_STRENGTHS, gaussian_baseline, nlm_baseline
from bench.denoise.cases import Case, held_out_cases, held_out_phantom
from bench.denoise.scores import Scores, SphereFigures, score_images
from bench.denoise.sweeps import best_setting, on_sweep_edge
from bench.denoise.targets import (
    LESION_BIAS_LIMIT_PCT,
    PSNR_GAIN_DB,
    lesion_bias_check,
    matched_contrast_check,
    psnr_check,
)
from bench.tables import format_table, level_label, mean_sd
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.study import StudyRequest, simulate_study
from models.bundle import BundleInfo, load_bundle_info
from models.engines import Engine, open_engine
from models.inference import DEFAULT_ENSEMBLE, ENSEMBLE_SIZES, denoise_volume

FloatArray = npt.NDArray[np.float32]

LEVELS = (0.01, 0.05, 0.1, 0.25, 1.0)
QUICK_LEVELS = (0.01, 0.05, 0.1, 0.25)
PSNR_TARGET_LEVELS = (0.05, 0.1)
MATCHED_SPHERES_MM = (10.0, 13.0)
METHODS = ("input", "gaussian", "nlm", "petiq")


@dataclass(frozen=True, kw_only=True)
class Config:
    """The run's settings (command line)."""

    weights: Path
    protocol: str
    realisations: int
    levels: tuple[float, ...]
    fwhms_mm: tuple[float, ...]
    nlm_strengths: tuple[float, ...]
    studies: int
    quick: bool
    json_path: Path | None
    ensemble: int = DEFAULT_ENSEMBLE


@dataclass(frozen=True, kw_only=True)
class SweepPoint:
    """One setting of a sweep: Gaussian FWHM (mm; scored on all R) or NLM ``k`` (scored on realisation 0)."""

    setting: float
    scores: Scores


@dataclass(frozen=True, kw_only=True)
class MethodResult:
    """A method's figures at one level: its chosen ``setting`` (None: no parameter), ``at_edge`` of the sweep."""

    method: str
    setting: float | None
    at_edge: bool
    scores: Scores


@dataclass(frozen=True, kw_only=True)
class LevelResult:
    """Every method at one count level, with both sweeps."""

    level: float
    methods: dict[str, MethodResult]
    gaussian_sweep: list[SweepPoint]
    nlm_sweep: list[SweepPoint]


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    """One held-out study: its phantom's grid and lesions, and each level's results."""

    case: Case
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    lesions: dict[str, float]
    levels: list[LevelResult] = field(default_factory=list)


class Clock:
    """Wall time per named part, accumulated over the run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def _stack(volumes: Sequence[FloatArray]) -> FloatArray:
    return np.stack([np.asarray(v, dtype=np.float32) for v in volumes])


def _gaussian(
    *, inputs: FloatArray, reference: FloatArray, phantom: Phantom, config: Config, clock: Clock
) -> tuple[MethodResult, list[SweepPoint]]:
    """The Gaussian's sweep (every setting on all R, PSNR and NEMA only), then its best setting scored fully."""

    def filtered(fwhm: float) -> FloatArray:
        with clock.part("gaussian"):
            return _stack([gaussian_baseline(voxels=x, fwhm_mm=fwhm, spacing_mm=phantom.spacing_mm) for x in inputs])

    sweep = []
    for fwhm in config.fwhms_mm:
        images = filtered(fwhm)
        with clock.part("metrics"):
            sweep.append(
                SweepPoint(
                    setting=fwhm, scores=score_images(images=images, reference=reference, phantom=phantom, full=False)
                )
            )
    chosen = best_setting(scores={p.setting: p.scores.psnr_db[:1] for p in sweep})
    best = filtered(chosen)
    with clock.part("metrics"):
        scores = score_images(images=best, reference=reference, phantom=phantom, full=True)
    edge = on_sweep_edge(settings=config.fwhms_mm, chosen=chosen)
    return MethodResult(method="gaussian", setting=chosen, at_edge=edge, scores=scores), sweep


def _nlm(
    *, inputs: FloatArray, reference: FloatArray, phantom: Phantom, config: Config, clock: Clock
) -> tuple[MethodResult, list[SweepPoint]]:
    """NLM's sweep on realisation 0 (PSNR only), then the best strength on the other realisations, scored fully."""
    first: dict[float, FloatArray] = {}
    sweep = []
    for strength in config.nlm_strengths:
        with clock.part("nlm"):
            first[strength] = nlm_baseline(voxels=inputs[0], strength=strength)
        with clock.part("metrics"):
            scores = score_images(images=first[strength][None], reference=reference, phantom=phantom, full=False)
        sweep.append(SweepPoint(setting=strength, scores=scores))
    chosen = best_setting(scores={p.setting: p.scores.psnr_db for p in sweep})
    with clock.part("nlm"):
        best = _stack([first[chosen], *(nlm_baseline(voxels=x, strength=chosen) for x in inputs[1:])])
    with clock.part("metrics"):
        scores = score_images(images=best, reference=reference, phantom=phantom, full=True)
    edge = on_sweep_edge(settings=config.nlm_strengths, chosen=chosen)
    return MethodResult(method="nlm", setting=chosen, at_edge=edge, scores=scores), sweep


def _petiq(
    *, inputs: FloatArray, reference: FloatArray, phantom: Phantom, engine: Engine, ensemble: int, clock: Clock
) -> MethodResult:
    with clock.part("petiq"):
        images = _stack([denoise_volume(voxels=x, engine=engine, ensemble=ensemble).voxels for x in inputs])
    with clock.part("metrics"):
        scores = score_images(images=images, reference=reference, phantom=phantom, full=True)
    return MethodResult(method="petiq", setting=None, at_edge=False, scores=scores)


def evaluate_level(
    *,
    level: float,
    inputs: FloatArray,
    reference: FloatArray,
    phantom: Phantom,
    engine: Engine,
    config: Config,
    clock: Clock,
) -> LevelResult:
    """Every method on ``inputs`` ``(R, z, y, x)`` Bq/ml at ``level``, against ``reference`` ``(z, y, x)``."""
    with clock.part("metrics"):
        plain = score_images(images=inputs, reference=reference, phantom=phantom, full=True)
    gaussian, gaussian_sweep = _gaussian(
        inputs=inputs, reference=reference, phantom=phantom, config=config, clock=clock
    )
    nlm, nlm_sweep = _nlm(inputs=inputs, reference=reference, phantom=phantom, config=config, clock=clock)
    petiq = _petiq(
        inputs=inputs, reference=reference, phantom=phantom, engine=engine, ensemble=config.ensemble, clock=clock
    )
    methods = {
        "input": MethodResult(method="input", setting=None, at_edge=False, scores=plain),
        "gaussian": gaussian,
        "nlm": nlm,
        "petiq": petiq,
    }
    return LevelResult(level=level, methods=methods, gaussian_sweep=gaussian_sweep, nlm_sweep=nlm_sweep)


def evaluate_case(*, case: Case, engine: Engine, config: Config, clock: Clock) -> CaseResult:
    """Simulate ``case`` at every level with R realisations and evaluate every level."""
    with clock.part("simulate"):
        phantom = held_out_phantom(case=case, quick=config.quick)
        request = StudyRequest(
            kind=case.kind,
            seed=case.seed,
            levels=config.levels,
            protocol=config.protocol,
            realizations=config.realisations,
            variant=case.variant,
        )
        study = simulate_study(request=request, phantom=phantom)
    result = CaseResult(
        case=case,
        shape=phantom.shape,
        spacing_mm=phantom.spacing_mm,
        lesions={lesion.name: lesion.diameter_mm for lesion in phantom.lesions},
    )
    for level in config.levels:
        series = sorted((s for s in study.series if s.level == level and s.split is None), key=lambda s: s.realization)
        inputs = _stack([s.volume.voxels for s in series])
        evaluated = evaluate_level(
            level=level,
            inputs=inputs,
            reference=study.reference,
            phantom=phantom,
            engine=engine,
            config=config,
            clock=clock,
        )
        result.levels.append(evaluated)
        print(f"  {case.name} {level_label(level=level)} done ({sum(clock.seconds.values()):.0f} s)", file=sys.stderr)
    return result


def _setting(result: MethodResult) -> str:
    if result.setting is None:
        return "–"
    return f"{result.setting:g}" + ("*" if result.at_edge else "")


def _levels_table(*, title: str, case: CaseResult, cell: Callable[[MethodResult], str]) -> str:
    header = ["method", *(level_label(level=lv.level) for lv in case.levels)]
    rows = [[name, *(cell(lv.methods[name]) for lv in case.levels)] for name in METHODS]
    return format_table(title=title, header=header, rows=rows)


def _sweep_table(*, case: CaseResult) -> str:
    """PSNR of realisation 0 at every swept setting; the chosen one in brackets."""
    header = ["setting", *(level_label(level=lv.level) for lv in case.levels)]
    rows = []
    for method, label in (("gaussian", "gaussian {:g} mm"), ("nlm", "nlm k={:g}")):
        sweeps = [lv.gaussian_sweep if method == "gaussian" else lv.nlm_sweep for lv in case.levels]
        for index, point in enumerate(sweeps[0]):
            cells = []
            for lv, sweep in zip(case.levels, sweeps, strict=True):
                value = f"{sweep[index].scores.psnr_db[0]:.2f}"
                cells.append(f"[{value}]" if sweep[index].setting == lv.methods[method].setting else value)
            rows.append([label.format(point.setting), *cells])
    return format_table(title="PSNR (dB) of realisation 0 along each sweep; [chosen]", header=header, rows=rows)


def _bias(scores: Scores, lesion: str) -> str:
    return f"{scores.lesion_bias_pct[lesion]:+.1f} ± {scores.lesion_bias_se_pct[lesion]:.1f}"


def _lesion_table(*, case: CaseResult) -> str:
    header = ["method · lesion", *(level_label(level=lv.level) for lv in case.levels)]
    rows = [
        [f"{method} · {name} ({diameter:.0f} mm)", *(_bias(lv.methods[method].scores, name) for lv in case.levels)]
        for method in METHODS
        for name, diameter in case.lesions.items()
    ]
    return format_table(
        title="Ensemble lesion bias (%) vs the noise-free reconstruction, ± its SE over R", header=header, rows=rows
    )


def _nema_table(*, level: LevelResult) -> str:
    spheres = level.methods["input"].scores.nema
    header = ["method", *(f"{s.diameter_mm:g} mm" for s in spheres)]
    rows = [
        [
            name,
            *(
                f"{s.contrast_recovery_pct:.1f} ({s.background_variability_pct:.1f})"
                for s in level.methods[name].scores.nema
            ),
        ]
        for name in METHODS
    ]
    title = f"NEMA contrast recovery % (background variability %), mean over R, {level_label(level=level.level)} counts"
    return format_table(title=title, header=header, rows=rows)


def _matched_table(*, case: CaseResult) -> str:
    """petiq's CR against the Gaussian's at petiq's BV, every sphere and level below full counts."""
    header = ["level", "sphere", "petiq BV %", "petiq CR %", "Gaussian CR % at that BV", "margin", "note"]
    rows = []
    for check, figures in _matched_checks(case=case, diameters=None):
        rows.append(
            [
                level_label(level=check.level),
                check.item,
                f"{figures.background_variability_pct:.2f}",
                f"{check.value:.1f}",
                f"{check.compared_with:.1f}",
                f"{check.margin:+.1f}",
                check.note or "",
            ]
        )
    title = "Contrast recovery at matched background variability (Gaussian: its CR-vs-BV curve over the FWHM sweep)"
    return format_table(title=title, header=header, rows=rows, left=(0, 1, 6))


def case_tables(*, case: CaseResult) -> list[str]:
    """Every table of one held-out study."""
    tables = [
        _levels_table(
            title="PSNR (dB) in the body, mean ± sd over R (gaussian, nlm: the chosen setting, next tables)",
            case=case,
            cell=lambda m: mean_sd(values=m.scores.psnr_db, digits=2),
        ),
        _levels_table(
            title="SSIM in the body, mean ± sd over R",
            case=case,
            cell=lambda m: mean_sd(values=m.scores.ssim, digits=4),
        ),
        _levels_table(title="Chosen setting (Gaussian FWHM mm, NLM k; * = top of the sweep)", case=case, cell=_setting),
        _sweep_table(case=case),
    ]
    if case.lesions and case.case.kind is PhantomKind.TORSO and case.levels[0].methods["input"].scores.lesion_bias_pct:
        tables.append(_lesion_table(case=case))
    if case.levels[0].methods["input"].scores.liver_cov_pct is not None:
        cov = "Ensemble voxel CoV (%) in the liver"
        tables.append(_levels_table(title=cov, case=case, cell=lambda m: f"{m.scores.liver_cov_pct:.1f}"))
    if case.case.kind is PhantomKind.NEMA:
        tables += [_nema_table(level=lv) for lv in case.levels]
        tables.append(_matched_table(case=case))
    return tables


def _matched_checks(*, case: CaseResult, diameters: Sequence[float] | None) -> list[tuple[TargetCheck, SphereFigures]]:
    """Target 2 on every level below full counts, for the spheres of ``diameters`` (None: every sphere)."""
    found = []
    for lv in case.levels:
        if lv.level >= 1.0:
            continue
        for index, petiq in enumerate(lv.methods["petiq"].scores.nema):
            if diameters is not None and petiq.diameter_mm not in diameters:
                continue
            curve = [point.scores.nema[index] for point in lv.gaussian_sweep]
            check = matched_contrast_check(case=case.case.name, level=lv.level, petiq=petiq, gaussian_curve=curve)
            found.append((check, petiq))
    return found


def _bias_checks(*, case: CaseResult, level: LevelResult, method: str = "petiq") -> list[TargetCheck]:
    scores = level.methods[method].scores
    return [
        lesion_bias_check(
            case=case.case.name,
            level=level.level,
            lesion=f"{name} ({case.lesions[name]:.0f} mm)",
            bias_pct=bias,
            standard_error_pct=scores.lesion_bias_se_pct[name],
        )
        for name, bias in scores.lesion_bias_pct.items()
    ]


def target_checks(*, results: Sequence[CaseResult]) -> list[TargetCheck]:
    """The three targets on every held-out study: PSNR at 5 and 10 %; matched contrast of the 10 and 13 mm
    NEMA spheres and the torso lesion bias at every level below full counts."""
    checks = []
    for case in results:
        for lv in case.levels:
            if any(np.isclose(lv.level, target) for target in PSNR_TARGET_LEVELS):
                classical = max(lv.methods[m].scores.mean_psnr_db for m in ("gaussian", "nlm"))
                petiq_db = lv.methods["petiq"].scores.mean_psnr_db
                checks.append(
                    psnr_check(case=case.case.name, level=lv.level, petiq_db=petiq_db, best_classical_db=classical)
                )
            if case.case.kind is PhantomKind.TORSO and lv.level < 1.0:
                checks += _bias_checks(case=case, level=lv)
        checks += [check for check, _ in _matched_checks(case=case, diameters=MATCHED_SPHERES_MM)]
    return checks


def bias_check_counts(*, results: Sequence[CaseResult]) -> str:
    """The lesion-bias target's check applied to every method, the unprocessed input included: how attainable the
    limit is at these count levels. Also how many of the cells' biases have a standard error over the
    realisations above the limit (the estimate cannot resolve ±limit there)."""
    counts: dict[str, list[int]] = {}
    unresolved = total = 0
    for case in results:
        if case.case.kind is not PhantomKind.TORSO:
            continue
        for lv in (lv for lv in case.levels if lv.level < 1.0):
            for method in lv.methods:
                checks = _bias_checks(case=case, level=lv, method=method)
                tally = counts.setdefault(method, [0, 0])
                tally[0] += sum(c.passed for c in checks)
                tally[1] += len(checks)
            errors = lv.methods["petiq"].scores.lesion_bias_se_pct.values()
            unresolved += sum(error > LESION_BIAS_LIMIT_PCT for error in errors)
            total += len(errors)
    if not total:
        return ""
    passes = ", ".join(f"{method} {passed}/{seen}" for method, (passed, seen) in counts.items())
    return (
        f"  The |lesion bias| ≤ {LESION_BIAS_LIMIT_PCT:g} % check on every method: {passes}; petiq's bias SE over "
        f"realisations exceeds {LESION_BIAS_LIMIT_PCT:g} % in {unresolved}/{total} of them"
    )


TARGET_TITLES = {
    "psnr": f"PSNR ≥ best classical + {PSNR_GAIN_DB} dB at 5 % and 10 % counts",
    "matched_contrast": "CR of the 10 and 13 mm spheres ≥ the Gaussian's at matched BV (1–25 % counts)",
    "lesion_bias": f"|lesion bias| ≤ {LESION_BIAS_LIMIT_PCT:g} % (torso lesions, 1–25 % counts)",
}


def targets_report(*, checks: Sequence[TargetCheck]) -> str:
    """Every check, then one PASS/FAIL line per target with its worst margin."""
    header = ["target", "study", "level", "item", "petiq", "vs", "margin", "verdict", "note"]
    rows = [
        [
            c.target,
            c.case,
            level_label(level=c.level),
            c.item or "–",
            f"{c.value:.2f}",
            f"{c.compared_with:.2f}",
            f"{c.margin:+.2f}",
            "PASS" if c.passed else "FAIL",
            c.note,
        ]
        for c in checks
    ]
    lines = [
        format_table(title="Target checks (margin ≥ 0 passes)", header=header, rows=rows, left=(0, 1, 3, 7, 8)),
        "",
        "Targets:",
    ]
    for target, title in TARGET_TITLES.items():
        mine = [c for c in checks if c.target == target]
        if not mine:
            lines.append(f"  {title}: not evaluated (no study or level it applies to)")
            continue
        verdict = "PASS" if all(c.passed for c in mine) else "FAIL"
        failed = [c for c in mine if not c.passed]
        worst = min(failed or mine, key=lambda c: c.margin)
        where = ", ".join(part for part in (worst.case, level_label(level=worst.level), worst.item, worst.note) if part)
        lines.append(
            f"  {verdict}  {title}: {sum(c.passed for c in mine)}/{len(mine)} checks pass; "
            f"{'worst failing' if failed else 'worst'} margin {worst.margin:+.2f} ({where})"
        )
    return "\n".join(lines)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def parse_config(argv: Sequence[str] | None = None) -> Config:
    """The run's settings from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("models/weights/dncnn"), help="denoiser bundle folder")
    parser.add_argument("--protocol", default="v1", help="reconstruction protocol (the network's: v1)")
    parser.add_argument("--realisations", type=int, default=None, help="noise realisations R (default 5; quick 2)")
    parser.add_argument("--levels", type=_floats, default=None, help="count levels, e.g. 0.01,0.05,0.1,0.25,1")
    parser.add_argument("--fwhm-mm", type=_floats, default=DEFAULT_FWHM_SWEEP_MM, help="Gaussian FWHM sweep, mm")
    parser.add_argument("--nlm-k", type=_floats, default=DEFAULT_NLM_STRENGTHS, help="NLM strength sweep, h = k·σ̂")
    parser.add_argument("--studies", type=int, default=1, help="held-out studies of each phantom type")
    parser.add_argument("--quick", action="store_true", help="small grids, R = 2, no full-count level: a smoke run")
    parser.add_argument(
        "--ensemble", type=int, choices=ENSEMBLE_SIZES, default=DEFAULT_ENSEMBLE, help="petiq's orientations averaged"
    )
    parser.add_argument("--json", type=Path, default=None, help="write every number to this file")
    args = parser.parse_args(argv)
    realisations = args.realisations or (2 if args.quick else 5)
    if realisations < 2 or args.studies < 1:
        parser.error("--realisations should be ≥ 2 (ensemble figures) and --studies ≥ 1")
    return Config(
        weights=args.weights,
        protocol=args.protocol,
        realisations=realisations,
        levels=args.levels or (QUICK_LEVELS if args.quick else LEVELS),
        fwhms_mm=tuple(sorted(args.fwhm_mm)),
        nlm_strengths=tuple(sorted(args.nlm_k)),
        studies=args.studies,
        quick=args.quick,
        json_path=args.json,
        ensemble=args.ensemble,
    )


def _document(
    *,
    config: Config,
    info: BundleInfo,
    engine: Engine,
    results: Sequence[CaseResult],
    checks: Sequence[TargetCheck],
    clock: Clock,
) -> dict[str, object]:
    """Every number of the run, JSON-ready."""
    return {
        "config": asdict(config),
        "bundle": {"name": info.name, "version": info.version, "onnx_sha256": info.onnx_sha256, "engine": engine.name},
        "studies": [asdict(case) for case in results],
        "targets": [asdict(check) for check in checks],
        "seconds": clock.seconds,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark (module docstring) and print its tables, targets and timings."""
    config, clock, start = parse_config(argv), Clock(), time.perf_counter()
    with clock.part("load weights"):
        info = load_bundle_info(directory=config.weights)
        engine = open_engine(info=info)
    levels = ", ".join(level_label(level=lv) for lv in config.levels)
    print(
        f"petiq {info.name} {info.version} ({config.weights}, {engine.name}, ensemble {config.ensemble}); "
        f"protocol {config.protocol}; "
        f"R = {config.realisations}; levels {levels}{'; QUICK (small grids)' if config.quick else ''}"
    )
    cases = held_out_cases(studies=config.studies)
    results = [evaluate_case(case=case, engine=engine, config=config, clock=clock) for case in cases]
    for case in results:
        print(f"\n## {case.case.name}: {case.shape} voxels of {case.spacing_mm} mm, seed {case.case.seed}\n")
        print("\n\n".join(case_tables(case=case)))
    checks = target_checks(results=results)
    print("\n" + targets_report(checks=checks))
    if reference := bias_check_counts(results=results):
        print(reference)
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in clock.seconds.items())
    print(f"\nWall time (s): {parts}; total {time.perf_counter() - start:.1f}")
    if config.json_path is not None:
        document = _document(config=config, info=info, engine=engine, results=results, checks=checks, clock=clock)
        config.json_path.write_text(json.dumps(document, indent=1, default=str))
        print(f"numbers written to {config.json_path}")


if __name__ == "__main__":
    main()
