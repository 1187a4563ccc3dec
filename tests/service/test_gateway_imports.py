"""The gateway never loads torch (nor Celery's worker side): checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_service_main_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from service.main import create_app\n"
        "from service.core.config import Settings\n"
        "create_app(settings=Settings(api_keys=frozenset({'k'})))\n"
        "print(sorted(name for name in ('torch', 'onnxruntime', 'models') if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
