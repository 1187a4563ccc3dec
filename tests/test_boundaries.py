"""The package boundaries of DESIGN.md §2, as the import statements show them (:mod:`tests.import_graph`)."""

from __future__ import annotations

import pytest

from tests.import_graph import PACKAGES, ROOT, import_counts, imported_modules

FORBIDDEN = {
    "imaging": {"models", "core", "workers", "service", "cli", "bench"},
    "models": {"core", "workers", "service", "cli", "bench"},
    "core": {"models", "workers", "service", "cli", "bench"},
    "workers": {"service", "cli", "bench"},
    "service": {"models", "workers", "cli", "bench"},
}
"""Top-level packages each package may never import."""
THIRD_PARTY_FORBIDDEN = {
    "core": {"torch", "onnxruntime", "fastapi", "starlette", "uvicorn", "pynetdicom"},
    "service": {"torch", "onnxruntime"},
    "workers": {"fastapi", "starlette", "uvicorn"},
}
"""Libraries each package may never import (the gateway stays torch-free, the shared core web-free)."""


def test_no_package_imports_across_its_boundary() -> None:
    counts = import_counts()
    crossings = {
        (importer, imported): n
        for (importer, imported), n in counts.items()
        if imported in FORBIDDEN.get(importer, set())
    }
    assert crossings == {}
    assert counts[("workers", "core")] > 0 and counts[("service", "core")] > 0


@pytest.mark.parametrize("package", sorted(THIRD_PARTY_FORBIDDEN))
def test_no_forbidden_library(package: str) -> None:
    found = {
        (str(path.relative_to(ROOT)), name)
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in THIRD_PARTY_FORBIDDEN[package]
    }
    assert found == set()


def test_every_package_is_counted() -> None:
    assert {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()} - {"tests"} <= set(PACKAGES)
