"""SUVbw factor: the pure function over header values and the gathering of those values from headers."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import numpy as np
import pytest
from pydicom.dataset import Dataset

from imaging.dicom import suv
from imaging.dicom.suv import SuvInputs, parse_datetime, suv_factor, suv_inputs
from tests.imaging.dicom.factories import DOSE_BQ, HALF_LIFE_S, WEIGHT_KG, make_pet_series

INJECTION = datetime(2024, 1, 2, 9, 30)
SERIES = datetime(2024, 1, 2, 10, 30)

BASE = SuvInputs(
    units="BQML",
    decay_correction="START",
    weight_kg=80.0,
    total_dose_bq=4.0e8,
    half_life_s=6600.0,
    injection=INJECTION,
    series=SERIES,
    earliest_acquisition=SERIES,
)


def test_all_lists_the_public_names() -> None:
    assert set(suv.__all__) == {"DecayCorrection", "SuvInputs", "parse_datetime", "suv_factor", "suv_inputs"}


def test_start_decays_the_dose_to_the_series_time() -> None:
    expected = 80_000.0 / (4.0e8 * 0.5 ** (3600.0 / 6600.0))
    assert suv_factor(inputs=BASE).factor == pytest.approx(expected, rel=1e-12)


def test_start_falls_back_to_the_earliest_acquisition_when_the_series_time_is_later() -> None:
    later_series = dataclasses.replace(BASE, series=SERIES + timedelta(hours=2))
    assert suv_factor(inputs=later_series).factor == pytest.approx(suv_factor(inputs=BASE).factor, rel=1e-12)


def test_start_keeps_the_series_time_when_it_is_before_the_acquisition() -> None:
    later_acquisition = dataclasses.replace(BASE, earliest_acquisition=SERIES + timedelta(minutes=5))
    assert suv_factor(inputs=later_acquisition).factor == pytest.approx(suv_factor(inputs=BASE).factor, rel=1e-12)


def test_admin_uses_the_dose_as_injected() -> None:
    admin = dataclasses.replace(BASE, decay_correction="ADMIN", half_life_s=None, injection=None)
    assert suv_factor(inputs=admin).factor == pytest.approx(80_000.0 / 4.0e8, rel=1e-12)


def test_none_decays_to_the_acquisition_time() -> None:
    acquisition = SERIES + timedelta(minutes=20)
    uncorrected = dataclasses.replace(BASE, decay_correction="NONE", earliest_acquisition=acquisition)
    expected = 80_000.0 / (4.0e8 * 0.5 ** (4800.0 / 6600.0))
    assert suv_factor(inputs=uncorrected).factor == pytest.approx(expected, rel=1e-12)


def test_gml_is_already_suv() -> None:
    assert suv_factor(inputs=dataclasses.replace(BASE, units="GML", weight_kg=None)).factor == 1.0


@pytest.mark.parametrize(
    ("change", "reason_word"),
    [
        ({"units": "CNTS"}, "CNTS"),
        ({"units": None}, "Units (0054,1001) is missing"),
        ({"weight_kg": None}, "PatientWeight"),
        ({"weight_kg": 0.0}, "PatientWeight"),
        ({"total_dose_bq": None}, "RadionuclideTotalDose"),
        ({"total_dose_bq": float("nan")}, "RadionuclideTotalDose"),
        ({"half_life_s": None}, "RadionuclideHalfLife"),
        ({"decay_correction": "SOMETIME"}, "DecayCorrection"),
        ({"injection": None}, "injection"),
        ({"series": None, "earliest_acquisition": None}, "injection time or the series"),
        ({"injection": SERIES + timedelta(minutes=1)}, "after the reference time"),
    ],
)
def test_a_missing_or_invalid_value_gives_no_factor_and_a_reason(change: dict[str, object], reason_word: str) -> None:
    result = suv_factor(inputs=dataclasses.replace(BASE, **change))  # type: ignore[arg-type]
    assert result.factor is None
    assert result.reason is not None and reason_word in result.reason


def test_inputs_are_gathered_from_synthetic_headers() -> None:
    series = make_pet_series(rng=np.random.default_rng(0), shape=(3, 2, 2))
    series.datasets[1].AcquisitionTime = "102500.00"
    inputs = suv_inputs(datasets=series.datasets)
    assert (inputs.units, inputs.decay_correction) == ("BQML", "START")
    assert (inputs.weight_kg, inputs.total_dose_bq, inputs.half_life_s) == (WEIGHT_KG, DOSE_BQ, HALF_LIFE_S)
    assert inputs.injection == datetime(2024, 1, 2, 9, 30)
    assert inputs.series == datetime(2024, 1, 2, 10, 30)
    assert inputs.earliest_acquisition == datetime(2024, 1, 2, 10, 25)


def test_the_start_datetime_wins_over_the_start_time() -> None:
    series = make_pet_series(rng=np.random.default_rng(0), shape=(2, 2, 2))
    drug = series.datasets[0].RadiopharmaceuticalInformationSequence[0]
    drug.RadiopharmaceuticalStartDateTime = "20240102091500+0100"
    assert suv_inputs(datasets=series.datasets).injection == datetime(2024, 1, 2, 9, 15)


def test_headers_without_radiopharmaceutical_data_give_a_reason() -> None:
    header = Dataset()
    header.Units, header.DecayCorrection, header.PatientWeight = "BQML", "START", "70"
    result = suv_factor(inputs=suv_inputs(datasets=[header]))
    assert result.factor is None and result.reason is not None


def test_a_radiopharmaceutical_sequence_with_another_vr_gives_a_reason_not_an_error() -> None:
    header = Dataset()  # the fuzzer's case: (0054,0016) stored with VR US, so pydicom reads a number
    header.Units, header.DecayCorrection, header.PatientWeight = "BQML", "START", "70"
    header.add_new(0x00540016, "US", 5)
    result = suv_factor(inputs=suv_inputs(datasets=[header]))
    assert result.factor is None and result.reason is not None


@pytest.mark.parametrize(("date", "time"), [(None, "101010"), ("20240102", None), ("2024", "101010"), ("", "")])
def test_parse_datetime_returns_none_for_absent_or_malformed_values(date: object, time: object) -> None:
    assert parse_datetime(date=date, time=time) is None


def test_parse_datetime_reads_fractional_seconds() -> None:
    assert parse_datetime(date="20000907", time="112011.50") == datetime(2000, 9, 7, 11, 20, 11, 500000)
