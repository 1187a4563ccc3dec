"""Which slices of a stored series are missing: by ImageIndex, else InstanceNumber, else positions; and in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.storage.arrival import SeriesState, arrival
from core.storage.missing import SliceBasis, SliceCount, count_slices
from core.storage.models import InstanceRecord, SeriesAttributes, SeriesIndex, StudyAttributes

_SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # slice normal along -x


def _index(
    *,
    expected: int | None,
    slices: list[int],
    image_index: bool = True,
    instance_number: bool = True,
    orientation: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
    spacing: float = 3.27,
) -> SeriesIndex:
    """A PT series index holding slices ``slices`` (1-based) of ``expected``; slice k at k × ``spacing`` along the
    normal of ``orientation``; ImageIndex / InstanceNumber k unless switched off (InstanceNumber then 1000 + k)."""
    row, column = orientation[:3], orientation[3:]
    normal = (
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    )
    instances = {
        f"1.2.3.{k}": InstanceRecord(
            sop_class_uid="1.2.840.10008.5.1.4.1.1.128",
            transfer_syntax_uid="1.2.840.10008.1.2.1",
            sha256="0" * 64,
            size=1,
            image_index=k if image_index else None,
            instance_number=k if instance_number else 1000 + k,
            image_position=(5.0 + normal[0] * k * spacing, -7.0 + normal[1] * k * spacing, normal[2] * k * spacing),
        )
        for k in slices
    }
    series = SeriesAttributes(
        series_uid="1.2.3",
        modality="PT",
        rows=4,
        columns=4,
        image_orientation=orientation,
        pixel_spacing=(2.0, 2.0),
        number_of_slices=expected,
    )
    return SeriesIndex(study=StudyAttributes(study_uid="1.2"), series=series, instances=instances)


def _all_but(n: int, *missing: int) -> list[int]:
    return [k for k in range(1, n + 1) if k not in missing]


def test_image_index_names_the_missing_slice() -> None:
    count = count_slices(index=_index(expected=267, slices=_all_but(267, 133)))
    assert count == SliceCount(stored=266, expected=267, missing=(133,), basis=SliceBasis.IMAGE_INDEX)
    assert count.describe() == "266 of 267 slices stored: slice index 133 missing"


def test_instance_number_when_there_is_no_image_index() -> None:
    count = count_slices(index=_index(expected=12, slices=_all_but(12, 1, 7), image_index=False))
    assert (count.missing, count.basis) == ((1, 7), SliceBasis.INSTANCE_NUMBER)
    assert count.describe() == "10 of 12 slices stored: slice indices 1, 7 missing"


def test_positions_when_neither_numbers_the_slices() -> None:
    slices = _all_but(20, 4, 5, 11)
    count = count_slices(index=_index(expected=20, slices=slices, image_index=False, instance_number=False))
    assert (count.missing, count.basis) == ((4, 5, 11), SliceBasis.POSITION)


def test_positions_follow_the_slice_normal_and_cannot_locate_the_ends() -> None:
    index = _index(
        expected=10, slices=_all_but(10, 1, 6), image_index=False, instance_number=False, orientation=_SAGITTAL
    )
    count = count_slices(index=index)
    assert (count.missing, count.unlocated) == ((5,), 1)  # numbered from the lowest stored slice (2 → 1)
    assert count.describe() == "8 of 10 slices stored: slice index 5 missing and 1 more missing that cannot be located"


def test_end_slices_missing_by_position_only_are_counted() -> None:
    count = count_slices(index=_index(expected=6, slices=[1, 2, 3, 4], image_index=False, instance_number=False))
    assert (count.missing, count.basis, count.unlocated) == ((), None, 2)
    assert count.describe() == "4 of 6 slices stored: 2 missing that cannot be located"


def test_many_missing_are_listed_up_to_ten() -> None:
    count = count_slices(index=_index(expected=40, slices=list(range(1, 21))))
    assert count.missing == tuple(range(21, 41))
    assert count.describe() == (
        "20 of 40 slices stored: slice indices 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, … (20 in all) missing"
    )


def test_without_number_of_slices_nothing_can_be_missing() -> None:
    count = count_slices(index=_index(expected=None, slices=[1, 2, 4]))
    assert (count.complete, count.missing, count.expected) == (True, (), None)
    assert count.describe() == "3 slices stored (NumberOfSlices not stated)"


def test_complete_series() -> None:
    count = count_slices(index=_index(expected=5, slices=[1, 2, 3, 4, 5]))
    assert (count.complete, count.missing, count.describe()) == (True, (), "5 of 5 slices stored")


def test_arrival_is_receiving_within_the_grace_time_then_incomplete() -> None:
    index = _index(expected=9, slices=_all_but(9, 5))
    received = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    early = arrival(index=index, received=received, now=received + timedelta(seconds=59), grace_s=60)
    late = arrival(index=index, received=received, now=received + timedelta(seconds=60), grace_s=60)
    assert (early.state, late.state) == (SeriesState.RECEIVING, SeriesState.INCOMPLETE)
    assert (late.stored, late.expected, late.missing, late.missing_basis) == (8, 9, [5], SliceBasis.IMAGE_INDEX)
    assert late.incomplete_after == received + timedelta(seconds=60)
    done = arrival(index=_index(expected=9, slices=_all_but(9)), received=received, now=received, grace_s=60)
    assert (done.state, done.incomplete_after) == (SeriesState.COMPLETE, None)
