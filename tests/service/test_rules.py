"""The pure storage rules: series completeness and the half-count split-series rule."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.settings import DEFAULT_SPLIT_PATTERN
from core.storage.completion import is_complete
from core.storage.models import InstanceRecord, SeriesAttributes, SeriesIndex, StudyAttributes
from core.storage.split import find_split_parent, slice_positions_mm, split_pairs

PATTERN = re.compile(DEFAULT_SPLIT_PATTERN, re.IGNORECASE)


def _index(
    name: str,
    *,
    description: str = "PET WB",
    n_slices: int = 5,
    number_of_slices: int | None = 5,
    z0: float = -50.0,
    spacing: tuple[float, float] = (4.0, 4.0),
    acquisition: str = "20240102103000",
    frame: str = "1.2.3.9",
) -> SeriesIndex:
    records = {
        f"1.2.3.{name}.{k}": InstanceRecord(
            sop_class_uid="1.2.840.10008.5.1.4.1.1.128",
            transfer_syntax_uid="1.2.840.10008.1.2",
            sha256="0" * 64,
            size=1,
            instance_number=k + 1,
            image_position=(-100.0, -100.0, z0 + 3.27 * k),
            acquisition=acquisition,
        )
        for k in range(n_slices)
    }
    series = SeriesAttributes(
        series_uid=f"1.2.3.{name}",
        modality="PT",
        series_description=description,
        frame_of_reference_uid=frame,
        rows=16,
        columns=16,
        image_orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
        pixel_spacing=spacing,
        number_of_slices=number_of_slices,
    )
    return SeriesIndex(study=StudyAttributes(study_uid="1.2.3"), series=series, instances=records)


@pytest.mark.parametrize(
    ("stored", "declared", "complete"), [(5, 5, True), (4, 5, False), (6, 5, True), (1, None, True), (3, 0, True)]
)
def test_completeness_follows_number_of_slices(stored: int, declared: int | None, complete: bool) -> None:
    assert is_complete(index=_index("1", n_slices=stored, number_of_slices=declared)) is complete


def test_slice_positions_project_on_the_normal() -> None:
    index = _index("1", n_slices=3, z0=10.0)
    np.testing.assert_allclose(slice_positions_mm(index=index), [10.0, 13.27, 16.54])
    tilted = index.model_copy(
        update={"series": index.series.model_copy(update={"image_orientation": (1, 0, 0, 0, 0, -1)})}
    )
    # coronal planes: normal (1,0,0)×(0,0,-1) = +y, and every slice sits at y = -100
    np.testing.assert_allclose(slice_positions_mm(index=tilted), [-100.0, -100.0, -100.0])


def test_split_pair_found_for_both_halves() -> None:
    full, half_a, half_b = _index("1"), _index("2", description="PET WB split A"), _index("3", description="split B")
    assert split_pairs(study=[full, half_a, half_b], pattern=PATTERN) == {"1.2.3.2": "1.2.3.1", "1.2.3.3": "1.2.3.1"}


@pytest.mark.parametrize(
    "change",
    [
        {"description": "PET WB"},  # no split words
        {"n_slices": 4, "number_of_slices": 4},  # other slices
        {"z0": -49.9},  # shifted by 0.1 mm
        {"spacing": (4.0, 4.01)},
        {"acquisition": "20240102103100"},  # another acquisition
        {"acquisition": ""},  # acquisition unknown: never paired
        {"frame": "1.2.3.10"},
    ],
)
def test_split_rule_requires_every_condition(change: dict[str, object]) -> None:
    arguments: dict[str, object] = {"description": "split A", **change}
    candidate = _index("2", **arguments)  # type: ignore[arg-type]
    assert find_split_parent(candidate=candidate, others=[_index("1"), candidate], pattern=PATTERN) is None


def test_split_of_a_split_is_not_a_pair() -> None:
    half_a, half_b = _index("2", description="split A"), _index("3", description="split B")
    assert split_pairs(study=[half_a, half_b], pattern=PATTERN) == {}


def test_ambiguous_parents_are_resolved_by_description_or_left_alone() -> None:
    full = _index("1", description="sim osem 100% r0")
    low = _index("4", description="sim osem 5% r0")
    split = _index("2", description="sim osem 100% split a r0")
    assert find_split_parent(candidate=split, others=[low, full, split], pattern=PATTERN) == "1.2.3.1"
    other = _index("2", description="split a")
    assert find_split_parent(candidate=other, others=[low, full, other], pattern=PATTERN) is None


def test_custom_pattern() -> None:
    pattern = re.compile(r"\bN2N-[AB]\b", re.IGNORECASE)
    candidate = _index("2", description="recon N2N-b")
    assert find_split_parent(candidate=candidate, others=[_index("1"), candidate], pattern=pattern) == "1.2.3.1"
    assert (
        find_split_parent(candidate=_index("3", description="split A"), others=[_index("1")], pattern=pattern) is None
    )
