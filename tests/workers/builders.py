"""Test material for the pipeline: tiny weight bundles and a small simulated study, written to disk."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from imaging.simulation.export import write_study
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import StudyRequest, simulate_study
from models.bundle import BundleInfo, save_bundle
from models.dncnn import DnCNN, DnCNNConfig

__all__ = ["SMALL_SHAPE", "SMALL_SPACING_MM", "identity_bundle", "random_bundle", "small_split_study", "small_study"]

SMALL_SHAPE = (12, 48, 48)
SMALL_SPACING_MM = (4.0, 10.0, 10.0)


def random_bundle(
    *, directory: Path, seed: int = 0, width: int = 8, strengths: Mapping[str, float] | None = None
) -> BundleInfo:
    """An untrained width-``width`` DnCNN (weights drawn from ``seed``) saved as a bundle in ``directory``, with
    the blend weights ``strengths`` of its strength levels (None: the defaults)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = DnCNN(config=DnCNNConfig(width=width)).eval()
    return save_bundle(
        model=model, directory=directory, name="test-random", version="0.0.1", extra={}, strengths=strengths
    )


def identity_bundle(*, directory: Path) -> BundleInfo:
    """A DnCNN whose last conv is zero: predicted noise 0, output = centre slice exactly."""
    with torch.random.fork_rng():
        torch.manual_seed(1)
        model = DnCNN(config=DnCNNConfig(width=8)).eval()
    with torch.no_grad():
        last = model.convs[-1]
        assert isinstance(last, torch.nn.Conv2d)
        last.weight.zero_()
        assert last.bias is not None
        last.bias.zero_()
    return save_bundle(model=model, directory=directory, name="test-identity", version="0.0.1", extra={})


def small_study(*, directory: Path, seed: int = 3, level: float = 0.05) -> Path:
    """A small torso study (``SMALL_SHAPE`` voxels of ``SMALL_SPACING_MM``) at one count level; returns the
    folder of its one series."""
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=seed, shape=SMALL_SHAPE, spacing_mm=SMALL_SPACING_MM)
    study = simulate_study(request=StudyRequest(kind=PhantomKind.TORSO, seed=seed, levels=(level,)), phantom=phantom)
    write_study(study=study, directory=directory)
    (series_dir,) = (path.parent for path in directory.glob("r00/*/0001.dcm"))
    return series_dir


def small_split_study(*, directory: Path, seed: int = 4, level: float = 0.05) -> tuple[Path, Path, Path]:
    """Like :func:`small_study` with the two independent half-count splits; returns (series, split A, split B)."""
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=seed, shape=SMALL_SHAPE, spacing_mm=SMALL_SPACING_MM)
    request = StudyRequest(kind=PhantomKind.TORSO, seed=seed, levels=(level,), split=True)
    write_study(study=simulate_study(request=request, phantom=phantom), directory=directory)
    found = {path.parent.name: path.parent for path in directory.glob("r00/*/0001.dcm")}
    full = next(name for name in found if not name.endswith(("-split-a", "-split-b")))
    return found[full], found[f"{full}-split-a"], found[f"{full}-split-b"]
