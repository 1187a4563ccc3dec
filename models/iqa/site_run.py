"""``petiq iqa-calibrate``: a site's clinician scores → a new scorer folder with its card, written all at once.

The new folder is staged beside ``out`` and renamed into place when complete; ``out`` may exist beforehand only
as an empty folder. Its calibration label names the site's CSV, the number of series and patients and the date,
and ``MODEL_CARD.md`` holds the leave-one-patient-out figures before and after the refit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imaging.atomic import folder_is_free, staged_directory
from imaging.errors import InputError
from models.iqa.bundle import ScorerInfo, load_scorer, save_scorer
from models.iqa.labels import METRICS
from models.iqa.site_fit import SiteFit, fit_site, load_samples
from models.iqa.site_labels import parse_labels, resolve_series
from models.iqa.training import Log

__all__ = ["SiteCalibration", "calibrate_site", "card_text"]


@dataclass(frozen=True, kw_only=True)
class SiteCalibration:
    """What a calibration produced: the new scorer, its fit and the number of series."""

    info: ScorerInfo
    fit: SiteFit
    series: int


def _check_out(out: Path) -> None:
    if not folder_is_free(out):
        raise InputError(
            f"Argument 'out' should be a new or empty folder; {out} exists and is not empty.",
            check="output_exists",
            path=str(out),
        )


def card_text(*, label: str, base: ScorerInfo, fit: SiteFit, series: int) -> str:
    """The new scorer's model card (Markdown)."""
    lines = [
        f"# Site-calibrated petiq quality scorer\n\nCalibration: **{label}**\n",
        f'Refitted from `{base.name}` {base.version} (sha256 `{base.sha256[:12]}`, calibration "{base.calibration}"): '
        f"units after the first {base.config.frozen_units} and the head, "
        f"on {series} series of {fit.patients} patients.\n",
        "## Leave-one-patient-out agreement with the site's scores\n",
        "| metric | MAE before | MAE after | % exact after | % within ±0.5 after | Spearman after |",
        "|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        b, a = fit.before[metric], fit.after[metric]
        cells = f"{b['mae']:.2f} | {a['mae']:.2f} | {a['exact']:.0f} | {a['within_half']:.0f} | {a['spearman']:.2f}"
        lines.append(f"| {metric.upper()} | {cells} |")
    return "\n".join(lines) + "\n"


def _json_safe(figures: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """``figures`` with NaN (an undefined Spearman) as None, for JSON."""
    return {m: {k: (None if math.isnan(v) else v) for k, v in row.items()} for m, row in figures.items()}


def calibrate_site(
    *, labels_csv: Path, series_root: Path, weights: Path, out: Path, steps: int, seed: int, log: Log
) -> SiteCalibration:
    """Refit the scorer in ``weights`` to the scores of ``labels_csv`` and write it to ``out`` (module docstring).

    Raises:
        InputError: a malformed CSV, an unknown series, fewer than two patients, unusable weights, or an ``out``
            that exists and is not empty.
    """
    out = Path(out).absolute()
    _check_out(out)
    try:
        text = Path(labels_csv).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"Argument 'labels' could not be read: {error}.", check="iqa_labels") from error
    series = resolve_series(rows=parse_labels(text=text), series_root=series_root)
    scorer = load_scorer(directory=weights)
    if len({item.patient_id for item in series}) < 2:
        raise InputError(
            "Argument 'labels' should score series of at least two patients (leave-one-patient-out).",
            check="iqa_labels",
        )
    samples = load_samples(series=series, per_plane=scorer.info.per_plane, seed=seed)
    fit = fit_site(scorer=scorer, samples=samples, steps=steps, seed=seed, log=log)
    date = datetime.now(UTC).date().isoformat()
    label = f"site:{Path(labels_csv).stem} ({len(series)} series, {fit.patients} patients, {date})"
    with staged_directory(target=out, mode=0o755) as staging:
        save_scorer(
            net=fit.net,
            directory=staging,
            name=scorer.info.name,
            version=f"{scorer.info.version}+site",
            calibration={
                "label": label,
                "base_sha256": scorer.info.sha256,
                "before": _json_safe(fit.before),
                "after": _json_safe(fit.after),
            },
            training={
                "labels": str(labels_csv),
                "series": [item.series_uid for item in series],
                "steps": steps,
                "seed": seed,
            },
        )
        (staging / "MODEL_CARD.md").write_text(card_text(label=label, base=scorer.info, fit=fit, series=len(series)))
    return SiteCalibration(info=load_scorer(directory=out).info, fit=fit, series=len(series))
