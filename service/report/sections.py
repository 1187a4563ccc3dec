"""The sections of a report built from a job's ``result.json`` document (pure; every value escaped).

Scores: GQR, PR and DC of the input and of the output, each ``score ± uncertainty`` with the unrounded value,
"not scored" when the series' ``scores`` are null, and the calibration note saying they are a model's estimate,
not a clinician's. QC: the ``qc`` section (:class:`core.jobs.result.QcSection`; keys it does not know are listed
too). Provenance: software, denoiser, device, scorer, adaptation and notes. Timings: seconds per stage and the
job's clock.
"""

from __future__ import annotations

from pydantic import BaseModel

from core.jobs.models import JobPublic
from core.jobs.result import DenoiserProvenance, MetricValues, QcSection, ResultDocument, Scores, UniformRegion
from service.report.markup import Markup, definition_list, join, section, table, tag, text_of

__all__ = ["SCORE_NAMES", "output_series_uid", "provenance_section", "qc_section", "scores_section", "timings_section"]

SCORE_NAMES = {
    "gqr": "Global quality rating (GQR)",
    "pr": "Pathology recognisable (PR)",
    "dc": "Diagnostic confidence (DC)",
}
_ADAPTATION_KEYS = (
    "mode",
    "phi",
    "steps",
    "seconds",
    "trainable_kernel_fraction",
    "regrown_channels",
    "seed",
    "approximation",
)
_SCALE = "0 unacceptable · 1 poor but usable · 2 acceptable · 3 good/excellent, in steps of 0.5"


def output_series_uid(*, result: ResultDocument | None) -> str | None:
    """``result.output.series_uid`` of a result.json document, None when there is no document."""
    return result.output.series_uid if result is not None else None


def _number(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else text_of(value)


def _metric(values: MetricValues | Scores, key: str) -> float:
    value: float = getattr(values, key)
    return value


def _score_cell(scores: Scores | None, key: str) -> Markup:
    if scores is None:
        return tag("span", "not scored", class_="not-scored")
    text = f"{_number(_metric(scores, key), '.1f')} ± {_number(_metric(scores.uncertainty, key), '.2f')}"
    raw = _metric(scores.raw, key)
    return join([tag("span", text, class_="score"), tag("small", f" (unrounded {_number(raw, '.2f')})")])


def _calibrations(result: ResultDocument) -> list[str]:
    found = [scores.calibration for scores in (result.input.scores, result.output.scores) if scores is not None]
    if result.provenance.scorer is not None:
        found.append(result.provenance.scorer.calibration)
    return list(dict.fromkeys(label for label in found if label))


def scores_section(*, result: ResultDocument | None) -> Markup:
    """GQR/PR/DC of input and output with uncertainty, and the calibration note (``<section id="scores">``)."""
    inputs = result.input.scores if result is not None else None
    outputs = result.output.scores if result is not None else None
    rows = [(name, _score_cell(inputs, key), _score_cell(outputs, key)) for key, name in SCORE_NAMES.items()]
    if result is not None and (inputs is not None or outputs is not None):
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


def _percent(value: float | None) -> float | None:
    return value * 100.0 if value is not None else None


def _qc_rows(qc: QcSection) -> list[tuple[object, ...]]:
    pairs = [
        ("SUVmax (SUVbw)", qc.suvmax_in, qc.suvmax_out),
        ("Maximum activity (Bq/ml)", qc.max_bqml_in, qc.max_bqml_out),
        ("Noise CoV in a uniform region (%)", _percent(qc.noise_cov_in), _percent(qc.noise_cov_out)),
    ]
    rows: list[tuple[object, ...]] = [(name, before, after, _ratio(before, after)) for name, before, after in pairs]
    rows.append(("Mean activity in the body", "", "", _number(qc.suvmean_ratio_body, ".4f")))
    if qc.activity_factor is not None:
        factor = _number(qc.activity_factor, ".4f")
        rows.append(("Activity-preserving factor applied to the network's output", "", "", factor))
    return rows


def _region(region: UniformRegion) -> str:
    if region.centre_voxel is None:
        return f"none found: {text_of(region.reason)}"
    return f"centre voxel (z, y, x) {text_of(region.centre_voxel)}, {text_of(region.size_mm)} mm"


def qc_section(*, result: ResultDocument | None) -> Markup:
    """Quantitative QC of the output against the input (``<section id="qc">`` with ``<table id="qc-table">``)."""
    if result is None:
        content = tag("p", "No quantitative QC: the job has no result.", class_="note")
        return section(css_id="qc", title="Quantitative QC", content=content)
    qc = result.qc
    details: list[tuple[object, object]] = [
        ("Units", qc.units),
        ("SUVbw factor (per unit)", qc.suv_factor if qc.suv_factor is not None else qc.suv_reason),
        ("Body volume (ml)", qc.body_volume_ml),
        ("Uniform region", _region(qc.uniform_region)),
        *sorted((qc.model_extra or {}).items()),
    ]
    headers = ("Quantity", "Input", "Output", "Output / input")
    content = join(
        [
            table(css_id="qc-table", headers=headers, rows=_qc_rows(qc)),
            definition_list(css_id="qc-details", items=details),
        ]
    )
    return section(css_id="qc", title="Quantitative QC", content=content)


def _described(value: BaseModel | None, *keys: str) -> str:
    """``key value, ...`` of ``value``'s ``keys`` that are not None; ``none`` when there is no ``value``."""
    if value is None:
        return "none"
    found = value.model_dump(mode="json")
    return ", ".join(f"{key} {text_of(found.get(key))}" for key in keys if found.get(key) is not None) or "—"


def _strength(denoiser: DenoiserProvenance) -> str:
    """``medium (blend α = 0.75: input + α · (network output − input))``; for a document from before levels
    existed, the network's full output."""
    if denoiser.strength is None:
        return "not recorded (before strength levels: the network's full output)"
    blend = "" if denoiser.blend is None else f" (blend α = {denoiser.blend:g}: input + α · (network output − input))"
    return f"{denoiser.strength}{blend}"


def provenance_section(*, result: ResultDocument | None) -> Markup:
    """Which software, weights, device, scorer and adaptation made the output (``<section id="provenance">``)."""
    if result is None:
        content = tag("p", "No provenance: the job has no result.", class_="note")
        return section(css_id="provenance", title="Provenance", content=content)
    provenance = result.provenance
    denoiser = provenance.denoiser
    items: list[tuple[object, object]] = [
        ("petiq version", provenance.software_version),
        ("Denoiser", f"{denoiser.name} {denoiser.version}"),
        ("Denoiser weights (sha256)", denoiser.sha256),
        ("Engine", denoiser.engine),
        ("Orientations averaged", denoiser.ensemble),
        ("Strength", _strength(denoiser)),
        ("Device UID", provenance.device_uid),
        ("Scorer", _described(provenance.scorer, "name", "version", "sha256", "calibration")),
        ("Adaptation", _described(result.adaptation, *_ADAPTATION_KEYS)),
    ]
    notes = result.notes
    content = join(
        [
            definition_list(css_id="provenance-list", items=items),
            tag("ul", join(tag("li", note) for note in notes), id="notes") if notes else "",
        ]
    )
    return section(css_id="provenance", title="Provenance", content=content)


def timings_section(*, job: JobPublic) -> Markup:
    """Seconds per pipeline stage and the job's clock (``<section id="timings">``)."""
    stages = job.result.timings_s.model_dump() if job.result is not None else job.timings.stages_s
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
