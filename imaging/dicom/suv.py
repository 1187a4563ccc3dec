"""The SUVbw factor: ``suv = voxel (Bq/ml) * weight_g / decay-corrected injected dose (Bq)``.

:func:`suv_factor` is a pure function over the header values gathered in :class:`SuvInputs`;
:func:`suv_inputs` gathers them from a series' headers. It never raises: when the factor cannot be computed
it says why (``SuvFactor(factor=None, reason=...)``).

Reference time (the time the voxel activity is decay-corrected to), after the vendor-neutral QIBA procedure:

- DecayCorrection ``START``: SeriesDate/SeriesTime; but when the series time is after the earliest
  AcquisitionDate/AcquisitionTime of the slices (a series re-created by post-processing), the earliest
  acquisition time instead.
- ``NONE`` (not decay corrected): the earliest acquisition time (the scan start; the series time when no slice
  carries one). Activity decaying between bed positions and during each frame is not accounted for: a single
  factor for the whole volume is an approximation there.
- ``ADMIN``: the images are already corrected to the administration time: the dose is used as is.

Units ``GML`` are already SUVbw: factor 1.0. Other units than ``BQML`` and ``GML``: no factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydicom.dataset import Dataset
from pydicom.valuerep import DA, DT, TM

from imaging.dicom.modules import DecayCorrection
from imaging.dicom.tolerant import first_item
from imaging.volume import SuvFactor, Units

__all__ = ["DecayCorrection", "SuvInputs", "parse_datetime", "suv_factor", "suv_inputs"]


@dataclass(frozen=True, kw_only=True)
class SuvInputs:
    """The header values SUVbw depends on; None where absent or unreadable.

    Attributes:
        units: Units (0054,1001) as written.
        decay_correction: DecayCorrection (0054,1102) as written.
        weight_kg: PatientWeight, kg.
        total_dose_bq: RadionuclideTotalDose, Bq (at injection start).
        half_life_s: RadionuclideHalfLife, s.
        injection: RadiopharmaceuticalStartDateTime, or SeriesDate + RadiopharmaceuticalStartTime.
        series: SeriesDate + SeriesTime.
        earliest_acquisition: the earliest AcquisitionDate + AcquisitionTime over the slices.
    """

    units: str | None
    decay_correction: str | None
    weight_kg: float | None
    total_dose_bq: float | None
    half_life_s: float | None
    injection: datetime | None
    series: datetime | None
    earliest_acquisition: datetime | None


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _reference_time(*, inputs: SuvInputs, decay: DecayCorrection) -> datetime | None:
    series, acquisition = inputs.series, inputs.earliest_acquisition
    if decay is DecayCorrection.NONE:
        return acquisition or series
    if series is not None and (acquisition is None or series <= acquisition):
        return series
    return acquisition


def _decayed_dose(*, inputs: SuvInputs, dose_bq: float, decay: DecayCorrection) -> float | str:
    """``dose_bq`` decayed from injection to the reference time (Bq), or why it cannot be known."""
    if decay is DecayCorrection.ADMIN:
        return dose_bq
    half_life_s = inputs.half_life_s
    if half_life_s is None or not _positive(half_life_s):
        return _not_positive("RadionuclideHalfLife", half_life_s)
    reference = _reference_time(inputs=inputs, decay=decay)
    if inputs.injection is None or reference is None:
        return "the injection time or the series/acquisition time is missing"
    elapsed_s = (reference - inputs.injection).total_seconds()
    if elapsed_s < 0:
        return f"the injection time {inputs.injection.isoformat()} is after the reference time {reference.isoformat()}"
    return dose_bq * math.exp(-math.log(2.0) * elapsed_s / half_life_s)


def _not_positive(keyword: str, value: float | None) -> str:
    """Why ``keyword`` gives no SUV: absent, or the value that is not a positive number."""
    return f"{keyword} is absent" if value is None else f"{keyword} is not a positive number ({value!r})"


def suv_factor(*, inputs: SuvInputs) -> SuvFactor:
    """SUVbw per pixel unit (g/ml per Bq/ml): weight_g / decayed dose; never raises (see the module docstring)."""
    if inputs.units == Units.GML:
        return SuvFactor(factor=1.0)
    if not inputs.units:
        return SuvFactor(factor=None, reason="Units (0054,1001) is missing or empty: no SUVbw without a known unit")
    if inputs.units != Units.BQML:
        return SuvFactor(factor=None, reason=f"Units {inputs.units!r} are not BQML: no SUVbw from them")
    weight_kg, dose_bq = inputs.weight_kg, inputs.total_dose_bq
    if weight_kg is None or not _positive(weight_kg):
        return SuvFactor(factor=None, reason=_not_positive("PatientWeight", weight_kg))
    if dose_bq is None or not _positive(dose_bq):
        return SuvFactor(factor=None, reason=_not_positive("RadionuclideTotalDose", dose_bq))
    try:
        decay = DecayCorrection(inputs.decay_correction or "")
    except ValueError:
        return SuvFactor(factor=None, reason=f"DecayCorrection {inputs.decay_correction!r} is not START/ADMIN/NONE")
    dose = _decayed_dose(inputs=inputs, dose_bq=dose_bq, decay=decay)
    if isinstance(dose, str):
        return SuvFactor(factor=None, reason=dose)
    return SuvFactor(factor=weight_kg * 1000.0 / dose)


def parse_datetime(*, date: object, time: object) -> datetime | None:
    """A DICOM DA and TM pair as a naive datetime, None when either is absent or malformed."""
    try:
        return datetime.combine(DA(str(date)), TM(str(time)))
    except (TypeError, ValueError):
        return None


def _parse_dt(value: object) -> datetime | None:
    """A DICOM DT value as a naive datetime (an offset from UTC is dropped), None when absent or malformed."""
    if value is None or not str(value).strip():
        return None
    try:
        return DT(str(value)).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _earliest_acquisition(datasets: Sequence[Dataset]) -> datetime | None:
    times = [
        parse_datetime(date=ds.get("AcquisitionDate"), time=ds.get("AcquisitionTime"))
        or _parse_dt(ds.get("AcquisitionDateTime"))
        for ds in datasets
    ]
    known = [time for time in times if time is not None]
    return min(known) if known else None


def suv_inputs(*, datasets: Sequence[Dataset]) -> SuvInputs:
    """Gather :class:`SuvInputs` from a series' headers (any order); never raises on missing or bad values."""
    first = datasets[0]
    drug = first_item(first, "RadiopharmaceuticalInformationSequence")
    injection = _parse_dt(drug.get("RadiopharmaceuticalStartDateTime")) or parse_datetime(
        date=first.get("SeriesDate"), time=drug.get("RadiopharmaceuticalStartTime")
    )
    return SuvInputs(
        units=str(first.get("Units")) if "Units" in first else None,
        decay_correction=str(first.get("DecayCorrection")) if "DecayCorrection" in first else None,
        weight_kg=_number(first.get("PatientWeight")),
        total_dose_bq=_number(drug.get("RadionuclideTotalDose")),
        half_life_s=_number(drug.get("RadionuclideHalfLife")),
        injection=injection,
        series=parse_datetime(date=first.get("SeriesDate"), time=first.get("SeriesTime")),
        earliest_acquisition=_earliest_acquisition(datasets),
    )
