"""Write a simulated study to disk: one ORIGINAL PET DICOM series per level (and split, and realisation), the
truth in ``study.npz`` and a manifest ``study.json``. All or nothing: the study is staged beside the target and
renamed into place.

Layout::

    OUT/study.json                    request, seed, protocol, phantom facts, lesions, one entry per series
    OUT/study.npz                     activity (truth, Bq/ml), mu (1/mm), reference (noise-free recon, Bq/ml),
                                      spacing_mm, and every ROI as ``mask:<name>`` (bool), all (z, y, x)
    OUT/r00/count-100pct/0001.dcm …   realisation 0, full counts
    OUT/r00/count-5pct-split-a/…      realisation 0, 5 % counts, half-count split A
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from imaging.atomic import folder_is_free, staged_directory
from imaging.dicom.files import write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.errors import OutputError
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.study import (
    UPTAKE_S,
    SimulatedSeries,
    SimulatedStudy,
    header_injected_dose_bq,
    scanner_for,
)

__all__ = ["ACQUISITION_START", "acquisition_info", "study_manifest", "write_study"]

ACQUISITION_START = datetime(2026, 1, 15, 10, 0, 0)
"""Series date/time written for every simulated study (scan start); injection is UPTAKE_S earlier."""

_BODY_PART = {PhantomKind.BRAIN: "BRAIN", PhantomKind.TORSO: "WHOLEBODY", PhantomKind.NEMA: "WHOLEBODY"}


def acquisition_info(*, study: SimulatedStudy, series: SimulatedSeries, number: int) -> AcquisitionInfo:
    """The DICOM header facts of one simulated series; the frame lasts the count level's share of a full scan."""
    request, phantom = study.request, study.phantom
    variant = phantom.variant or "default"
    split = f" split {series.split}" if series.split else ""
    full_ms = scanner_for(kind=request.kind).duration_s * 1000.0
    return AcquisitionInfo(
        patient_name=f"PETIQ^SIM {request.kind.value} {request.seed}",
        patient_id=f"PETIQ-SIM-{request.kind.value}-{request.seed}",
        patient_weight_kg=phantom.patient_weight_kg,
        patient_height_m=phantom.patient_height_m,
        study_description=f"petiq simulated {request.kind.value} {variant}",
        series_description=f"sim {request.protocol} {series.level * 100:g}%{split} r{series.realization}",
        series_number=number,
        body_part_examined=_BODY_PART[request.kind],
        acquisition_datetime=ACQUISITION_START,
        injection_datetime=ACQUISITION_START - timedelta(seconds=UPTAKE_S),
        injected_dose_bq=header_injected_dose_bq(phantom=phantom),
        frame_duration_ms=max(1, round(full_ms * series.counted_fraction)),
        reconstruction_method=f"OSEM {study.protocol.iterations}i{study.protocol.subsets}s ({study.protocol.name})",
    )


def study_manifest(*, study: SimulatedStudy, paths: dict[str, str]) -> dict[str, Any]:
    """The JSON manifest: what was simulated and where each series went (paths relative to the study folder)."""
    phantom = study.phantom
    return {
        "request": {**asdict(study.request), "kind": study.request.kind.value},
        "study_uid": study.study_uid,
        "frame_of_reference_uid": study.frame_of_reference_uid,
        "protocol": asdict(study.protocol),
        "phantom": {
            "kind": phantom.kind.value,
            "variant": phantom.variant,
            "shape": list(phantom.shape),
            "spacing_mm": list(phantom.spacing_mm),
            "patient_weight_kg": phantom.patient_weight_kg,
            "dose_at_scan_bq": phantom.injected_dose_bq,
            "masks": sorted(phantom.masks),
            "lesions": [asdict(lesion) for lesion in phantom.lesions],
        },
        "series": [
            {
                "name": s.name,
                "realization": s.realization,
                "level": s.level,
                "split": s.split,
                "series_uid": s.volume.uids.series_uid,
                "path": paths[s.volume.uids.series_uid],
            }
            for s in study.series
        ],
    }


def _write_truth(*, study: SimulatedStudy, path: Path) -> None:
    phantom = study.phantom
    arrays: dict[str, Any] = {
        "activity": phantom.activity,
        "mu": phantom.mu,
        "reference": study.reference,
        "spacing_mm": np.asarray(phantom.spacing_mm),
    }
    arrays.update({f"mask:{name}": mask for name, mask in phantom.masks.items()})
    with path.open("xb") as handle:
        np.savez_compressed(handle, **arrays)


def _stage(*, study: SimulatedStudy, staging: Path) -> None:
    paths: dict[str, str] = {}
    for number, series in enumerate(study.series, start=1):
        relative = f"r{series.realization:02d}/{series.name}"
        datasets = create_original_series(
            volume=series.volume, info=acquisition_info(study=study, series=series, number=number)
        )
        write_series(datasets=datasets, directory=staging / relative)
        paths[series.volume.uids.series_uid] = relative
    _write_truth(study=study, path=staging / "study.npz")
    manifest = json.dumps(study_manifest(study=study, paths=paths), indent=2, default=str)
    (staging / "study.json").write_text(manifest + "\n")


def write_study(*, study: SimulatedStudy, directory: Path) -> Path:
    """Write ``study`` into ``directory`` (which must not exist or be empty), all or nothing.

    Raises:
        OutputError: ``directory`` is not empty, or writing failed (then nothing is left behind).
    """
    directory = Path(directory)
    if not folder_is_free(directory):
        raise OutputError("Output directory exists and is not empty.", check="output_empty", path=str(directory))
    try:
        with staged_directory(target=directory) as staging:
            _stage(study=study, staging=staging)
    except (OutputError, OSError) as error:
        raise OutputError(f"Writing the study failed: {error}", path=str(directory)) from error
    return directory
