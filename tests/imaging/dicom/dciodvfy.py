"""Run dicom3tools' ``dciodvfy`` (the standard's IOD checker) on a file and collect its error messages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

__all__ = ["DCIODVFY", "dciodvfy_errors", "normalise_message", "requires_dciodvfy"]

DCIODVFY = Path("/usr/bin/dciodvfy")

requires_dciodvfy = pytest.mark.skipif(not DCIODVFY.exists(), reason=f"{DCIODVFY} not installed (dicom3tools)")

_VALUE = re.compile(r" = <[^>]*>")  # a reported value, e.g. "... PN [1] = <STS_001>"; not "Element=<Laterality>"
_SPACES = re.compile(r"\s+")


def normalise_message(line: str) -> str:
    """An ``Error -`` line without the quoted value (UIDs, numbers differ per file) and with single spaces."""
    return _SPACES.sub(" ", _VALUE.sub(" = <>", line)).strip()


def dciodvfy_errors(path: Path) -> set[str]:
    """The normalised ``Error -`` messages dciodvfy reports for the file ``path`` (warnings left out)."""
    run = subprocess.run([str(DCIODVFY), str(path)], capture_output=True, text=True, check=False, timeout=60)
    lines = (run.stdout + "\n" + run.stderr).splitlines()
    return {normalise_message(line) for line in lines if line.startswith("Error")}
