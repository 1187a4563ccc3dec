"""The processes ``petiq worker`` runs, and their arguments (no Celery started)."""

from __future__ import annotations

import sys

import pytest

from workers.embedded import DELIVERY_THREADS
from workers.worker_plan import WorkerProcess, celery_arguments, child_command, worker_plan


def test_default_plan_runs_jobs_and_deliveries_in_two_processes_with_their_own_names() -> None:
    jobs, deliveries = worker_plan(queues=("gpu", "deliver"), hostname="petiq@%h")
    assert jobs == WorkerProcess(queue="gpu", hostname="petiq@%h")
    assert deliveries == WorkerProcess(queue="deliver", hostname="petiq-deliver@%h")
    assert worker_plan(queues=("deliver", "gpu")) == [
        WorkerProcess(queue="gpu", hostname=None),
        WorkerProcess(queue="deliver", hostname="celery-deliver@%h"),
    ]
    assert worker_plan(queues=("gpu", "deliver"), hostname="box1")[1].hostname == "celery-deliver@box1"


def test_one_queue_is_one_process_named_as_asked() -> None:
    assert worker_plan(queues=("gpu",), hostname="w1@%h") == [WorkerProcess(queue="gpu", hostname="w1@%h")]
    assert worker_plan(queues=("deliver",), hostname="deliver@%h") == [
        WorkerProcess(queue="deliver", hostname="deliver@%h")
    ]
    for queues in (("gpu", "cpu"), ()):
        with pytest.raises(ValueError, match="Argument 'queues'"):
            worker_plan(queues=queues)


def test_job_worker_is_one_prefork_child_and_delivery_worker_a_thread_pool() -> None:
    jobs = celery_arguments(process=WorkerProcess(queue="gpu", hostname="w1@%h"), loglevel="WARNING")
    assert jobs == [
        "worker",
        "--queues=gpu",
        "--concurrency=1",
        "--pool=prefork",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--hostname=w1@%h",
    ]
    deliveries = celery_arguments(process=WorkerProcess(queue="deliver", hostname=None))
    assert deliveries[:4] == ["worker", "--queues=deliver", f"--concurrency={DELIVERY_THREADS}", "--pool=threads"]
    assert not any(argument.startswith("--hostname") for argument in deliveries)


def test_child_command_is_petiq_worker_on_one_queue() -> None:
    process = WorkerProcess(queue="deliver", hostname="petiq-deliver@%h")
    assert child_command(process=process, loglevel="DEBUG", debug=True) == [
        sys.executable,
        *("-m", "cli.main", "--debug", "worker", "--queues", "deliver", "--loglevel", "DEBUG"),
        *("--hostname", "petiq-deliver@%h"),
    ]
    assert child_command(process=WorkerProcess(queue="gpu", hostname=None))[3:] == [
        *("worker", "--queues", "gpu", "--loglevel", "INFO"),
    ]
