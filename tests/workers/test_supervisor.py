"""Supervising worker processes (``petiq worker`` with two queues), with small Python children instead of Celery:
signals passed on, one child's end stops the others, and no child outlives a supervisor killed on its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.workers.processes import ROOT, kill_group, wait_gone
from workers.supervisor import exit_code, supervise

CHILD = """
import os, pathlib, signal, sys, time
log = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGTERM, lambda signum, frame: (log.write_text(f"stopped by {signum}"), sys.exit(0)))
log.with_suffix(".tmp").write_text(str(os.getpid()))
log.with_suffix(".tmp").rename(log.with_suffix(".pid"))  # whole when seen
if len(sys.argv) > 2:  # exit with this code once the other child has started
    while not pathlib.Path(sys.argv[3]).exists():
        time.sleep(0.05)
    sys.exit(int(sys.argv[2]))
while True:
    time.sleep(0.05)
"""

SUPERVISOR = (
    "import json, sys; from workers.supervisor import supervise; sys.exit(supervise(commands=json.loads(sys.argv[1])))"
)


@pytest.fixture
def supervisor(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[bytes]]:
    """A supervisor of two children logging to ``tmp_path/{a,b}.log``, in its own session (killed at the end);
    with an (indirect) parameter, child ``b`` exits with it as its code once ``a`` has started."""
    exit_b = [str(request.param), str(tmp_path / "a.pid")] if hasattr(request, "param") else []
    commands = [
        [sys.executable, "-c", CHILD, str(tmp_path / "a.log")],
        [sys.executable, "-c", CHILD, str(tmp_path / "b.log"), *exit_b],
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, json.dumps(commands)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    yield process
    kill_group(process)


def _pids(folder: Path, timeout_s: float = 30.0) -> list[int]:
    """The children's process ids, once both have started (their SIGTERM handler set)."""
    deadline = time.monotonic() + timeout_s
    while not all((folder / f"{name}.pid").exists() for name in "ab"):
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)
    return [int((folder / f"{name}.pid").read_text()) for name in "ab"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_is_passed_on_to_every_child(
    supervisor: subprocess.Popen[bytes], tmp_path: Path, sig: signal.Signals
) -> None:
    _pids(tmp_path)
    supervisor.send_signal(sig)
    assert supervisor.wait(timeout=30) == 0
    for name in "ab":
        assert (tmp_path / f"{name}.log").read_text() == f"stopped by {signal.SIGTERM.value}"


@pytest.mark.parametrize("supervisor", [3], indirect=True)
def test_a_child_that_ends_stops_the_others_with_its_exit_code(
    supervisor: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    assert supervisor.wait(timeout=30) == 3
    assert (tmp_path / "a.log").read_text() == f"stopped by {signal.SIGTERM.value}"
    assert not (tmp_path / "b.log").exists()


def test_children_die_with_a_killed_supervisor(supervisor: subprocess.Popen[bytes], tmp_path: Path) -> None:
    pids = _pids(tmp_path)
    os.kill(supervisor.pid, signal.SIGKILL)  # the supervisor alone, not its process group
    supervisor.wait(timeout=30)
    wait_gone(pids)
    assert not any((tmp_path / f"{name}.log").exists() for name in "ab")  # killed, not stopped


def test_exit_code_of_a_signalled_child_is_the_shells() -> None:
    assert [exit_code(code) for code in (0, 3, -signal.SIGKILL)] == [0, 3, 137]
    with pytest.raises(ValueError, match="Argument 'commands'"):
        supervise(commands=[])
