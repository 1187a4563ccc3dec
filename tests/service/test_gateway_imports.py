"""The gateway never loads torch, the pipeline or Celery's worker side: checked in a fresh interpreter, with the
job routes, readiness, metrics and the OpenAPI writer loaded and used."""

from __future__ import annotations

from tests.fresh_python import fresh_python


def test_service_main_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from service.main import create_app\n"
        "from core.settings import Settings\n"
        "from fastapi.testclient import TestClient\n"
        "from service.openapi import openapi_document\n"
        "import tempfile\n"
        "settings = Settings(api_keys=frozenset({'k'}), storage_dir=tempfile.mkdtemp())\n"
        "with TestClient(create_app(settings=settings)) as client:\n"
        "    assert client.get('/v1/jobs', headers={'Authorization': 'Bearer k'}).json() == []\n"
        "    client.get('/readyz'); client.get('/metrics'); openapi_document()\n"
        "banned = ('torch', 'onnxruntime', 'models', 'workers', 'celery.apps.worker')\n"
        "print(sorted(name for name in banned if name in sys.modules))\n"
    )
    assert fresh_python(code=code) == "[]"
