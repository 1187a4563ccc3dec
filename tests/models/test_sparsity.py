"""Channel sparsity: the proximal group step zeroes whole channel groups, which then change nothing downstream."""

from __future__ import annotations

import torch

from models.training.sparsity import (
    SparsityState,
    channel_group_norms,
    idle_channels,
    proximal_step,
    zero_channels,
)
from tests.models.factories import random_dncnn


def _input(seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((2, 3, 20, 20), generator=generator) + 0.5


def test_a_zeroed_group_is_idle_and_changes_no_output() -> None:
    model = random_dncnn(width=8, seed=1)
    channels = [torch.zeros(8, dtype=torch.bool) for _ in range(7)]
    channels[2][3] = True
    zero_channels(model=model, channels=channels)
    idle = idle_channels(model=model)
    assert [int(mask.sum()) for mask in idle] == [0, 0, 1, 0, 0, 0, 0] and bool(idle[2][3])
    before = model(_input())
    with torch.no_grad():  # the dead channel's BN statistics and neighbours' weights into it do not matter
        model.norms[2].running_mean[3] = 5.0  # type: ignore[index]
        model.convs[2].weight[3] = 0.0
    assert torch.equal(model(_input()), before)


def test_the_proximal_step_shrinks_every_group_by_the_same_threshold_and_zeroes_the_weak() -> None:
    model = random_dncnn(width=8, seed=2)
    norms = channel_group_norms(model=model)
    with torch.no_grad():
        model.norms[3].weight[5] = 0.0
        model.norms[3].bias[5] = 0.0
        model.convs[3].weight[5] *= 1e-4
        model.convs[4].weight[:, 5] *= 1e-4
    weak = channel_group_norms(model=model)[3][5]
    assert 0 < float(weak) < 0.01
    proximal_step(model=model, threshold=2 * float(weak) / 146**0.5)  # width 8: a layer-3 group has 8·9·2 + 2
    after = channel_group_norms(model=model)
    assert float(after[3][5]) == 0.0
    strong = norms[1]
    assert torch.all(after[1] < strong) and torch.all(after[1] > 0.9 * strong)


def test_no_layer_is_emptied_past_its_cap() -> None:
    model = random_dncnn(width=8, seed=3)
    proximal_step(model=model, threshold=1e3, max_layer_idle=0.75)
    idle = idle_channels(model=model)
    assert all(int(mask.sum()) == 6 for mask in idle)  # int(0.75 · 8)
    proximal_step(model=model, threshold=1e3, max_layer_idle=0.75)
    assert all(int(mask.sum()) == 6 for mask in idle_channels(model=model))
    assert torch.isfinite(model(_input())).all()


def test_the_schedule_state_round_trips_through_json() -> None:
    state = SparsityState(pinned=[torch.tensor([True, False]), torch.tensor([False, False])], pinned_at=120)
    again = SparsityState.from_json(state.to_json())
    assert again.pinned_at == 120 and again.pinned is not None
    assert [mask.tolist() for mask in again.pinned] == [[True, False], [False, False]]
    assert SparsityState.from_json({}).pinned is None


def test_a_selective_step_shrinks_only_the_chosen_channels() -> None:
    from models.training.sparsity import select_channels

    model = random_dncnn(width=8, seed=4)
    chosen = select_channels(model=model, share=0.5)
    assert [int(mask.sum()) for mask in chosen] == [4] * 7
    before = channel_group_norms(model=model)
    proximal_step(model=model, threshold=1.0, only=chosen)
    after = channel_group_norms(model=model)
    for layer in range(7):
        assert torch.all(after[layer][chosen[layer]] == 0)
        assert torch.equal(after[layer][~chosen[layer]] > 0, torch.ones(4, dtype=torch.bool))
    assert float(after[0][~chosen[0]].sum()) <= float(before[0][~chosen[0]].sum())  # consumers of dead ones shrink
