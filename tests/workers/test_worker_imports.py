"""Workers never import the web stack (DESIGN.md §2): checked in a fresh interpreter."""

from __future__ import annotations

from tests.fresh_python import fresh_python


def test_worker_modules_do_not_import_fastapi() -> None:
    code = (
        "import sys, tempfile\n"
        "from core.settings import Settings\n"
        "from workers.celery_app import make_celery\n"
        "import workers.embedded, workers.job_run, workers.supervisor, workers.tasks, workers.worker_plan\n"
        "make_celery(settings=Settings(storage_dir=tempfile.mkdtemp()))\n"
        "print(sorted(name for name in ('fastapi', 'starlette', 'uvicorn') if name in sys.modules))\n"
    )
    assert fresh_python(code=code) == "[]"
