"""Training pieces of the TGD experiments on tiny data: masked runs, fine-tuning patches, the cached v2-net."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.tgd.cases import finetune_cases
from bench.tgd.training import (
    QUICK_LEVELS,
    TIMING_NAME,
    V2NetSpec,
    ensure_v2_net,
    finetune_patches,
    patch_batches,
    train_under_masks,
    v2_progress,
)
from models.tgd.layer_masks import last_layers, layer_masks
from models.tgd.masks import parameter_masks, tgd_masks
from tests.models.test_tgd import batches, random_dncnn


def test_a_masked_run_moves_only_its_masks_and_leaves_the_base_alone() -> None:
    base = random_dncnn(width=8, seed=3)
    before = {name: value.clone() for name, value in base.state_dict().items()}
    masks = layer_masks(model=base, layers=last_layers(model=base, count=3))
    run = train_under_masks(base=base, masks=masks, batches=batches(seed=4), steps=3, lr=1e-3)
    assert len(run.losses) == 3 and run.seconds > 0 and not run.model.training
    for name, value in base.state_dict().items():
        assert torch.equal(value, before[name]), name
    element = parameter_masks(model=base, masks=masks)
    tuned = dict(run.model.named_parameters())
    for name, original in base.named_parameters():
        assert torch.equal(original[~element[name]], tuned[name][~element[name]]), name
    assert not torch.equal(tuned["convs.7.weight"], dict(base.named_parameters())["convs.7.weight"])
    with pytest.raises(ValueError, match="Argument 'steps'"):
        train_under_masks(base=base, masks=tgd_masks(model=base), batches=batches(seed=4), steps=0, lr=1e-3)


def test_finetune_patches_are_normalised_shard_patches_of_the_given_studies() -> None:
    patches = finetune_patches(cases=finetune_cases(count=2), quick=True)
    assert patches.x.shape == (2 * len(QUICK_LEVELS) * 4, 3, 32, 32)
    assert patches.y.shape == (patches.x.shape[0], 1, 32, 32)
    np.testing.assert_allclose(np.unique(patches.level.numpy()), sorted(QUICK_LEVELS), rtol=1e-6)
    # Normalised by each input volume's activity scale: tissue values of order 1, not Bq/ml.
    assert 0.05 < float(patches.y.mean()) < 5.0
    x, y = next(patch_batches(patches=patches, batch=3, seed=0))
    assert x.shape == (3, 3, 32, 32) and y.shape == (3, 1, 32, 32)
    again, _ = next(patch_batches(patches=patches, batch=3, seed=0))
    assert torch.equal(x, again)


def test_the_v2_net_is_trained_once_then_loaded(tmp_path: Path) -> None:
    spec = V2NetSpec(studies=3, steps=2, width=4, depth=3, quick=True)
    assert v2_progress(work=tmp_path, spec=spec) == (0, 0)
    lines: list[str] = []
    model, timing = ensure_v2_net(work=tmp_path, spec=spec, log=lines.append)
    assert model.config.width == 4 and timing["steps"] == 2 and timing["from_step"] == 0
    assert v2_progress(work=tmp_path, spec=spec) == (3, 2)
    assert json.loads((tmp_path / "v2-net" / TIMING_NAME).read_text()) == timing
    count = len(lines)
    again, timing_again = ensure_v2_net(work=tmp_path, spec=spec, log=lines.append)
    assert len(lines) == count and timing_again == timing
    for name, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
