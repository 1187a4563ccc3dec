"""The HTTP contract: ``python -m service.openapi [PATH]`` writes the app's OpenAPI document (default
``openapi/openapi.json``), keys sorted, indented, so that a diff shows what changed. A test fails when the
committed file differs from the app (CI catches drift).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.settings import Settings
from service.main import create_app

__all__ = ["DEFAULT_PATH", "openapi_document", "openapi_text", "write_openapi"]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the gateway (independent of the environment's settings)."""
    schema: dict[str, Any] = create_app(settings=Settings(api_keys=frozenset({SecretStr("openapi")}))).openapi()
    return schema


def openapi_text() -> str:
    """:func:`openapi_document` as sorted, indented JSON with a final newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(*, path: Path = DEFAULT_PATH) -> Path:
    """Write :func:`openapi_text` to ``path`` (folders created); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    written = write_openapi(path=Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
    sys.stdout.write(f"wrote {written}\n")
