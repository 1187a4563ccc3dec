"""The pure parts of the SCP: store outcomes as C-STORE statuses, Error Comments, the byte budget, the
association's merged report."""

from __future__ import annotations

from pathlib import Path

import pytest
from pynetdicom.pdu import P_DATA_TF
from pynetdicom.pdu_items import PresentationDataValueItem

from core.settings import DEFAULT_SPLIT_PATTERN, Settings
from core.storage.merge import merge_reports
from core.storage.outcomes import InstanceOutcome
from core.storage.status import FailureReason
from core.storage.store import store_instances
from service.dimse.limits import MAX_INSTANCE_BYTES, ByteBudget
from service.dimse.status import cstore_status, error_comment, is_cstore_status, status_dataset, status_label
from tests.imaging.dicom.factories import to_bytes
from tests.service.helpers import pet_datasets, sibling_series, spooled


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_reason_is_a_c_store_failure_status(reason: FailureReason) -> None:
    status = cstore_status(InstanceOutcome(sop_instance_uid=None, sop_class_uid=None, failure=reason))
    assert is_cstore_status(status) and status != 0x0000
    expected = {FailureReason.PROCESSING_FAILURE: 0xA700, FailureReason.DUPLICATE_SOP_INSTANCE: 0xA900}
    assert status == expected.get(reason, int(reason))


def test_stored_and_already_stored_are_success() -> None:
    for already in (False, True):
        outcome = InstanceOutcome(sop_instance_uid="1.2", sop_class_uid="1.2", already_stored=already)
        assert cstore_status(outcome) == 0x0000


def test_statuses_outside_c_store_are_recognised() -> None:
    assert not any(is_cstore_status(code) for code in (0x0110, 0x0111, 0xB000, 0xFF00, 0xA800))
    assert status_label(0xA700) == "0xA700" and status_label(0x122) == "0x0122"


def test_error_comments_are_short_printable_and_without_backslash() -> None:
    comment = error_comment("Attribute 'X' \\ should\tbe é " + "long " * 20)
    assert len(comment) == 64 and comment.endswith("...") and "\\" not in comment
    assert all(" " <= char <= "~" for char in comment)
    assert error_comment("short") == "short"
    assert "ErrorComment" not in status_dataset(status=0x0000, message="ignored")
    assert status_dataset(status=0xA700, message="full").ErrorComment == "full"


def _pdu(*fragments: bytes) -> P_DATA_TF:
    pdu = P_DATA_TF()
    for fragment in fragments:
        item = PresentationDataValueItem()
        item.presentation_context_id, item.presentation_data_value = 1, fragment
        pdu.presentation_data_value_items.append(item)
    return pdu


def test_the_budget_counts_fragments_and_each_data_set() -> None:
    budget = ByteBudget(max_bytes=100, max_instance_bytes=50)
    assert budget.add(object()) is None and budget.received == 0
    assert budget.add(_pdu(b"\x03" + bytes(10), b"\x00" + bytes(40))) is None  # command, data set
    assert (budget.received, budget.message) == (50, 40)
    assert budget.add(_pdu(b"\x02" + bytes(11))) == "max_instance_bytes"  # 51 bytes in one data set
    fresh = ByteBudget(max_bytes=100, max_instance_bytes=50)
    for _ in range(2):
        assert fresh.add(_pdu(b"\x03" + bytes(5), b"\x02" + bytes(30))) is None
    assert fresh.add(_pdu(b"\x03" + bytes(5), b"\x02" + bytes(30))) == "max_request_bytes"  # 105 > 100
    assert MAX_INSTANCE_BYTES == 144 * 1024**2


def test_merged_reports_complete_a_series_and_pair_its_splits(tmp_path: Path) -> None:
    parent = pet_datasets(seed=61, n_slices=3)
    split_a = sibling_series(parent, tag="a", description="split A")
    split_b = sibling_series(parent, tag="b", description="split B")
    settings = Settings(storage_dir=tmp_path)
    reports = [
        store_instances(
            root=tmp_path,
            files=[spooled(to_bytes(ds), tmp_path / "tmp")],
            study_uid=None,
            max_instances_per_series=10,
            split_pattern=settings.split_regex,
        )
        for ds in [*parent, *split_a, *split_b, parent[0]]  # the last one again: already stored
    ]
    assert settings.split_description_pattern == DEFAULT_SPLIT_PATTERN
    merged = merge_reports(root=tmp_path, reports=reports, split_pattern=settings.split_regex)
    assert merged.n_stored == 10 and merged.outcomes[-1].already_stored
    assert [key.series_uid for key in merged.completed_series] == [
        series[0].SeriesInstanceUID for series in (parent, split_a, split_b)
    ]
    parent_uid = parent[0].SeriesInstanceUID
    assert merged.split_pairs == {split_a[0].SeriesInstanceUID: parent_uid, split_b[0].SeriesInstanceUID: parent_uid}
