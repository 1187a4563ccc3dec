"""One delivery to a C-STORE destination, alone or beside a DICOMweb one: per-destination results in the
manifest, a failure status failing at once, a retry skipping the destination already delivered, and a request
sending again only what was not delivered (everything once all was)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.ae import DimseDestination
from core.jobs.delivery import requested
from core.jobs.models import (
    Delivery,
    DeliveryStatus,
    DestinationDelivery,
    ForwardKind,
    JobPublic,
    JobStatus,
    JobTimings,
    utc_now,
)
from core.jobs.store import JobStore
from core.settings import Settings
from tests.workers.delivery.dicom_output import write_output
from tests.workers.delivery.fake_pacs import FakePacs
from tests.workers.delivery.fake_scp import FakeScp, Reply, storage_scp
from tests.workers.processes import free_port
from workers.delivery.errors import DestinationUnavailableError
from workers.delivery.run import deliver_job

JOB_ID = "00000000-0000-5000-8000-00000000d002"
URL = "http://pacs.test/dicom-web"
UNCLOSED_SOCKET = "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"


def _job(settings: Settings, *, url: str | None, dimse: DimseDestination | None) -> tuple[JobStore, list[str]]:
    """A succeeded job with real DICOM output, its delivery pending to ``url`` and/or ``dimse``; the SOP
    Instance UIDs of its output, in sending order."""
    store = JobStore(settings.storage_dir)
    delivery = Delivery(status=DeliveryStatus.PENDING, destination=url, dimse=str(dimse) if dimse else None)
    job = JobPublic(
        id=JOB_ID,
        study_uid="1.2.3",
        series_uid="1.2.3.4",
        status=JobStatus.SUCCEEDED,
        timings=JobTimings(created=utc_now()),
        delivery=delivery,
    )
    store.create(job)
    return store, write_output(store.output_dir(JOB_ID))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path, dimse_ae_title="PETIQ-RUN", forward_timeout_s=5.0)


def test_cstore_destination_gets_everything_with_its_answers_recorded(settings: Settings) -> None:
    scp = FakeScp(script={4: Reply(0xB007)})
    with storage_scp(scp) as destination:
        store, uids = _job(settings, url=None, dimse=destination)
        job = deliver_job(job_id=JOB_ID, settings=settings, final=False)
    assert [item.sop_instance_uid for item in scp.received] == uids
    assert {item.calling_ae_title for item in scp.received} == {"PETIQ-RUN"}
    assert job is not None and job == store.get(JOB_ID)
    assert (job.delivery.status, job.delivery.instances_sent, job.delivery.last_error) == ("delivered", 4, None)
    (result,) = job.delivery.results
    assert (result.kind, result.destination, result.status) == (ForwardKind.DIMSE, str(destination), "delivered")
    assert (result.attempts, result.instances_sent, result.statuses) == (1, 4, {"0x0000": 3, "0xB007": 1})
    assert [(item.sop_instance_uid, item.status) for item in result.warnings] == [(uids[3], "0xB007")]


def test_a_failure_status_fails_the_delivery_at_once(settings: Settings) -> None:
    scp = FakeScp(script={2: Reply(0xA700, comment="disk full")})
    with storage_scp(scp) as destination:
        _, uids = _job(settings, url=None, dimse=destination)
        job = deliver_job(job_id=JOB_ID, settings=settings, final=False)  # no retry: it raises nothing
    assert job is not None and job.status is JobStatus.SUCCEEDED and len(scp.received) == 2
    assert (job.delivery.status, job.delivery.instances_sent, job.delivery.attempts) == ("failed", 1, 1)
    assert job.delivery.last_error is not None
    assert all(part in job.delivery.last_error for part in ("0xA700", "Out of Resources", "disk full", uids[1]))
    (result,) = job.delivery.results
    assert (result.status, result.instances_sent, result.statuses) == ("failed", 1, {"0x0000": 1, "0xA700": 1})
    assert [(item.sop_instance_uid, item.status, item.comment) for item in result.failed] == [
        (uids[1], "0xA700", "disk full")
    ]


def test_both_destinations_receive_everything(settings: Settings) -> None:
    scp, pacs = FakeScp(), FakePacs()
    with storage_scp(scp) as destination:
        _job(settings, url=URL, dimse=destination)
        job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert len(scp.received) == 4 and len(pacs.received[0].parts) == 4
    assert job is not None and (job.delivery.status, job.delivery.instances_sent) == ("delivered", 8)
    assert [
        (result.kind, result.destination, result.status, result.instances_sent) for result in job.delivery.results
    ] == [
        (ForwardKind.STOW_RS, URL, "delivered", 4),
        (ForwardKind.DIMSE, str(destination), "delivered", 4),
    ]


@pytest.mark.filterwarnings(UNCLOSED_SOCKET)  # pynetdicom#979: see test_cstore
def test_a_retry_skips_the_destination_already_delivered(settings: Settings) -> None:
    scp, pacs = FakeScp(), FakePacs()
    later = DimseDestination(ae_title="FAKEPACS", host="127.0.0.1", port=free_port())
    store, _ = _job(settings, url=URL, dimse=later)
    with pytest.raises(DestinationUnavailableError, match="cannot be reached"):
        deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    waiting = store.get(JOB_ID).delivery
    assert (waiting.status, [result.status for result in waiting.results]) == (
        "delivering",
        ["delivered", "delivering"],
    )
    assert waiting.last_error is not None and waiting.last_error.startswith(f"{later}: The C-STORE destination")
    with storage_scp(scp, port=later.port):
        job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert len(pacs.received) == 1 and len(scp.received) == 4  # the DICOMweb service got it once
    assert job is not None and (job.delivery.status, job.delivery.attempts, job.delivery.instances_sent) == (
        "delivered",
        2,
        8,
    )
    assert [result.attempts for result in job.delivery.results] == [1, 2]


def _results(job: JobPublic) -> list[tuple[str, DeliveryStatus]]:
    return [(result.destination, result.status) for result in job.delivery.results]


def test_a_request_sends_again_what_was_not_delivered_and_everything_once_all_was(settings: Settings) -> None:
    scp, pacs = FakeScp(script={1: Reply(0xC001)}), FakePacs()
    with storage_scp(scp) as destination:
        store, _ = _job(settings, url=URL, dimse=destination)
        failed = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
        assert failed is not None and failed.delivery.status is DeliveryStatus.FAILED
        assert failed.delivery.last_error is not None and failed.delivery.last_error.startswith(f"{destination}: ")
        again = store.update(JOB_ID, lambda job: requested(job, destination=URL, dimse=str(destination)))
        assert _results(again) == [(URL, "delivered"), (str(destination), "pending")]
        deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
        assert (len(pacs.received), len(scp.received)) == (1, 1 + 4)
        store.update(JOB_ID, lambda job: requested(job, destination=URL, dimse=str(destination)))
        assert store.get(JOB_ID).delivery.results == []
        job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert (len(pacs.received), len(scp.received)) == (2, 1 + 4 + 4)
    assert job is not None and job.delivery.status is DeliveryStatus.DELIVERED


def test_a_request_to_other_destinations_drops_the_results_of_the_old_ones() -> None:
    job = JobPublic(id=JOB_ID, study_uid="1.2", series_uid="1.3", timings=JobTimings(created=utc_now()))
    done = DestinationDelivery(kind=ForwardKind.STOW_RS, destination=URL, status=DeliveryStatus.DELIVERED)
    job = job.model_copy(update={"delivery": Delivery(destination=URL, dimse="A@h:1", results=[done])})
    moved = requested(job, destination=None, dimse="B@h:2")
    assert (moved.delivery.destination, moved.delivery.dimse, moved.delivery.results) == (None, "B@h:2", [])
    kept = requested(job, destination=URL, dimse="B@h:2")
    assert kept.delivery.results == [done]


def test_a_manifest_recording_no_destination_goes_to_the_configured_ones(settings: Settings) -> None:
    scp, pacs = FakeScp(), FakePacs()
    with storage_scp(scp) as destination:
        configured = settings.model_copy(update={"forward_url": URL, "forward_dimse": destination})
        _job(settings, url=None, dimse=None)
        job = deliver_job(job_id=JOB_ID, settings=configured, final=False, transport=pacs.transport())
    assert (len(pacs.received), len(scp.received)) == (1, 4)
    assert job is not None and job.delivery.status is DeliveryStatus.DELIVERED
    assert [(result.kind, result.status) for result in job.delivery.results] == [
        (ForwardKind.STOW_RS, "delivered"),
        (ForwardKind.DIMSE, "delivered"),
    ]
