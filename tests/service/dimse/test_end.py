"""The end of an association: an aborted one mid-series starts nothing and its series is reported incomplete by
the sweep; the rest of the series in a later association completes it and starts its job; a failing hook is
logged and the others still run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from core.storage.outcomes import StoreReport
from tests.service.dimse.scanner import association, read, running_gateway, send, simulated_series, wait_for
from tests.service.job_helpers import jobs_of

pytestmark = pytest.mark.slow  # each starts the gateway and its SCP on a loopback port


def _status(app: Any, study_uid: str, series_uid: str) -> dict[str, Any]:
    response = app.client.get(f"/v1/studies/{study_uid}/series/{series_uid}/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_association_aborted_mid_series_starts_nothing_and_the_series_is_incomplete(tmp_path: Path) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    first = read(files[0])
    study, series = first.StudyInstanceUID, first.SeriesInstanceUID
    with running_gateway(storage=tmp_path / "storage", incomplete_grace_s=0.3) as app:
        with association(port=app.port) as assoc:
            assert {status.Status for status in send(assoc, files[:5])} == {0x0000}
            assoc.abort()
        (record,) = wait_for(lambda: jobs_of(app.client, study))  # the sweep's record, after the grace time
        assert (record["status"], record["error"]["check"]) == ("failed", "incomplete_series")
        assert app.queue.enqueued == []
        status = _status(app, study, series)
        assert (status["state"], status["stored"], status["expected"]) == ("incomplete", 5, len(files))
        assert 'petiq_dimse_associations_total{result="aborted"} 1.0' in app.client.get("/metrics").text

        with association(port=app.port) as assoc:  # the rest, later: the series completes, its job starts
            assert {status.Status for status in send(assoc, files[5:])} == {0x0000}
        jobs = wait_for(lambda: [job for job in jobs_of(app.client, study) if job["id"] != record["id"]])
        assert [job["status"] for job in jobs] == ["queued"] and app.queue.enqueued == [jobs[0]["id"]]
        assert _status(app, study, series)["state"] == "complete"


def test_a_failing_hook_is_logged_and_the_job_still_starts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (files,) = simulated_series(directory=tmp_path / "study").values()
    seen: list[StoreReport] = []

    def failing(report: StoreReport) -> None:
        raise RuntimeError("hook down")

    with running_gateway(storage=tmp_path / "storage") as app:
        app.client.app.state.on_series_stored[0:0] = [failing]  # type: ignore[attr-defined]
        app.client.app.state.on_series_stored.append(seen.append)  # type: ignore[attr-defined]
        with caplog.at_level(logging.INFO), association(port=app.port) as assoc:
            send(assoc, files)
        assert wait_for(lambda: app.queue.enqueued)
        (report,) = wait_for(lambda: seen)
    assert report.n_stored == len(files) and len(report.completed_series) == 1
    assert "RuntimeError: hook down" in caplog.text
    assert f"{len(files)} instance(s) stored, 0 failed" in caplog.text
