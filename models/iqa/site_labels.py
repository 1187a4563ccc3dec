"""A site's clinician scores: the CSV, checked row by row, and the series each row names.

The CSV has a header and one row per series::

    series,gqr,pr,dc
    patient07/pet-10pct,2.0,2.5,2.0
    1.2.826.0.1.3680043.8.498.123,1.5,1.0,1.0

``series`` is a folder under ``--series-root`` (relative path) or the SeriesInstanceUID of a series in one of its
folders. Scores are numbers in [0, 3] on the 0.5 grid. Every error names the CSV line and what is wrong, and the
whole file is refused: a calibration never runs on part of a site's scores.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread

from imaging.dicom.sources import list_dicom_files
from imaging.errors import InputError
from models.iqa.labels import METRICS

__all__ = ["LabelRow", "SiteSeries", "parse_labels", "resolve_series"]


@dataclass(frozen=True, kw_only=True)
class LabelRow:
    """One CSV row: its line number, the series reference and the three scores."""

    line: int
    series: str
    scores: tuple[float, float, float]


@dataclass(frozen=True, kw_only=True)
class SiteSeries:
    """A labelled series found on disk: its folder, SeriesInstanceUID, PatientID and the row."""

    folder: Path
    series_uid: str
    patient_id: str
    row: LabelRow


def _bad(line: int, message: str) -> InputError:
    return InputError(f"Argument 'labels' line {line}: {message}", check="iqa_labels")


def _score(*, line: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(line, f"{name} should be a number, got {text!r}.") from None
    if not 0.0 <= value <= 3.0 or abs(value * 2 - round(value * 2)) > 1e-9:
        raise _bad(line, f"{name} should be on the 0.5 grid from 0 to 3, got {text!r}.")
    return value


def parse_labels(*, text: str) -> list[LabelRow]:
    """The rows of a labels CSV (module docstring).

    Raises:
        InputError: a missing column, an empty file, a malformed or off-grid score, a repeated series (check
            ``iqa_labels``).
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ("series", *METRICS) if name not in (reader.fieldnames or [])]
    if missing:
        raise _bad(1, f"the header should have the columns series,gqr,pr,dc; missing {', '.join(missing)}.")
    rows, seen = [], set()
    for line, record in enumerate(reader, start=2):
        series = (record.get("series") or "").strip()
        if not series:
            raise _bad(line, "series is empty.")
        if series in seen:
            raise _bad(line, f"series {series!r} is listed twice.")
        seen.add(series)
        scores = tuple(_score(line=line, name=name, text=(record.get(name) or "").strip()) for name in METRICS)
        rows.append(LabelRow(line=line, series=series, scores=(scores[0], scores[1], scores[2])))
    if not rows:
        raise _bad(2, "the file holds no scored series.")
    return rows


def _series_folders(root: Path) -> Mapping[str, tuple[Path, str]]:
    """SeriesInstanceUID → (folder, PatientID) of every folder under ``root`` that holds DICOM files."""
    found: dict[str, tuple[Path, str]] = {}
    for folder in sorted({path.parent for path in root.rglob("*") if path.is_file()}):
        files = list_dicom_files(directory=folder)
        if files:
            header = dcmread(files[0], stop_before_pixels=True)
            found.setdefault(str(header.SeriesInstanceUID), (folder, str(header.get("PatientID", ""))))
    return found


def resolve_series(*, rows: Sequence[LabelRow], series_root: Path) -> list[SiteSeries]:
    """The folder, UID and patient of each row's series under ``series_root``.

    Raises:
        InputError: ``series_root`` is not a folder, or a row names no series found there (check ``iqa_labels``).
    """
    root = Path(series_root)
    if not root.is_dir():
        raise InputError(f"Argument 'series_root' should be a folder, got {root}.", check="iqa_labels", path=str(root))
    by_uid = _series_folders(root)
    by_folder = {folder.resolve(): (uid, patient) for uid, (folder, patient) in by_uid.items()}
    result = []
    for row in rows:
        folder = (root / row.series).resolve()
        if folder in by_folder:
            uid, patient = by_folder[folder]
        elif row.series in by_uid:
            folder, patient = by_uid[row.series]
            uid = row.series
        else:
            raise _bad(
                row.line,
                f"series {row.series!r} is neither a series folder under {root} nor the SeriesInstanceUID of one.",
            )
        result.append(SiteSeries(folder=folder, series_uid=uid, patient_id=patient or uid, row=row))
    return result
