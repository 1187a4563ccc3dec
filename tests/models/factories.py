"""Small networks and bundles for the model tests: random BN statistics so folding is exercised."""

from __future__ import annotations

from pathlib import Path

import torch

from models.bundle import BundleInfo, save_bundle
from models.dncnn import DnCNN, DnCNNConfig


def random_dncnn(*, width: int = 8, seed: int = 0, noise_map: bool = False) -> DnCNN:
    """A DnCNN in eval mode whose BN running statistics and affine parameters are random (not 0/1)."""
    torch.manual_seed(seed)
    model = DnCNN(config=DnCNNConfig(width=width, noise_map=noise_map))
    with torch.no_grad():
        for norm in model.norms:
            if isinstance(norm, torch.nn.BatchNorm2d):
                norm.running_mean.uniform_(-0.2, 0.2)  # type: ignore[union-attr]
                norm.running_var.uniform_(0.5, 2.0)  # type: ignore[union-attr]
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.uniform_(-0.1, 0.1)
    return model.eval()


def identity_dncnn(*, width: int = 8) -> DnCNN:
    """A DnCNN whose predicted noise is exactly zero (last conv all zeros): output = centre slice."""
    model = random_dncnn(width=width)
    with torch.no_grad():
        last = model.convs[-1]
        assert isinstance(last, torch.nn.Conv2d) and last.bias is not None
        last.weight.zero_()
        last.bias.zero_()
    return model


def write_bundle(*, model: DnCNN, directory: Path) -> BundleInfo:
    """Save ``model`` as a bundle named for tests."""
    return save_bundle(model=model, directory=directory, name="test-dncnn", version="t1", extra={})
