"""Test material for the scorer: a tiny untrained scorer folder and small simulated torsos."""

from __future__ import annotations

from pathlib import Path

import torch

from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import SimulatedStudy, StudyRequest, simulate_study
from models.iqa.bundle import ScorerInfo, save_scorer
from models.iqa.labels import OBSERVER_LABEL
from models.iqa.network import IqaConfig, IqaNet

__all__ = ["TINY_SHAPE", "random_scorer", "tiny_torso"]

TINY_SHAPE = (16, 40, 40)


def random_scorer(*, directory: Path, seed: int = 0, width: int = 4) -> ScorerInfo:
    """An untrained scorer of ``width`` saved in ``directory`` with the observer's calibration label."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = IqaNet(IqaConfig(width=width)).eval()
    calibration = {"label": OBSERVER_LABEL, "levels": [], "anchors": {}}
    return save_scorer(
        net=net, directory=directory, name="test-iqa", version="0.0.1", calibration=calibration, training={}
    )


def tiny_torso(*, seed: int = 3, levels: tuple[float, ...] = (1.0, 0.1, 0.01)) -> SimulatedStudy:
    """A 16×40×40 torso of 10 mm voxels (in-plane) at ``levels``."""
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=seed, shape=TINY_SHAPE, spacing_mm=(8.0, 10.0, 10.0))
    return simulate_study(request=StudyRequest(kind=PhantomKind.TORSO, seed=seed, levels=levels), phantom=phantom)
