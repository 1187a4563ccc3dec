"""Long runs in the background: restart the same ``petiq`` command without ``--detach`` in a new session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from imaging.atomic import write_atomic

__all__ = ["detach", "stderr_is"]


def stderr_is(path: Path) -> bool:
    """Whether stderr already writes to ``path`` (a detached run), so lines are not logged twice."""
    try:
        return os.path.samestat(os.fstat(sys.stderr.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):
        return False


def detach(*, argv: list[str], log_path: Path, pid_path: Path, label: str) -> int:
    """Start ``petiq argv`` in a new session with stdout/stderr appended to ``log_path``; its pid goes to
    ``pid_path``. Prints where to follow it and returns 0 at once."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    write_atomic(path=pid_path, write=lambda handle: handle.write(f"{process.pid}\n".encode()))
    print(f"petiq {label}: running in the background (pid {process.pid}); progress in {log_path}")
    return 0
