"""The scorer's network, its weights on disk, and its two training stages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from imaging.errors import InputError
from models.iqa.bundle import INFO_NAME, STATE_NAME, load_scorer
from models.iqa.network import UNITS, IqaConfig, IqaNet
from models.iqa.training import PatchTable, StageSettings, fit_stage
from tests.models.iqa.builders import random_scorer


def test_shapes_and_size() -> None:
    net = IqaNet(IqaConfig()).eval()
    x = torch.rand(5, 1, 80, 80)
    assert net(x).shape == (5, 3) and net.count_level(x).shape == (5,)
    assert sum(p.numel() for p in net.parameters()) * 4 < 10 * 2**20


def test_frozen_and_trainable_units_split_the_backbone_60_40() -> None:
    net = IqaNet(IqaConfig(frozen_units=3))
    assert len(net.frozen_modules()) == 3 and len(net.trainable_modules()) == len(UNITS) - 3 + 1


def test_bundle_round_trip_and_tampered_weights_are_refused(tmp_path: Path) -> None:
    info = random_scorer(directory=tmp_path / "s")
    scorer = load_scorer(directory=tmp_path / "s")
    assert scorer.info.sha256 == info.sha256 and scorer.info.provenance()["calibration"] == info.calibration
    (tmp_path / "s" / STATE_NAME).write_bytes(b"not the weights")
    with pytest.raises(InputError) as caught:
        load_scorer(directory=tmp_path / "s")
    assert caught.value.check == "scorer_weights"
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / INFO_NAME).write_text(json.dumps({"format": "other"}))
    (tmp_path / "t" / STATE_NAME).write_bytes(b"x")
    with pytest.raises(InputError, match="format"):
        load_scorer(directory=tmp_path / "t")


def _table(rng: np.random.Generator) -> tuple[PatchTable, np.ndarray]:
    """Two images: smooth patches (level 1.0) and noisy ones (level 0.01)."""
    smooth = 1.0 + 0.05 * rng.normal(size=(64, 80, 80))
    noisy = 1.0 + 1.0 * rng.normal(size=(64, 80, 80))
    table = PatchTable(
        patches=np.concatenate([smooth, noisy]).clip(0).astype(np.float16),
        image=np.repeat([0, 1], 64),
        levels=np.asarray([1.0, 0.01]),
        q=np.zeros((2, 3)),
        patient=np.asarray(["a", "a"]),
        family=np.asarray(["torso", "torso"]),
    )
    return table, np.asarray([[3.0, 3.0, 2.5], [0.5, 1.0, 0.5]])


def test_the_pretext_stage_lowers_its_loss_and_the_score_stage_leaves_frozen_units_untouched() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    table, scores = _table(rng)
    net = IqaNet(IqaConfig(width=4))
    history = fit_stage(
        net=net,
        table=table,
        targets=np.log10(table.levels),
        settings=StageSettings(steps=60, batch=16, lr=3e-3, log_every=10),
        rng=rng,
        pretext=True,
        log=lambda _: None,
    )
    assert history[-1] < history[0]
    frozen = {k: v.clone() for k, v in net.state_dict().items() if k.split(".")[0] in UNITS[:3]}
    head = net.head.weight.detach().clone()
    fit_stage(
        net=net,
        table=table,
        targets=scores,
        settings=StageSettings(steps=20, batch=16, log_every=10),
        rng=rng,
        pretext=False,
        log=lambda _: None,
    )
    after = net.state_dict()
    assert all(torch.equal(after[k], v) for k, v in frozen.items())  # running statistics included
    assert not torch.equal(net.head.weight, head)
