"""The ``result.json`` document of a job (DESIGN.md §3, typed as :class:`core.jobs.result.ResultDocument`): the
CLI writes it, the job API returns it.

::

    {"input": {series_uid, n_slices, scores},
     "output": {series_uid, sr_uid, scores},
     "qc": {...},                                  workers.pipeline.qc.quality_control
     "adaptation": {...} | null,
     "uncertainty": {available: true, series_uid, ...} | {available: false, reason} | null,
     "provenance": {software_version, denoiser: {name, version, sha256, engine, ensemble, strength, blend},
                    scorer, device_uid},
     "timings_s": {load, adapt, denoise, uncertainty, qc, score, write},
     "notes": [str, ...]}

``sr_uid`` is the SOP Instance UID of the scores SR written beside the derived series (null when there is none).
``scores`` (:meth:`models.iqa.scoring.SeriesScores.to_dict`) and ``provenance.scorer`` are null when scoring was
off. ``sha256`` is the ONNX weights' digest, from which the DeviceUID is derived. ``strength`` is the level the job
ran at and ``blend`` its weight α (output = input + α · (network output − input), :mod:`models.strength`).
``uncertainty`` is null when the job did not ask for it (:mod:`workers.pipeline.uncertainty`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.jobs.result import ResultDocument
from core.strength import Strength
from core.version import software_version
from models.bundle_info import BundleInfo
from models.inference import DEFAULT_ENSEMBLE

__all__ = ["STAGES", "JobRecord", "result_document"]

STAGES = ("load", "adapt", "denoise", "uncertainty", "qc", "score", "write")
"""The timed stages, in order."""


@dataclass(frozen=True, kw_only=True)
class JobRecord:
    """What a finished job reports.

    Attributes:
        input_series_uid, n_slices: the input series.
        output_series_uid: the derived series.
        bundle, engine: the denoiser's weights and what ran them (e.g. ``onnxruntime/CPUExecutionProvider``).
        ensemble: orientations averaged per slice (:mod:`models.inference`).
        strength, blend: the denoising strength level and its blend weight α (:mod:`models.strength`).
        qc: the ``qc`` section.
        timings_s: seconds per stage (:data:`STAGES`), 0.0 for skipped stages.
        notes: remarks for the reader of the result.
        adaptation: the ``adaptation`` section, None when no adaptation ran.
        uncertainty: the ``uncertainty`` section, None when the job did not ask for it.
        scores_in, scores_out: the input's and the output's ``scores`` sections, None when scoring was off.
        scorer: the ``provenance.scorer`` section, None when scoring was off.
        sr_uid: SOP Instance UID of the scores SR, None when none is written.
    """

    input_series_uid: str
    n_slices: int
    output_series_uid: str
    bundle: BundleInfo
    engine: str
    qc: Mapping[str, Any]
    ensemble: int = DEFAULT_ENSEMBLE
    strength: Strength
    blend: float
    timings_s: Mapping[str, float]
    notes: Sequence[str] = ()
    adaptation: Mapping[str, Any] | None = None
    uncertainty: Mapping[str, Any] | None = None
    sr_uid: str | None = None
    scores_in: Mapping[str, Any] | None = None
    scores_out: Mapping[str, Any] | None = None
    scorer: Mapping[str, Any] | None = None


def _copy(section: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(section) if section is not None else None


def result_document(*, record: JobRecord) -> ResultDocument:
    """``record`` as the result.json document (module docstring); ``model_dump(mode="json")`` is what is written.

    Raises:
        pydantic.ValidationError: a section does not have the documented shape (a bug of its producer).
    """
    bundle = record.bundle
    document = {
        "input": {
            "series_uid": record.input_series_uid,
            "n_slices": record.n_slices,
            "scores": _copy(record.scores_in),
        },
        "output": {"series_uid": record.output_series_uid, "sr_uid": record.sr_uid, "scores": _copy(record.scores_out)},
        "qc": dict(record.qc),
        "adaptation": _copy(record.adaptation),
        "uncertainty": _copy(record.uncertainty),
        "provenance": {
            "software_version": software_version(),
            "denoiser": {
                "name": bundle.name,
                "version": bundle.version,
                "sha256": bundle.onnx_sha256,
                "engine": record.engine,
                "ensemble": record.ensemble,
                "strength": str(record.strength),
                "blend": record.blend,
            },
            "scorer": _copy(record.scorer),
            "device_uid": bundle.device_uid,
        },
        "timings_s": {stage: round(float(record.timings_s.get(stage, 0.0)), 3) for stage in STAGES},
        "notes": list(record.notes),
    }
    return ResultDocument.model_validate(document)
