"""A failed job's problem detail: what failed in words, no server path, no traceback."""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from core.jobs.failure_detail import WORKER_LOG, failure_detail, without_paths
from core.jobs.transitions import job_problem
from imaging.errors import InputError, OutputError, SeriesError

SERVER = "/srv/petiq-data/jobs/0f0e0d0c-0b0a-5908-8706-050403020100"


@pytest.mark.parametrize(
    ("error", "stage", "detail"),
    [
        (
            FileNotFoundError(2, "No such file or directory", f"{SERVER}/input/1.2.3.dcm"),
            "load",
            f"The job hit a file or storage error during load (FileNotFoundError: No such file or directory). "
            f"{WORKER_LOG}",
        ),
        (
            SoftTimeLimitExceeded(),
            "adapt",
            f"The job ran past its time limit during adapt (SoftTimeLimitExceeded). {WORKER_LOG}",
        ),
        (MemoryError(), "denoise", f"The job ran out of memory during denoise (MemoryError). {WORKER_LOG}"),
        (KeyError(f"{SERVER}/x"), None, f"The job failed unexpectedly (KeyError). {WORKER_LOG}"),
        (
            OutputError(f"Could not write x.tmp: [Errno 28] No space left on device: '{SERVER}/output/x.tmp'."),
            "write",
            f"Could not write x.tmp: [Errno 28] No space left on device: '…/x.tmp'. {WORKER_LOG}",
        ),
        (
            InputError(f"Argument 'source' should be a directory, got {SERVER}/input.\nTraceback (most recent call"),
            None,
            f"Argument 'source' should be a directory, got …/input. {WORKER_LOG}",
        ),
        (SeriesError("Slices are not evenly spaced.", check="slice_spacing"), "load", "Slices are not evenly spaced."),
    ],
)
def test_failure_detail_says_what_failed_without_paths(error: BaseException, stage: str | None, detail: str) -> None:
    assert failure_detail(error=error, stage=stage) == detail
    assert SERVER not in detail and "Traceback" not in detail


def test_urls_and_relative_names_are_not_paths() -> None:
    text = "Argument 'url' should be like 'https://pacs.example/dicom-web', got a/b (1/2)."
    assert without_paths(text) == text


def test_job_problem_carries_the_stage_and_leaves_the_path_member_out() -> None:
    error = OutputError("Writing failed.", path=f"{SERVER}/output", check="write")
    problem = job_problem(error=error, job_id="j", stage="write")
    assert problem == {
        "type": "urn:petiq:problem:job-failure",
        "title": "The job failed",
        "status": 500,
        "detail": "Writing failed.",
        "instance": "/v1/jobs/j",
        "check": "write",
    }
    unexpected = job_problem(error=RuntimeError(f"bad {SERVER}"), job_id="j", stage="score")
    assert unexpected["detail"] == f"The job failed unexpectedly during score (RuntimeError). {WORKER_LOG}"
