"""Workers never import the web stack (DESIGN.md §2): checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_worker_modules_do_not_import_fastapi() -> None:
    code = (
        "import sys, tempfile\n"
        "from service.core.config import Settings\n"
        "from workers.celery_app import make_celery\n"
        "import workers.embedded, workers.job_run, workers.tasks\n"
        "make_celery(settings=Settings(storage_dir=tempfile.mkdtemp()))\n"
        "print(sorted(name for name in ('fastapi', 'starlette', 'uvicorn') if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
