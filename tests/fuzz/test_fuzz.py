"""CI's bounded fuzz run: each target of :mod:`tests.fuzz.harness` for ``SECONDS`` on a fresh seed corpus."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.fuzz.seeds import write_seeds
from tests.workers.processes import ROOT

SECONDS = 20
ARTIFACTS = Path(tempfile.gettempdir()) / "petiq-fuzz-artifacts"
"""Where a finding is written (kept after the test, unlike tmp_path, to reproduce it)."""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["reader", "multipart"])
def test_fuzz_target_finds_nothing(target: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    corpus = tmp_path / "corpus"
    assert write_seeds(target=target, directory=corpus) >= 2
    flags = [f"-max_total_time={SECONDS}", "-rss_limit_mb=2048", "-timeout=20", f"-artifact_prefix={ARTIFACTS}/"]
    command = [sys.executable, "-m", "tests.fuzz.harness", target, str(corpus), *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS + 120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
