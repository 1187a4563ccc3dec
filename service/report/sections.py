"""The sections of a report built from a job's ``result.json`` document (pure; every value escaped).

Scores: GQR, PR and DC of the input and of the output, each ``score ± uncertainty`` with the unrounded value,
"not scored" when the series' ``scores`` are null, and the calibration note saying they are a model's estimate,
not a clinician's. QC: the ``qc`` keys of :mod:`workers.pipeline.qc` (unknown keys are listed too). Provenance:
software, denoiser, device, scorer, adaptation and notes. Timings: seconds per stage and the job's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.jobs.models import JobPublic
from service.report.markup import Markup, definition_list, join, section, table, tag, text_of

__all__ = ["SCORE_NAMES", "output_series_uid", "provenance_section", "qc_section", "scores_section", "timings_section"]

SCORE_NAMES = {
    "gqr": "Global quality rating (GQR)",
    "pr": "Pathology recognisable (PR)",
    "dc": "Diagnostic confidence (DC)",
}
_ADAPTATION_KEYS = ("mode", "phi", "steps", "seconds", "trainable_kernel_fraction", "seed", "approximation")
_SCALE = "0 unacceptable · 1 poor but usable · 2 acceptable · 3 good/excellent, in steps of 0.5"
_KNOWN_QC = frozenset(
    {"units", "suv_factor", "suv_reason", "suvmax_in", "suvmax_out", "max_bqml_in", "max_bqml_out",
     "suvmean_ratio_body", "activity_factor", "body_voxels", "body_volume_ml", "noise_cov_in", "noise_cov_out",
     "uniform_region"}
)  # fmt: skip


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def output_series_uid(*, result: object) -> str | None:
    """``result.output.series_uid`` of a result.json document, None when it has none."""
    uid = _mapping(_mapping(result).get("output")).get("series_uid")
    return uid if isinstance(uid, str) else None


def _number(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else text_of(value)


def _score_cell(scores: object, key: str) -> Markup:
    if not isinstance(scores, Mapping):
        return tag("span", "not scored", class_="not-scored")
    text = _number(scores.get(key), ".1f")
    uncertainty = _mapping(scores.get("uncertainty")).get(key)
    raw = _mapping(scores.get("raw")).get(key)
    if uncertainty is not None:
        text += f" ± {_number(uncertainty, '.2f')}"
    return join([tag("span", text, class_="score"), tag("small", f" (unrounded {_number(raw, '.2f')})")])


def _calibrations(result: Mapping[str, Any]) -> list[str]:
    found = [_mapping(_mapping(result.get(role)).get("scores")).get("calibration") for role in ("input", "output")]
    found.append(_mapping(_mapping(result.get("provenance")).get("scorer")).get("calibration"))
    return list(dict.fromkeys(str(label) for label in found if label))


def scores_section(*, result: Mapping[str, Any]) -> Markup:
    """GQR/PR/DC of input and output with uncertainty, and the calibration note (``<section id="scores">``)."""
    inputs, outputs = (_mapping(result.get(role)).get("scores") for role in ("input", "output"))
    rows = [(name, _score_cell(inputs, key), _score_cell(outputs, key)) for key, name in SCORE_NAMES.items()]
    scored = isinstance(inputs, Mapping) or isinstance(outputs, Mapping)
    if scored:
        calibration = "; ".join(_calibrations(result)) or "not stated"
        note = (
            f"Automated estimate by an image-quality model, not a clinician's score. Calibration: {calibration}. "
            "± is the spread of the model's prediction over the image patches it scored."
        )
    else:
        note = "No quality scores for this job: scoring was switched off or is not available (see the notes below)."
    content = join(
        [
            tag("p", note, id="calibration-note", class_="note"),
            table(css_id="scores-table", headers=("Score", "Input", "Output"), rows=rows),
            tag("p", f"Scale: {_SCALE}.", class_="legend"),
        ]
    )
    return section(css_id="scores", title="Image-quality scores", content=content)


def _ratio(before: object, after: object) -> str:
    if isinstance(before, int | float) and isinstance(after, int | float) and before:
        return f"{after / before:.3f}"
    return "—"


def _percent(value: object) -> object:
    return value * 100.0 if isinstance(value, int | float) and not isinstance(value, bool) else value


def _qc_rows(qc: Mapping[str, Any]) -> list[tuple[object, ...]]:
    pairs = [
        ("SUVmax (SUVbw)", qc.get("suvmax_in"), qc.get("suvmax_out")),
        ("Maximum activity (Bq/ml)", qc.get("max_bqml_in"), qc.get("max_bqml_out")),
        ("Noise CoV in a uniform region (%)", _percent(qc.get("noise_cov_in")), _percent(qc.get("noise_cov_out"))),
    ]
    rows: list[tuple[object, ...]] = [(name, before, after, _ratio(before, after)) for name, before, after in pairs]
    body_ratio = qc.get("suvmean_ratio_body")
    rows.append(("Mean activity in the body", "", "", _number(body_ratio, ".4f")))
    factor = qc.get("activity_factor")
    if factor is not None:
        rows.append(("Activity-preserving factor applied to the network's output", "", "", _number(factor, ".4f")))
    return rows


def _region(value: object) -> str:
    region = _mapping(value)
    if region.get("centre_voxel") is None:
        return f"none found: {text_of(region.get('reason'))}"
    return f"centre voxel (z, y, x) {text_of(region.get('centre_voxel'))}, {text_of(region.get('size_mm'))} mm"


def qc_section(*, result: Mapping[str, Any]) -> Markup:
    """Quantitative QC of the output against the input (``<section id="qc">`` with ``<table id="qc-table">``)."""
    qc = _mapping(result.get("qc"))
    details: list[tuple[object, object]] = [
        ("Units", qc.get("units")),
        ("SUVbw factor (per unit)", qc.get("suv_factor") if qc.get("suv_factor") is not None else qc.get("suv_reason")),
        ("Body volume (ml)", qc.get("body_volume_ml")),
        ("Uniform region", _region(qc.get("uniform_region"))),
        *((key, value) for key, value in sorted(qc.items()) if key not in _KNOWN_QC),
    ]
    headers = ("Quantity", "Input", "Output", "Output / input")
    content = join(
        [
            table(css_id="qc-table", headers=headers, rows=_qc_rows(qc)),
            definition_list(css_id="qc-details", items=details),
        ]
    )
    return section(css_id="qc", title="Quantitative QC", content=content)


def _described(value: object, *keys: str) -> str:
    found = _mapping(value)
    if not found:
        return "none"
    return ", ".join(f"{key} {text_of(found.get(key))}" for key in keys if found.get(key) is not None) or "—"


def provenance_section(*, result: Mapping[str, Any]) -> Markup:
    """Which software, weights, device, scorer and adaptation made the output (``<section id="provenance">``)."""
    provenance = _mapping(result.get("provenance"))
    denoiser = _mapping(provenance.get("denoiser"))
    items: list[tuple[object, object]] = [
        ("petiq version", provenance.get("software_version")),
        ("Denoiser", f"{text_of(denoiser.get('name'))} {text_of(denoiser.get('version'))}"),
        ("Denoiser weights (sha256)", denoiser.get("sha256")),
        ("Engine", denoiser.get("engine")),
        ("Orientations averaged", denoiser.get("ensemble")),
        ("Device UID", provenance.get("device_uid")),
        ("Scorer", _described(provenance.get("scorer"), "name", "version", "sha256", "calibration")),
        ("Adaptation", _described(result.get("adaptation"), *_ADAPTATION_KEYS)),
    ]
    notes = result.get("notes") or []
    content = join(
        [
            definition_list(css_id="provenance-list", items=items),
            tag("ul", join(tag("li", note) for note in notes), id="notes") if notes else "",
        ]
    )
    return section(css_id="provenance", title="Provenance", content=content)


def timings_section(*, job: JobPublic) -> Markup:
    """Seconds per pipeline stage and the job's clock (``<section id="timings">``)."""
    stages = _mapping(_mapping(job.result).get("timings_s")) or job.timings.stages_s
    rows = [(stage, _number(seconds, ".3f")) for stage, seconds in stages.items()]
    total = sum(value for value in stages.values() if isinstance(value, int | float))
    rows.append(("total", f"{total:.3f}"))
    clock = job.timings
    wall = (clock.finished - clock.started).total_seconds() if clock.finished and clock.started else None
    items: list[tuple[object, object]] = [
        ("Created (UTC)", clock.created.isoformat(timespec="seconds")),
        ("Started (UTC)", clock.started.isoformat(timespec="seconds") if clock.started else None),
        ("Finished (UTC)", clock.finished.isoformat(timespec="seconds") if clock.finished else None),
        ("Run time (s)", wall),
        ("Attempts", job.attempts),
    ]
    content = join(
        [
            table(css_id="timings-table", headers=("Stage", "Seconds"), rows=rows),
            definition_list(css_id="job-clock", items=items),
        ]
    )
    return section(css_id="timings", title="Timings", content=content)
