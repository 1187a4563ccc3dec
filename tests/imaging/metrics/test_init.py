"""The metrics package exports exactly its documented public API."""

from __future__ import annotations

import importlib

import pytest

import imaging.metrics

MODULES = [
    "contrast",
    "ensemble",
    "fidelity",
    "iec_background",
    "iec_layout",
    "nema",
    "noise",
    "recovery",
    "rois",
    "sphere_fit",
    "suv",
]


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist(name: str) -> None:
    module = importlib.import_module(f"imaging.metrics.{name}")
    assert module.__all__, name
    for exported in module.__all__:
        assert hasattr(module, exported), exported


def test_package_reexports_resolve_and_are_sorted() -> None:
    names = imaging.metrics.__all__
    assert names == sorted(names)
    for exported in names:
        assert getattr(imaging.metrics, exported) is not None
