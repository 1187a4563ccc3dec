"""Evaluation: the quality scorer on held-out simulated patients, against the model observer.

1. Held-out torso and brain patients (seeds from 7000, never seen in training) at the seven count levels; the
   observer labels them with the scorer's own calibration anchors. Per metric: MAE, % exact, % within ±0.5 and
   Spearman of the scorer against the observer, overall and per family.
2. The pretext: mean |log10 count level error| of the stage-1 network (``iqa-pretext.pt``) on the held-out images.
3. Spearman(GQR, count level); per patient, how often a rounded score rises as the count level falls.
4. Seconds to score one series on the CPU (a 64×128×128 torso and a 127×344×344 volume).
5. A site calibration on a small held-out labelled set: simulated clinicians who score GQR 0.5 lower than the
   observer (rater noise σ = 0.25); leave-one-patient-out figures before and after the refit.

Targets (issue "Clinical image-quality scorer"): MAE ≤ 0.4 and ≥ 80 % within ±0.5 on each metric;
Spearman(GQR, count level) ≥ 0.9; no score rises as the count level falls; ≤ 5 s per study on the CPU.
Run: ``.venv/bin/python -m bench.scorer.evaluate [--scorer models/weights/iqa] [--work DIR] [--torso 8 --brain 6]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.scorer.metrics import image_predictions, monotonic_violations, site_labels, site_samples
from bench.tables import format_table
from models.iqa.agreement import agreement, spearman
from models.iqa.bundle import Scorer, load_pretext, load_scorer
from models.iqa.dataset import StudyPatches, load_or_simulate, patients
from models.iqa.labels import METRICS, ObserverCalibration
from models.iqa.run import observer_labels
from models.iqa.scoring import score_volume
from models.iqa.site_fit import fit_site

REPO = Path(__file__).resolve().parents[2]
TARGET_MAE, TARGET_WITHIN, TARGET_SPEARMAN, TARGET_SECONDS = 0.4, 80.0, 0.9, 5.0


def _agreement_rows(*, label: str, predicted: np.ndarray, reference: np.ndarray) -> list[list[str]]:
    figures = agreement(predicted=predicted, reference=reference)
    return [
        [
            label,
            metric.upper(),
            f"{f['mae']:.2f}",
            f"{f['exact']:.0f}",
            f"{f['within_half']:.0f}",
            f"{f['spearman']:.2f}",
        ]
        for metric, f in figures.items()
    ]


def _speed(scorer: Scorer) -> list[list[str]]:
    rows = []
    for shape in ((64, 128, 128), (127, 344, 344)):
        volume = np.random.default_rng(0).gamma(2.0, 2500.0, size=shape).astype(np.float32)
        score_volume(volume=volume, scorer=scorer)  # warm-up
        start = time.perf_counter()
        score_volume(volume=volume, scorer=scorer)
        rows.append(["×".join(map(str, shape)), f"{time.perf_counter() - start:.2f}"])
    return rows


def _site(*, scorer: Scorer, studies: list[StudyPatches], reference: np.ndarray) -> tuple[str, bool]:
    labels = site_labels(reference=reference, bias=(-0.5, 0.0, 0.0), noise=0.25, rng=np.random.default_rng(1))
    fit = fit_site(
        scorer=scorer, samples=site_samples(studies=studies, labels=labels), steps=300, seed=0, log=lambda _: None
    )
    rows = [
        [
            m.upper(),
            f"{fit.before[m]['mae']:.2f}",
            f"{fit.after[m]['mae']:.2f}",
            f"{fit.after[m]['within_half']:.0f}",
            f"{fit.after[m]['spearman']:.2f}",
        ]
        for m in METRICS
    ]
    table = format_table(
        title=f"Site calibration, leave-one-patient-out ({fit.patients} patients; site GQR = observer − 0.5)",
        header=["metric", "MAE before", "MAE after", "within ±0.5 % after", "Spearman after"],
        rows=rows,
    )
    return table, fit.after["gqr"]["mae"] < fit.before["gqr"]["mae"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorer", type=Path, default=REPO / "models" / "weights" / "iqa")
    parser.add_argument("--work", type=Path, default=Path("/tmp/petiq-quality-eval"))
    parser.add_argument("--torso", type=int, default=8)
    parser.add_argument("--brain", type=int, default=6)
    parser.add_argument("--site-patients", type=int, default=4, help="held-out patients of the site calibration")
    args = parser.parse_args()
    scorer = load_scorer(directory=args.scorer)
    calibration = ObserverCalibration.from_dict(scorer.info.document["calibration"])
    studies = load_or_simulate(specs=patients(torso=args.torso, brain=args.brain, first_seed=7000), work=args.work)
    reference = observer_labels(calibration=calibration, studies=studies)
    pretext = load_pretext(info=scorer.info)
    predictions = [image_predictions(scorer=scorer, pretext=pretext, study=study) for study in studies]
    predicted = np.concatenate([p[0] for p in predictions])
    log_levels = np.concatenate([p[1] for p in predictions])
    levels = np.concatenate([study.levels for study in studies])
    families = np.concatenate([[study.spec.family] * len(study.levels) for study in studies])
    rows = _agreement_rows(label="all", predicted=predicted, reference=reference)
    for family in ("torso", "brain"):
        chosen = families == family
        rows += _agreement_rows(label=family, predicted=predicted[chosen], reference=reference[chosen])
    print(
        f"Scorer {scorer.info.name} {scorer.info.version} sha256 {scorer.info.sha256[:12]}; "
        f"calibration: {scorer.info.calibration}"
    )
    print(f"Held-out: {args.torso} torso + {args.brain} brain patients × 7 count levels = {len(levels)} series\n")
    print(
        format_table(
            title="Agreement with the model observer (held-out)",
            header=["set", "metric", "MAE", "exact %", "within ±0.5 %", "Spearman"],
            rows=rows,
            left=(0, 1),
        )
    )
    level_error = float(np.abs(log_levels - np.log10(levels)).mean())
    rho = spearman(predicted[:, 0], levels)
    rounded = np.clip(np.round(predicted * 2) / 2, 0, 3)
    violations = sum(
        monotonic_violations(levels=study.levels, scores=rounded[i * 7 : i * 7 + 7]) for i, study in enumerate(studies)
    )
    raw_violations = sum(
        monotonic_violations(levels=study.levels, scores=predicted[i * 7 : i * 7 + 7])
        for i, study in enumerate(studies)
    )
    print(f"\nPretext: mean |log10 count-level error| {level_error:.3f} (a factor of {10**level_error:.2f})")
    print(
        f"Spearman(GQR, count level) {rho:.3f}; rounded scores rising as the count level falls: {violations} "
        f"(raw: {raw_violations}) of {3 * 6 * len(studies)} steps\n"
    )
    speed = _speed(scorer)
    print(format_table(title="Seconds to score one series (CPU, 300 patches)", header=["volume", "s"], rows=speed))
    site_studies = (
        studies[: args.site_patients // 2]
        + studies[args.torso : args.torso + args.site_patients - args.site_patients // 2]
    )
    site_reference = observer_labels(calibration=calibration, studies=site_studies)
    table, improved = _site(scorer=scorer, studies=site_studies, reference=site_reference)
    print("\n" + table)
    figures = agreement(predicted=predicted, reference=reference)
    checks = [
        (
            f"{m.upper()} MAE ≤ {TARGET_MAE} and within ±0.5 ≥ {TARGET_WITHIN:.0f} %",
            figures[m]["mae"] <= TARGET_MAE and figures[m]["within_half"] >= TARGET_WITHIN,
        )
        for m in METRICS
    ]
    checks += [
        (f"Spearman(GQR, count level) ≥ {TARGET_SPEARMAN}", rho >= TARGET_SPEARMAN),
        ("no rounded score rises as the count level falls", violations == 0),
        (
            f"≤ {TARGET_SECONDS:.0f} s per study (input + output series, 344×344×127)",
            2 * float(speed[1][1]) <= TARGET_SECONDS,
        ),
        ("site calibration lowers the GQR MAE (leave-one-patient-out)", improved),
    ]
    print(
        "\n"
        + format_table(
            title="Targets", header=["target", "result"], rows=[[name, "PASS" if ok else "FAIL"] for name, ok in checks]
        )
    )


if __name__ == "__main__":
    main()
