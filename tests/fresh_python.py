"""Running a snippet in a fresh interpreter, for tests of what a process imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "fresh_python"]

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(*, code: str) -> str:
    """Run ``code`` with this interpreter from the repository root (one OpenMP thread); its stdout, stripped.

    Fails the test with the child's stderr when it exits non-zero.
    """
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
