"""Pruning: idle channels removed give the same outputs from a smaller network, through torch and ONNX."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.bundle import load_bundle_info, load_torch_model
from models.dncnn import DnCNN, DnCNNConfig
from models.pruning import prune_idle
from models.training.sparsity import zero_channels
from tests.models.factories import random_dncnn, write_bundle


def _sparse(seed: int = 0) -> DnCNN:
    model = random_dncnn(width=8, seed=seed, noise_map=True)
    generator = torch.Generator().manual_seed(seed)
    idle = [torch.rand(8, generator=generator) < 0.5 for _ in range(7)]
    idle[3][:] = True  # one layer wholly idle: it keeps one channel of zeros
    zero_channels(model=model, channels=idle)
    return model


def test_the_pruned_network_is_smaller_and_computes_the_same() -> None:
    model = _sparse()
    pruned = prune_idle(model=model)
    widths = pruned.config.widths
    assert widths is not None and len(widths) == 7 and widths[3] == 1 and all(w <= 8 for w in widths)
    count = sum(p.numel() for p in pruned.parameters())
    assert count < 0.7 * sum(p.numel() for p in model.parameters())
    x = torch.rand((2, 3, 24, 20)) + 0.3
    assert torch.allclose(pruned(x), model(x), atol=1e-5)


def test_a_pruned_bundle_round_trips_through_json_torch_and_onnx(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pruned = prune_idle(model=_sparse(seed=1))
    info = write_bundle(model=pruned, directory=tmp_path)
    assert info.config == pruned.config and info.metadata["config"]["widths"] == list(pruned.config.widths or ())
    again = load_torch_model(info=load_bundle_info(directory=tmp_path), device=torch.device("cpu"))
    x = torch.rand((1, 3, 16, 16)) + 0.3
    assert torch.equal(again(x), pruned(x))
    assert info.metadata["onnx_max_abs_diff_vs_torch"] < 1e-4


def test_bad_widths_are_refused_and_pruning_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="widths"):
        DnCNNConfig(width=8, depth=4, widths=(8, 9, 2))
    with pytest.raises(ValueError, match="widths"):
        DnCNNConfig(width=8, depth=4, widths=(8, 2))
    assert "widths" not in DnCNNConfig(width=8).to_json()
    with pytest.raises(ValueError, match="already pruned"):
        prune_idle(model=prune_idle(model=_sparse()))


def test_a_pruned_bundle_ships_its_sparse_network_for_adaptation(tmp_path: Path) -> None:
    from models.bundle import load_adaptable_model, reexport_bundle, save_bundle

    sparse = _sparse(seed=2)
    pruned = prune_idle(model=sparse)
    save_bundle(model=pruned, directory=tmp_path, name="t", version="v", extra={}, sparse=sparse)
    info = load_bundle_info(directory=tmp_path)
    assert info.sparse_path is not None and info.config.widths is not None
    full = load_adaptable_model(info=info, device=torch.device("cpu"))
    assert full.config.widths is None
    x = torch.rand((1, 3, 16, 16)) + 0.3
    assert torch.allclose(full(x), pruned(x), atol=1e-5)
    again = reexport_bundle(directory=tmp_path)
    assert again.sparse_sha256 == info.sparse_sha256
    (tmp_path / "dncnn-sparse.pt").write_bytes(b"changed")
    with pytest.raises(Exception, match="sha256"):
        load_bundle_info(directory=tmp_path)


def test_a_bundle_without_a_sparse_network_adapts_its_own(tmp_path: Path) -> None:
    from models.bundle import load_adaptable_model

    info = write_bundle(model=random_dncnn(width=8, seed=3), directory=tmp_path)
    assert info.sparse_path is None
    model = load_adaptable_model(info=info, device=torch.device("cpu"))
    assert model.config == info.config


def test_the_shipped_bundle_is_pruned_and_adapts_its_sparse_network() -> None:
    from models.bundle import load_adaptable_model

    info = load_bundle_info(directory=Path("models/weights/dncnn"))
    assert info.config.widths is not None and info.sparse_path is not None
    full = load_adaptable_model(info=info, device=torch.device("cpu"))
    assert full.config.widths is None and full.config.width == info.config.width
    assert info.strengths is not None and info.strengths["high"] == 1.0
