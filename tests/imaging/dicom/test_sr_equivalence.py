"""The scores SR is the same SR as before issue 25 (built from references, not from whole instances), element by
element: its fingerprint (:mod:`tests.imaging.dicom.sr_fingerprint`) against the golden one made with the old code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highdicom as hd
import pydicom
import pytest
from pydicom import Dataset
from pydicom.dataelem import DataElement

from imaging.dicom.sr import build_scores_sr
from tests.imaging.dicom.sr_fingerprint import (
    ALGORITHM,
    CREATED,
    GOLDEN,
    SrCase,
    fingerprint,
    real_case,
    small_case,
    sr_bytes,
    summary,
)


def _golden(name: str) -> dict[str, Any]:
    golden: dict[str, Any] = json.loads(GOLDEN.read_text())[name]
    return golden


def _summary(case: SrCase, data: bytes | None = None) -> dict[str, Any]:
    return summary(fingerprint(sr_bytes(case) if data is None else data, stable=case.input_uids()))


@pytest.mark.parametrize(("name", "scored"), [("small", True), ("small-unscored", False)])
def test_small_series_sr_matches_the_golden_fingerprint(name: str, scored: bool) -> None:
    assert _summary(small_case(scored=scored)) == _golden(name)


@pytest.mark.slow
def test_real_ge_series_sr_matches_the_golden_fingerprint(real_ge_dir: Path) -> None:
    case = real_case(real_ge_dir)
    assert len(case.sources) == 267
    assert _summary(case) == _golden("real-ge")


def _edited(data: bytes, edit: Callable[[Dataset], None]) -> bytes:
    dataset = pydicom.dcmread(io.BytesIO(data))
    edit(dataset)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def _drop_evidence(dataset: Dataset) -> None:
    del dataset.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[1].ReferencedSOPSequence[2]


def _swap_images(dataset: Dataset) -> None:
    group = dataset.ContentSequence[-1].ContentSequence[0].ContentSequence
    first, second, *_ = (index for index, item in enumerate(group) if item.ValueType == "IMAGE")
    group[first], group[second] = group[second], group[first]


def _new_series_uid(dataset: Dataset) -> None:
    dataset.SeriesInstanceUID = hd.UID()


def test_fingerprint_tells_a_different_sr_apart_but_not_new_minted_uids() -> None:
    case = small_case()
    data = sr_bytes(case)
    assert _summary(case, data) == _golden("small")
    assert _summary(case, _edited(data, _new_series_uid)) == _golden("small")
    for edit in (_drop_evidence, _swap_images):
        assert _summary(case, _edited(data, edit))["elements"] != _golden("small")["elements"], edit.__name__


def _deep_copies(monkeypatch: pytest.MonkeyPatch, case: SrCase) -> int:
    """How many data elements :func:`build_scores_sr` deep-copies for ``case``."""
    copied = []
    original = DataElement.__deepcopy__

    def counting(self: DataElement, memo: dict[int, Any]) -> DataElement:
        copied.append(self.tag)
        return original(self, memo)

    with monkeypatch.context() as patch:
        patch.setattr(DataElement, "__deepcopy__", counting)
        build_scores_sr(
            sources=case.sources, derived=case.derived, result=case.result, algorithm=ALGORITHM, created=CREATED
        )
    return len(copied)


def test_deep_copies_do_not_grow_with_the_number_of_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    """highdicom deep-copies the content it is given: the IMAGE items are added after it (one per instance)."""
    few, many = (_deep_copies(monkeypatch, small_case(n_slices=n)) for n in (6, 24))
    assert few > 0
    assert many == few
