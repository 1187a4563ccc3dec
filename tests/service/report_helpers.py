"""Helpers of the report tests: small volumes, result.json documents (with or without scores) and job manifests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from core.jobs.models import JobPublic, JobStatus, JobTimings
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units

CALIBRATION = "model-observer-sim/1: a model observer on simulated studies, not clinician scores"
CREATED = datetime(2026, 11, 2, 8, 0, 0, tzinfo=UTC)


def volume(*, voxels: npt.NDArray[np.float32], spacing: tuple[float, float, float], factor: float | None) -> PetVolume:
    """A BQML volume of ``voxels`` (axial, z towards the head) with ``spacing`` (z, y, x) mm and SUV ``factor``."""
    return PetVolume(
        voxels=voxels,
        geometry=Geometry(
            origin_mm=(0.0, 0.0, 0.0),
            row_direction=(1.0, 0.0, 0.0),
            column_direction=(0.0, 1.0, 0.0),
            spacing_mm=spacing,
            slice_positions_mm=tuple(index * spacing[0] for index in range(voxels.shape[0])),
        ),
        units=Units.BQML,
        suv=SuvFactor(factor=factor, reason=None if factor else "no patient weight"),
        uids=SeriesUids(
            study_uid="1.2", series_uid="1.2.3", frame_of_reference_uid=None, sop_class_uid="", sop_instance_uids=()
        ),
    )


def scores(*, gqr: float, uncertainty: float) -> dict[str, Any]:
    """A SCORES mapping (the scores format of issue 6)."""
    return {
        "gqr": gqr,
        "pr": 2.0,
        "dc": 2.0,
        "raw": {"gqr": gqr - 0.09, "pr": 2.07, "dc": 1.98},
        "uncertainty": {"gqr": uncertainty, "pr": 0.28, "dc": 0.30},
        "calibration": CALIBRATION,
        "n_patches": 300,
    }


def result_document(*, input_uid: str, output_uid: str, scored: bool) -> dict[str, Any]:
    """A result.json document as the pipeline writes it; scores (and scorer) only when ``scored``."""
    scorer = {"name": "petiq-iqa", "version": "1", "sha256": "ab" * 32, "calibration": CALIBRATION}
    before, after = (scores(gqr=1.5, uncertainty=0.42), scores(gqr=2.5, uncertainty=0.31)) if scored else (None, None)
    return {
        "input": {"series_uid": input_uid, "n_slices": 4, "scores": before},
        "output": {"series_uid": output_uid, "sr_uid": None, "scores": after},
        "qc": {
            "units": "BQML", "suv_factor": 0.0012, "suv_reason": None, "suvmax_in": 8.0, "suvmax_out": 7.2,
            "max_bqml_in": 6666.7, "max_bqml_out": 6000.0, "suvmean_ratio_body": 0.9987, "body_voxels": 123,
            "body_volume_ml": 45.6, "noise_cov_in": 0.25, "noise_cov_out": 0.1,
            "uniform_region": {"centre_voxel": [2, 4, 4], "size_voxels": [3, 3, 3], "size_mm": [30.0, 30.0, 30.0]},
            "future_metric": 0.5,
        },
        "adaptation": None,
        "provenance": {
            "software_version": "0.1.0",
            "denoiser": {
                "name": "petiq-dncnn",
                "version": "1.0.0",
                "sha256": "cd" * 32,
                "engine": "onnxruntime/CPU",
                "ensemble": 4,
                "strength": "medium",
                "blend": 0.75,
            },
            "scorer": scorer if scored else None,
            "device_uid": "2.25.1234",
        },
        "timings_s": {"load": 0.5, "adapt": 0.0, "denoise": 1.25, "qc": 0.2, "score": 0.0, "write": 0.3},
        "notes": [] if scored else ["quality scoring is not available in this version of petiq: scores are null"],
    }  # fmt: skip


def job(
    *,
    number: int,
    status: JobStatus,
    study_uid: str,
    series_uid: str,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> JobPublic:
    """A job manifest (id from ``number``) in ``status``."""
    finished = status.finished
    return JobPublic(
        id=str(uuid.UUID(int=number)),
        study_uid=study_uid,
        series_uid=series_uid,
        status=status,
        stage="denoise" if status is JobStatus.RUNNING else None,
        progress=100.0 if finished else 40.0 if status is JobStatus.RUNNING else 0.0,
        timings=JobTimings(
            created=CREATED,
            started=CREATED + timedelta(seconds=2) if status is not JobStatus.QUEUED else None,
            finished=CREATED + timedelta(seconds=5) if finished else None,
        ),
        attempts=0 if status is JobStatus.QUEUED else 1,
        result=result,
        error=error,
    )  # fmt: skip
