"""One delivery from a job's manifest: the files sent (series then SR), the delivery states written back, the
credentials chosen, and what is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from core.jobs.delivery import requested
from core.jobs.forwarding import save_auth
from core.jobs.models import Delivery, DeliveryStatus, JobPublic, JobStatus, JobTimings, utc_now
from core.jobs.store import JobStore
from core.settings import Settings
from tests.workers.delivery.fake_pacs import Answer, FakePacs
from workers.delivery.errors import DestinationUnavailableError
from workers.delivery.run import deliver_job, output_files

JOB_ID = "00000000-0000-5000-8000-00000000d001"
STUDY = "1.2.826.0.1.3680043.8.498.7"
URL = "http://pacs.test/dicom-web"


def _job(settings: Settings, *, status: JobStatus = JobStatus.SUCCEEDED, destination: str | None = URL) -> JobStore:
    store = JobStore(settings.storage_dir)
    delivery = Delivery(status=DeliveryStatus.PENDING, destination=destination) if destination else Delivery()
    job = JobPublic(
        id=JOB_ID, study_uid=STUDY, series_uid="1.2.3", status=status, timings=JobTimings(created=utc_now())
    )
    store.create(job.model_copy(update={"delivery": delivery}))
    output = store.output_dir(JOB_ID)
    (output / "denoised").mkdir(parents=True)
    for index in range(3):
        (output / "denoised" / f"{index:04d}.dcm").write_bytes(b"slice %d" % index)
    (output / "scores-sr.dcm").write_bytes(b"the SR")
    (output / "result.json").write_text("{}")
    return store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path, forward_url=URL, forward_auth=SecretStr("Bearer server"))


def test_series_then_sr_are_delivered(settings: Settings) -> None:
    store, pacs = _job(settings), FakePacs()
    job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert job is not None and job.delivery.status is DeliveryStatus.DELIVERED
    assert (job.delivery.attempts, job.delivery.instances_sent, job.delivery.last_error) == (1, 4, None)
    (request,) = pacs.received
    assert request.parts == [b"slice 0", b"slice 1", b"slice 2", b"the SR"]
    assert request.headers["authorization"] == "Bearer server"
    assert store.get(JOB_ID).delivery == job.delivery
    names = [path.name for path in output_files(output=store.output_dir(JOB_ID))]
    assert names == ["0000.dcm", "0001.dcm", "0002.dcm", "scores-sr.dcm"]
    again = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert again == store.get(JOB_ID) and len(pacs.received) == 1  # delivered: nothing sent twice


def test_the_uncertainty_series_goes_after_the_denoised_one_and_before_the_sr(settings: Settings) -> None:
    store, pacs = _job(settings), FakePacs()
    uncertainty = store.output_dir(JOB_ID) / "uncertainty"
    uncertainty.mkdir()
    for index in range(2):
        (uncertainty / f"{index:04d}.dcm").write_bytes(b"u %d" % index)
    names = [path.relative_to(store.output_dir(JOB_ID)).as_posix() for path in output_files(output=uncertainty.parent)]
    assert names == [*(f"denoised/{i:04d}.dcm" for i in range(3)), "uncertainty/0000.dcm", "uncertainty/0001.dcm",
                     "scores-sr.dcm"]  # fmt: skip
    job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert job is not None and job.delivery.status is DeliveryStatus.DELIVERED and job.delivery.instances_sent == 6
    assert pacs.received[0].parts == [b"slice 0", b"slice 1", b"slice 2", b"u 0", b"u 1", b"the SR"]


def test_transient_failure_raises_for_a_retry_then_fails_when_final(settings: Settings) -> None:
    store, pacs = _job(settings), FakePacs(script=[Answer(503), Answer(502)])
    with pytest.raises(DestinationUnavailableError):
        deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    waiting = store.get(JOB_ID).delivery
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        DeliveryStatus.DELIVERING,
        1,
        "The destination answered HTTP 503",
    )
    job = deliver_job(job_id=JOB_ID, settings=settings, final=True, transport=pacs.transport())
    assert job is not None and job.status is JobStatus.SUCCEEDED  # the result stays usable
    assert (job.delivery.status, job.delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert job.delivery.last_error == "The destination answered HTTP 502"


def test_client_error_fails_at_once_and_a_hand_retry_delivers(settings: Settings) -> None:
    store, pacs = _job(settings), FakePacs(script=[Answer(401, {"error": "bad token"})])
    job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert job is not None and job.delivery.status is DeliveryStatus.FAILED
    assert job.delivery.last_error is not None and "HTTP 401" in job.delivery.last_error
    store.update(JOB_ID, lambda current: requested(current, destination=URL))
    job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert job is not None and (job.delivery.status, job.delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_job_destination_gets_its_own_credentials_never_the_servers(settings: Settings) -> None:
    store, pacs = _job(settings, destination="https://other.test/dw"), FakePacs()
    deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert "authorization" not in pacs.received[0].headers
    store.update(JOB_ID, lambda current: requested(current, destination="https://other.test/dw"))
    save_auth(store=store, job_id=JOB_ID, auth=SecretStr("Basic own"))
    deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport())
    assert pacs.received[1].headers["authorization"] == "Basic own"


@pytest.mark.parametrize(("status", "destination"), [(JobStatus.RUNNING, URL), (JobStatus.SUCCEEDED, None)])
def test_left_alone_unless_succeeded_and_pending(
    settings: Settings, status: JobStatus, destination: str | None
) -> None:
    store, pacs = _job(settings, status=status, destination=destination), FakePacs()
    before = store.get(JOB_ID)
    assert deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=pacs.transport()) == before
    assert pacs.received == [] and store.get(JOB_ID) == before
    assert deliver_job(job_id="not-a-job", settings=settings, final=False) is None


def test_asked_again_during_an_attempt_leaves_the_outcome_to_the_new_request(settings: Settings) -> None:
    store = _job(settings)

    class Moving(FakePacs):
        def answer(self, *, path: str, headers: dict[str, str], body: bytes) -> Answer:
            store.update(JOB_ID, lambda current: requested(current, destination="https://new.test/dw"))
            return Answer(503)

    result = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=Moving().transport())
    assert result is None  # no retry scheduled: the new request's message decides
    delivery = store.get(JOB_ID).delivery
    assert (delivery.status, delivery.destination) == (DeliveryStatus.PENDING, "https://new.test/dw")


def test_unreadable_output_fails_the_delivery(settings: Settings) -> None:
    store = _job(settings)
    for path in output_files(output=store.output_dir(JOB_ID)):
        path.unlink()
    job = deliver_job(job_id=JOB_ID, settings=settings, final=False, transport=FakePacs().transport())
    assert job is not None and job.delivery.status is DeliveryStatus.FAILED
    assert job.delivery.last_error == "The job's output holds no DICOM file to deliver."
