"""C-ECHO and C-STORE against the gateway's SCP: a study stored as by STOW-RS and one job started per association;
non-PET and broken instances refused per instance with their status, the rest of the association unharmed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.filewriter import dcmwrite
from pydicom.uid import generate_uid
from pynetdicom import _config

from core.storage.catalog import instance_files
from core.storage.layout import Layout
from tests.service.dimse.scanner import (
    CALLING,
    ScpApp,
    association,
    read,
    running_gateway,
    send,
    simulated_series,
    wait_for,
)
from tests.service.helpers import as_ct
from tests.service.job_helpers import jobs_of

pytestmark = pytest.mark.slow  # each starts the gateway and its SCP on a loopback port


@pytest.fixture
def gateway(tmp_path: Path) -> Any:
    with running_gateway(storage=tmp_path / "storage") as app:
        yield app


def _stored(app: ScpApp, study_uid: str, series_uid: str) -> list[Path]:
    layout = Layout(app.settings.storage_dir)
    return [path for path, _ in instance_files(layout=layout, study_uid=study_uid, series_uid=series_uid)]


def test_c_echo_succeeds(gateway: ScpApp) -> None:
    with association(port=gateway.port) as assoc:
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000


def test_a_series_is_stored_and_starts_one_job_with_the_server_defaults(gateway: ScpApp, tmp_path: Path) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    first = read(files[0])
    with association(port=gateway.port) as assoc:
        statuses = send(assoc, files)
        assert gateway.queue.enqueued == []  # the job waits for the end of the association
    assert [status.Status for status in statuses] == [0x0000] * len(files)
    stored = _stored(gateway, first.StudyInstanceUID, first.SeriesInstanceUID)
    assert len(stored) == len(files)
    copy_of_first = dcmread(stored[0])
    assert copy_of_first.file_meta.SourceApplicationEntityTitle == CALLING
    assert copy_of_first.PixelData == dcmread(files[0]).PixelData
    (job,) = wait_for(lambda: jobs_of(gateway.client, first.StudyInstanceUID))
    assert (job["series_uid"], job["status"], job["splits"]) == (first.SeriesInstanceUID, "queued", None)
    assert job["options"]["adapt"] == gateway.settings.default_adapt
    assert job["options"]["score"] is gateway.settings.default_score
    assert wait_for(lambda: gateway.queue.enqueued) == [job["id"]]


def test_split_series_sent_with_their_parent_join_its_job(gateway: ScpApp, tmp_path: Path) -> None:
    series = simulated_series(directory=tmp_path / "study", seed=4, split=True)
    full = next(name for name in series if not name.endswith(("-split-a", "-split-b")))
    with association(port=gateway.port) as assoc:  # the parent first: complete before its splits arrive
        statuses = send(assoc, [*series[full], *series[f"{full}-split-a"], *series[f"{full}-split-b"]])
    assert {status.Status for status in statuses} == {0x0000}
    parent, split_a, split_b = (read(series[name][0]) for name in (full, f"{full}-split-a", f"{full}-split-b"))
    (job,) = wait_for(lambda: jobs_of(gateway.client, parent.StudyInstanceUID))
    assert job["series_uid"] == parent.SeriesInstanceUID
    assert job["splits"] == {"a": split_a.SeriesInstanceUID, "b": split_b.SeriesInstanceUID}


def test_a_ct_instance_is_refused_with_0122_and_the_pet_series_stored(gateway: ScpApp, tmp_path: Path) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    ct = as_ct(dcmread(files[0]))
    ct.SOPInstanceUID = ct.file_meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["ct", "test"])
    with association(port=gateway.port) as assoc:
        (refused,) = send(assoc, [ct])
        statuses = send(assoc, files)
    assert refused.Status == 0x0122
    assert refused.ErrorComment.startswith("SOP Class 1.2.840.10008.5.1.4.1.1.2 is not stored")
    assert len(refused.ErrorComment) <= 64
    assert {status.Status for status in statuses} == {0x0000}
    first = read(files[0])
    assert len(wait_for(lambda: jobs_of(gateway.client, first.StudyInstanceUID))) == 1


def _corrupt(source: Path, target: Path) -> Path:
    """``source``'s File Meta Information followed by bytes that are no data set."""
    dataset = dcmread(source)
    meta_only = copy.deepcopy(dataset)
    for keyword in [element.keyword for element in meta_only]:
        delattr(meta_only, keyword)
    dcmwrite(target, meta_only, enforce_file_format=True)
    with target.open("ab") as handle:
        handle.write(b"\x08\x00\x18\x00\xff\xff\xff\x7f" + b"\x00" * 64)  # SOPInstanceUID longer than the file
    return target


def test_a_corrupt_data_set_is_refused_and_the_others_are_stored(
    gateway: ScpApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    broken = _corrupt(files[3], tmp_path / "broken.dcm")
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)  # send the bytes as they are
    with association(port=gateway.port) as assoc:
        statuses = send(assoc, [*files[:3], broken, *files[3:]])
    assert statuses[3].Status == 0xC000 and statuses[3].ErrorComment
    assert [status.Status for status in statuses[:3] + statuses[4:]] == [0x0000] * len(files)
    first = read(files[0])
    assert len(_stored(gateway, first.StudyInstanceUID, first.SeriesInstanceUID)) == len(files)


def test_the_real_ge_series_is_stored_in_its_transfer_syntax(
    real_ge_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(real_ge_dir.glob("*.dcm"))
    first = read(files[0])
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    with running_gateway(storage=tmp_path / "storage") as app, association(port=app.port) as assoc:
        statuses = send(assoc, files)
        assert {status.Status for status in statuses} == {0x0000}
        assoc.release()
        (job,) = wait_for(lambda: jobs_of(app.client, first.StudyInstanceUID), timeout_s=30.0)
        stored = _stored(app, first.StudyInstanceUID, first.SeriesInstanceUID)
    assert job["series_uid"] == first.SeriesInstanceUID and len(stored) == len(files) == 267
    copy_of_first = dcmread(stored[0])
    assert copy_of_first.file_meta.TransferSyntaxUID == first.file_meta.TransferSyntaxUID
    assert copy_of_first.PixelData == dcmread(files[0]).PixelData
