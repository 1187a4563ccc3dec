"""Helpers of the job tests: a recording job queue and short-hands for STOW-RS and the job routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydicom.dataset import Dataset

from tests.imaging.dicom.factories import to_bytes
from tests.service.helpers import AUTH, RELATED, related_body

if TYPE_CHECKING:  # conftest imports this module for RecordingQueue
    from tests.service.conftest import TestClient


@dataclass
class RecordingQueue:
    """A :class:`core.jobs.queue.JobQueue` that records the job ids it is given (jobs, deliveries);
    ``reachable`` for ping; ``accepting`` False: every send raises (a broker that is away), counted in
    ``refused``."""

    enqueued: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    reachable: bool = True
    waiting: int | None = 3
    accepting: bool = True
    refused: int = 0

    def _send(self) -> None:
        if not self.accepting:
            self.refused += 1
            raise ConnectionRefusedError("Error 111 connecting to redis://petiq:hunter2@broker.example:6379/0.")

    def enqueue(self, *, job_id: str) -> None:
        self._send()
        self.enqueued.append(job_id)

    def enqueue_delivery(self, *, job_id: str) -> None:
        self._send()
        self.deliveries.append(job_id)

    def depth(self) -> int | None:
        return self.waiting

    def ping(self) -> None:
        if not self.reachable:
            raise ConnectionRefusedError("broker down (test)")


def stow(client: TestClient, datasets: list[Dataset]) -> Any:
    """STOW-RS ``datasets`` in one request; the response."""
    body = related_body([to_bytes(ds) for ds in datasets])
    return client.post("/dicomweb/studies", content=body, headers={**AUTH, "Content-Type": RELATED})


def jobs_of(client: TestClient, study_uid: str) -> list[dict[str, Any]]:
    """``GET /v1/jobs?study_uid=``: the jobs of a study."""
    response = client.get("/v1/jobs", params={"study_uid": study_uid}, headers=AUTH)
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()
    return jobs
