"""A full or read-only storage volume, faked by OSErrors: what is reported (0xA700, 507) and that nothing is left."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.errors import InsufficientStorageError
from core.settings import DEFAULT_SPLIT_PATTERN, Settings
from core.storage import (
    FailureReason,
    InstanceOutcome,
    Layout,
    SeriesKey,
    StoreReport,
    instance_files,
    series_indices,
    store_instances,
)
from core.storage import spool as spool_module
from core.storage import store as store_module
from core.storage.faults import is_storage_fault, storage_fault
from core.storage.removal import remove_instances
from core.storage.space import VolumeSpace
from core.storage.spool import SpoolWriter
from imaging.errors import OutputError
from service.dicomweb.multipart import MultipartSpooler
from service.dicomweb.stow import stow_status
from service.readiness import check_storage
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, BOUNDARY, RELATED, pet_datasets, pet_parts, related_body, spooled
from tests.volume import FAKE_PATH, RefusingFile, os_error

PATTERN = re.compile(DEFAULT_SPLIT_PATTERN, re.IGNORECASE)
FAILED, FAILURE_REASON = "00081198", "00081197"


def _raise(error: BaseException) -> Any:
    def fail(*_: Any, **__: Any) -> None:
        raise error

    return fail


@pytest.mark.parametrize(
    ("code", "check"),
    [
        (errno.ENOSPC, "storage_space"),
        (errno.EDQUOT, "storage_space"),
        (errno.EROFS, "storage_read_only"),
        (errno.EACCES, "storage_read_only"),
    ],
)
def test_full_and_read_only_volumes_are_told_apart_in_the_chain(code: int, check: str) -> None:
    try:
        try:
            raise os_error(code)
        except OSError as cause:
            raise OutputError("Could not write index.json.", path=FAKE_PATH) from cause
    except OutputError as wrapped:
        fault = storage_fault(wrapped, action="The instance was not stored")
    assert fault is not None and fault.check == check
    assert fault.message.startswith("The instance was not stored: the storage volume is ")
    assert os.strerror(code) in fault.message and FAKE_PATH not in fault.message


@pytest.mark.parametrize("error", [os_error(errno.EIO), OSError("no errno"), ValueError("x")])
def test_other_errors_are_no_storage_fault(error: BaseException) -> None:
    assert not is_storage_fault(error)


@pytest.mark.parametrize("step", ["write", "close"])
def test_a_spool_file_that_cannot_be_written_is_deleted(tmp_path: Path, step: str) -> None:
    writer = SpoolWriter(directory=tmp_path)
    writer._file = RefusingFile(writer._file, os_error(errno.ENOSPC))  # type: ignore[assignment]
    with pytest.raises(InsufficientStorageError) as raised:
        writer.write(b"data") if step == "write" else writer.close()
    assert raised.value.check == "storage_space" and FAKE_PATH not in raised.value.message
    assert not list(tmp_path.iterdir())


def test_a_spool_file_that_cannot_be_created_is_a_storage_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module.tempfile, "mkstemp", _raise(os_error(errno.EROFS)))
    with pytest.raises(InsufficientStorageError) as raised:
        SpoolWriter(directory=tmp_path)
    assert raised.value.check == "storage_read_only"


def test_the_multipart_spooler_deletes_every_part_when_the_volume_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = pet_parts(seed=80, n_slices=3)
    real_close = SpoolWriter.close
    closed: list[Path] = []

    def close_twice_then_full(writer: SpoolWriter) -> Any:
        if len(closed) == 2:
            writer._file = RefusingFile(writer._file, os_error(errno.ENOSPC))  # type: ignore[assignment]
        closed.append(writer.path)
        return real_close(writer)

    monkeypatch.setattr(SpoolWriter, "close", close_twice_then_full)
    with (
        pytest.raises(InsufficientStorageError),
        MultipartSpooler(boundary=BOUNDARY.encode(), directory=tmp_path, max_bytes=1 << 30) as spooler,
    ):
        spooler.write(related_body(parts))
    assert len(closed) == 3 and not list(tmp_path.iterdir())


def _store(root: Path, parts: list[bytes]) -> StoreReport:
    files = [spooled(part, root / "tmp") for part in parts]
    return store_instances(root=root, files=files, study_uid=None, max_instances_per_series=100, split_pattern=PATTERN)


def _nothing_stored(root: Path) -> None:
    assert not list(root.glob("studies/*/series/*/index.json"))
    assert not list(root.glob("studies/*/series/*/instances/*"))


def test_an_index_that_cannot_be_written_fails_every_new_instance_with_a700_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_index(**_: Any) -> None:
        try:
            raise os_error(errno.ENOSPC)
        except OSError as error:
            raise OutputError(f"Could not write index.json: {error}.", path=FAKE_PATH) from error

    monkeypatch.setattr(store_module, "write_index", full_index)
    report = _store(tmp_path, pet_parts(seed=81, n_slices=3))
    assert [outcome.failure for outcome in report.outcomes] == [FailureReason.OUT_OF_RESOURCES] * 3
    assert {outcome.storage_fault for outcome in report.outcomes} == {"storage_space"}
    assert all(FAKE_PATH not in outcome.message for outcome in report.outcomes)
    assert report.completed_series == ()
    _nothing_stored(tmp_path)


def test_an_instance_that_cannot_be_placed_on_a_read_only_volume_is_a700(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.os, "replace", _raise(os_error(errno.EROFS)))
    report = _store(tmp_path, pet_parts(seed=82, n_slices=2))
    assert [(outcome.failure, outcome.storage_fault) for outcome in report.outcomes] == [
        (FailureReason.OUT_OF_RESOURCES, "storage_read_only")
    ] * 2
    assert "read-only" in report.outcomes[0].message
    _nothing_stored(tmp_path)


def test_another_io_error_is_0110_without_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module.os, "replace", _raise(os_error(errno.EIO)))
    (outcome,) = _store(tmp_path, pet_parts(seed=83, n_slices=1)).outcomes
    assert (outcome.failure, outcome.storage_fault) == (FailureReason.PROCESSING_FAILURE, None)
    assert outcome.message == "The instance could not be written (Input/output error)."


def test_a_series_folder_that_cannot_be_made_fails_its_instances_instead_of_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "series_lock", _raise(os_error(errno.EROFS)))
    report = _store(tmp_path, pet_parts(seed=84, n_slices=2))
    assert [outcome.storage_fault for outcome in report.outcomes] == ["storage_read_only"] * 2
    assert stow_status(report) == 507


def test_a_part_that_cannot_be_rewritten_as_part10_is_a700(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*, path: Path) -> bool:
        raise OutputError("Could not write part.", path=str(path)) from os_error(errno.ENOSPC)

    monkeypatch.setattr(store_module, "normalise_part10", full)
    (outcome,) = _store(tmp_path, pet_parts(seed=85, n_slices=1)).outcomes
    assert (outcome.failure, outcome.storage_fault, outcome.sop_instance_uid) == (0xA700, "storage_space", None)


def _outcome(*, stored: bool, fault: str | None = None, reason: FailureReason | None = None) -> InstanceOutcome:
    failure = None if stored else reason or FailureReason.OUT_OF_RESOURCES
    return InstanceOutcome(sop_instance_uid="1.2", sop_class_uid="1.2.3", failure=failure, storage_fault=fault)


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([_outcome(stored=True)], 200),
        ([_outcome(stored=True), _outcome(stored=False, fault="storage_space")], 202),
        ([_outcome(stored=False, fault="storage_space")], 507),
        ([_outcome(stored=False, reason=FailureReason.CANNOT_UNDERSTAND), _outcome(stored=False, fault="x")], 507),
        ([_outcome(stored=False)], 409),  # 0xA700 for a limit, not a full volume: the request must change
    ],
)
def test_stow_status_is_507_when_nothing_was_stored_for_lack_of_storage(
    outcomes: list[InstanceOutcome], status: int
) -> None:
    assert stow_status(StoreReport(outcomes=tuple(outcomes))) == status


def _post(client: TestClient, parts: list[bytes]) -> Any:
    return client.post("/dicomweb/studies", content=related_body(parts), headers={**AUTH, "Content-Type": RELATED})


def test_stow_on_a_volume_full_while_spooling_is_a_507_problem_and_keeps_no_spool(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module.os, "fsync", _raise(os_error(errno.ENOSPC)))  # closing a spool file fails
    response = _post(client, pet_parts(seed=86, n_slices=2))
    assert response.status_code == 507
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["check"], problem["type"]) == ("storage_space", "urn:petiq:problem:insufficient-storage")
    assert "storage volume is full" in problem["detail"] and FAKE_PATH not in response.text
    assert not list(Layout(settings.storage_dir).tmp.iterdir())


def test_stow_whose_index_cannot_be_written_is_507_with_a700(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_index(**_: Any) -> None:
        raise OutputError("Could not write index.json.", path=FAKE_PATH) from os_error(errno.ENOSPC)

    monkeypatch.setattr(store_module, "write_index", full_index)
    datasets = pet_datasets(seed=87, n_slices=2)
    response = _post(client, [to_bytes(ds) for ds in datasets])
    assert response.status_code == 507 and response.headers["content-type"] == "application/dicom+json"
    failed = response.json()[FAILED]["Value"]
    assert [item[FAILURE_REASON]["Value"][0] for item in failed] == [0xA700, 0xA700]
    assert "storage volume is full" in response.headers["warning"] and FAKE_PATH not in response.text
    _nothing_stored(settings.storage_dir)
    assert not list(Layout(settings.storage_dir).tmp.iterdir())


@pytest.mark.parametrize(
    ("space", "ok", "detail"),
    [
        (
            VolumeSpace(free_bytes=5 << 30, total_bytes=10 << 30, read_only=False),
            True,
            "writable, 5368709120 bytes free (min_free_bytes 1073741824 bytes)",
        ),
        (
            VolumeSpace(free_bytes=1000, total_bytes=10 << 30, read_only=False),
            False,
            "1000 bytes free, below the threshold min_free_bytes (1073741824 bytes)",
        ),
        (
            VolumeSpace(free_bytes=5 << 30, total_bytes=10 << 30, read_only=True),
            False,
            "not writable: the volume is mounted read-only",
        ),
    ],
)
def test_storage_readiness_needs_free_space_and_a_writable_volume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, space: VolumeSpace, ok: bool, detail: str
) -> None:
    monkeypatch.setattr("service.readiness.volume_space", lambda **_: space)
    check = check_storage(settings=Settings(storage_dir=tmp_path, min_free_bytes=1 << 30))
    assert (check.ok, check.detail) == (ok, detail)


def test_metrics_show_the_free_space_of_the_storage_volume(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    space = VolumeSpace(free_bytes=123 << 20, total_bytes=10 << 30, read_only=False)
    monkeypatch.setattr("service.metrics.volume_space", lambda **_: space)
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
    }
    assert (samples["petiq_storage_free_bytes"], samples["petiq_storage_size_bytes"]) == (123 << 20, 10 << 30)


def test_removing_instances_unindexes_them_first_and_keeps_the_others(tmp_path: Path) -> None:
    datasets = pet_datasets(seed=88, n_slices=3)
    _store(tmp_path, [to_bytes(ds) for ds in datasets])
    layout = Layout(tmp_path)
    key = SeriesKey(datasets[0].StudyInstanceUID, datasets[0].SeriesInstanceUID)
    remove_instances(layout=layout, key=key, sop_uids=[ds.SOPInstanceUID for ds in datasets[:2]])
    kept = instance_files(layout=layout, study_uid=key.study_uid, series_uid=key.series_uid)
    assert [path.name for path, _ in kept] == [f"{datasets[2].SOPInstanceUID}.dcm"]
    assert len(list(tmp_path.glob("studies/*/series/*/instances/*.dcm"))) == 1
    remove_instances(layout=layout, key=key, sop_uids=[datasets[2].SOPInstanceUID])
    assert series_indices(layout=layout, study_uid=key.study_uid) == [] and not layout.index(*key).exists()
    assert not list(tmp_path.glob("studies/*/series/*/instances/*.dcm"))
