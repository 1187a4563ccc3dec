"""Fixtures of the worker tests: tiny weight bundles and a small simulated study (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.bundle import BundleInfo
from models.iqa.bundle import ScorerInfo
from tests.models.iqa.builders import random_scorer
from tests.workers.builders import identity_bundle, random_bundle, small_split_study, small_study


@pytest.fixture(scope="session")
def random_bundle_info(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    """An untrained width-8 DnCNN bundle."""
    return random_bundle(directory=tmp_path_factory.mktemp("random-bundle"))


@pytest.fixture(scope="session")
def identity_bundle_info(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    """A width-8 DnCNN bundle whose output is its centre input slice."""
    return identity_bundle(directory=tmp_path_factory.mktemp("identity-bundle"))


@pytest.fixture(scope="session")
def small_series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12 x 48 x 48 torso series at 5 % counts (read-only: tests write elsewhere)."""
    return small_study(directory=tmp_path_factory.mktemp("small-study") / "study")


@pytest.fixture(scope="session")
def split_study_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 12 x 48 x 48 torso series at 5 % counts and its two half-count splits (read-only)."""
    return small_split_study(directory=tmp_path_factory.mktemp("split-study") / "study")


@pytest.fixture(scope="session")
def random_scorer_info(tmp_path_factory: pytest.TempPathFactory) -> ScorerInfo:
    """An untrained width-4 quality scorer."""
    return random_scorer(directory=tmp_path_factory.mktemp("random-scorer"))
