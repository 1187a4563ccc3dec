"""Benchmark: the work around the network in ``petiq process``, part by part, in one interpreter.

:mod:`bench.speed.pipeline` times the stages of whole runs; this splits the stages other than the network into the
parts that cost (issue 25), on one series (default: the real GE series ``../shared/data/pet-real-ge-sts001``), with
the garbage collector set as during a job (:mod:`workers.pipeline.collector`):

- parse: every file parsed (:func:`imaging.dicom.bounded.read_bounded`);
- tolerant check: :func:`imaging.dicom.sources.drop_unreadable` over the parsed files, with the series' memo;
- rest of load: :func:`imaging.dicom.reader.read_pet_series` minus the two parts above (checks, slice order,
  geometry, pixel decoding, SUV);
- qc: :func:`workers.pipeline.qc.quality_control`;
- derived headers: :func:`imaging.dicom.derived.derive_series`;
- encode, write, fsync: :func:`imaging.dicom.files.write_series`;
- SR: the scores SR built and written (:func:`workers.pipeline.report_sr.write_scores_sr`); ``SR, first`` is the
  first run's, which also pays what highdicom loads once per process (its tables of the standard).

The series stands in for its own denoised volume: the network is not part of this benchmark. Seconds are the
median over ``--repeat`` runs (the first run's for ``SR, first``).
Run: ``.venv/bin/python -m bench.speed.pipeline_parts [--series DIR] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from bench.shared_data import GE_SERIES
from bench.tables import format_table
from core.settings import Settings
from core.strength import DEFAULT_STRENGTH
from imaging.dicom.bounded import read_bounded
from imaging.dicom.files import write_series
from imaging.dicom.reader import PetSeries, read_pet_series
from imaging.dicom.sources import ConvertedKeys, drop_unreadable, list_dicom_files
from imaging.intensity import activity_scale, body_mask
from models.bundle_info import load_bundle_info
from models.strength import blend_weight
from workers.pipeline.collector import fewer_collections
from workers.pipeline.qc import quality_control
from workers.pipeline.report_sr import new_sr_uid, write_scores_sr
from workers.pipeline.result import JobRecord, result_document
from workers.pipeline.settings import resolve_weights_dir
from workers.pipeline.write import algorithm_identity, derived_datasets

__all__ = ["PARTS", "main", "parts_once"]

PARTS = (
    "parse",
    "tolerant check",
    "rest of load",
    "qc",
    "derived headers",
    "encode, write, fsync",
    "SR",
)
_T = TypeVar("_T")


def _timed(seconds: dict[str, float], part: str, work: Callable[[], _T]) -> _T:
    start = time.perf_counter()
    result = work()
    seconds[part] = time.perf_counter() - start
    return result


def _record(*, series: PetSeries, derived_uid: str, qc: dict[str, object]) -> JobRecord:
    """The job record the SR is written from, as :func:`workers.pipeline.job.run_process` makes it (no scores)."""
    bundle = load_bundle_info(directory=resolve_weights_dir(override=None, settings=Settings()))
    return JobRecord(
        input_series_uid=series.volume.uids.series_uid,
        n_slices=series.volume.shape[0],
        output_series_uid=derived_uid,
        bundle=bundle,
        engine="none (benchmark: the series stands in for its denoised volume)",
        qc=qc,
        strength=DEFAULT_STRENGTH,
        blend=blend_weight(strengths=bundle.strengths, strength=DEFAULT_STRENGTH),
        timings_s={},
        sr_uid=new_sr_uid(),
    )


def parts_once(*, series_dir: Path, work_dir: Path) -> dict[str, float]:
    """Seconds of each part of :data:`PARTS` for ``series_dir``, writing under ``work_dir`` (a new folder)."""
    seconds: dict[str, float] = {}
    paths = list_dicom_files(directory=series_dir)
    parsed = _timed(seconds, "parse", lambda: [read_bounded(data=path, name=str(path)) for path in paths])
    converted: ConvertedKeys = set()

    def check() -> None:
        for dataset, path in zip(parsed, paths, strict=True):
            drop_unreadable(dataset=dataset, name=str(path), converted=converted)

    _timed(seconds, "tolerant check", check)
    series = _timed(seconds, "rest of load", lambda: read_pet_series(source=series_dir))
    seconds["rest of load"] -= seconds["parse"] + seconds["tolerant check"]
    volume = series.volume
    scale = activity_scale(voxels=volume.voxels)
    body = body_mask(voxels=volume.voxels, scale=scale)
    qc = _timed(seconds, "qc", lambda: quality_control(before=volume, after=volume, scale=scale, body=body))
    record = _record(series=series, derived_uid="", qc=qc)
    algorithm = algorithm_identity(bundle=record.bundle, strength=record.strength, blend=record.blend)
    derived = _timed(
        seconds, "derived headers", lambda: derived_datasets(series=series, denoised=volume, algorithm=algorithm)
    )
    _timed(seconds, "encode, write, fsync", lambda: write_series(datasets=derived, directory=work_dir / "denoised"))
    record = replace(record, output_series_uid=str(derived[0].SeriesInstanceUID))
    result = result_document(record=record).model_dump(mode="json")
    _timed(
        seconds,
        "SR",
        lambda: write_scores_sr(series=series, derived=derived, result=result, algorithm=algorithm, directory=work_dir),
    )
    return seconds


def table(runs: Sequence[dict[str, float]]) -> str:
    """The parts' median seconds over ``runs`` (``SR, first``: the first run's), their sum and shares."""
    medians = {part: statistics.median(run[part] for run in runs) for part in PARTS}
    rows_in = [(part, medians[part]) for part in PARTS[:-1]]
    later = runs[1:] or runs
    rows_in += [("SR, first", runs[0]["SR"]), ("SR", statistics.median(run["SR"] for run in later))]
    total = sum(seconds for part, seconds in rows_in if part != "SR, first")
    rows = [[part, f"{seconds:.3f}", f"{seconds / total:.0%}"] for part, seconds in rows_in]
    rows.append(["total (SR not first)", f"{total:.3f}", "100%"])
    return format_table(
        title=f"work around the network, seconds (median of {len(runs)} runs; collector as during a job)",
        header=["part", "s", "share"],
        rows=rows,
    )


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.pipeline_parts", description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=Path, default=GE_SERIES, help="a PET series folder (default: the GE series)")
    parser.add_argument("--repeat", type=int, default=3, help="runs (at least 1; 2 or more to see SR after the first)")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat should be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for ``--series``; 2 when the series folder is absent."""
    arguments = parse_arguments(argv)
    if not arguments.series.is_dir():
        print(f"no series at {arguments.series}: nothing measured")
        return 2
    runs = []
    with fewer_collections(), tempfile.TemporaryDirectory(prefix="petiq-parts-") as work:
        for index in range(arguments.repeat):
            runs.append(parts_once(series_dir=arguments.series, work_dir=Path(work) / str(index)))
    print(f"series {arguments.series}")
    print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
