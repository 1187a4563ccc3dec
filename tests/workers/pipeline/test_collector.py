"""The garbage collector during a job: fewer passes, and the interpreter's settings back afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

from workers.pipeline.collector import GEN0_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def _collector_as_found() -> None:
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] != GEN0_THRESHOLD


def test_a_job_freezes_and_raises_the_threshold_then_restores_both() -> None:
    before = gc.get_threshold()
    alive = [object() for _ in range(10)]
    with fewer_collections():
        assert gc.get_threshold() == (GEN0_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_made_during_a_job_are_still_collected() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    with fewer_collections():
        for _ in range(3 * GEN0_THRESHOLD):
            Node()
        gc.collect()
        assert not any(type(thing) is Node for thing in gc.get_objects())


def test_nested_and_concurrent_jobs_share_one_setting_until_the_last_ends() -> None:
    before = gc.get_threshold()
    inside = threading.Event()
    leave = threading.Event()

    def other_job() -> None:
        with fewer_collections():
            inside.set()
            leave.wait(timeout=10)

    thread = threading.Thread(target=other_job)
    thread.start()
    assert inside.wait(timeout=10)
    with fewer_collections():
        pass
    assert gc.get_threshold()[0] == GEN0_THRESHOLD  # the other job still runs
    leave.set()
    thread.join(timeout=10)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_failing_job_restores_the_collector() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the job failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
