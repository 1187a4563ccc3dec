"""Several worker processes run as one: what ``petiq worker`` does when it consumes more than one queue.

- The children stay in this process's process group, so ``kill -9`` of the group (or a container's stop) ends
  them all; each asks the kernel for SIGKILL when this process dies (``PR_SET_PDEATHSIG``, Linux, as Celery's
  own pool children do), so none outlives a supervisor killed on its own.
- SIGTERM or SIGINT to this process is passed on to every child as SIGTERM: Celery's warm shutdown (the task in
  hand finishes; a second SIGINT from a terminal reaches the children too and makes it cold).
- When one child ends, the others are asked to stop (SIGTERM) and waited for: the worker is whole or not
  running (a container's restart policy starts it again), and its exit code is the failed child's.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from types import FrameType

from celery.platforms import set_pdeathsig  # type: ignore[import-untyped]

__all__ = ["exit_code", "supervise"]

_LOG = logging.getLogger(__name__)
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_code(returncode: int) -> int:
    """A shell's exit code for a child's ``returncode`` (Popen's: negative for a signal): ``128 + signal``."""
    return 128 - returncode if returncode < 0 else returncode


def _die_with(parent: int) -> Callable[[], None]:
    """The ``preexec_fn`` of a child: SIGKILL when ``parent`` dies (and at once if it died already)."""

    def arrange() -> None:
        set_pdeathsig("SIGKILL")
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return arrange


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)


def _start(commands: Sequence[Sequence[str]], children: list[subprocess.Popen[bytes]]) -> None:
    parent = os.getpid()
    for command in commands:
        children.append(subprocess.Popen(list(command), preexec_fn=_die_with(parent)))


def supervise(*, commands: Sequence[Sequence[str]], poll_s: float = 0.2) -> int:
    """Run each of ``commands`` as a child process until they have all ended (module docstring); the exit code:
    0 when every child ended with 0, else the code (:func:`exit_code`) of the child that ended first if it
    failed, or of the first that failed after it. ``poll_s``: seconds between looks at the children."""
    if not commands:
        raise ValueError("Argument 'commands' should name at least one command, got none.")
    children: list[subprocess.Popen[bytes]] = []
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        _stop(children)

    previous = {signum: signal.signal(signum, on_signal) for signum in _STOP_SIGNALS}
    try:
        _start(commands, children)
        if stopping:  # a signal came while the children were being started
            _stop(children)
        while all(child.poll() is None for child in children):
            time.sleep(poll_s)
        first = next(child for child in children if child.returncode is not None)
        if not stopping:
            _LOG.error("worker process %s ended with code %s; stopping the others", first.args, first.returncode)
            _stop(children)
        codes = [exit_code(child.wait()) for child in [first, *children]]
    finally:
        _stop(children)  # none left running when starting or waiting failed
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return next((code for code in codes if code != 0), 0)
