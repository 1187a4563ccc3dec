"""The 2.5D DnCNN: layout of the TGD paper, shapes, residual output."""

from __future__ import annotations

import pytest
import torch

from models.dncnn import DnCNN, DnCNNConfig
from tests.models.factories import identity_dncnn


def test_layout_is_eight_convs_with_bn_between_first_and_last() -> None:
    model = DnCNN(config=DnCNNConfig(width=16))
    convs = list(model.convs)
    assert len(convs) == 8
    assert [c.in_channels for c in convs] == [3] + [16] * 7  # type: ignore[union-attr]
    assert [c.out_channels for c in convs] == [16] * 7 + [1]  # type: ignore[union-attr]
    assert all(c.kernel_size == (3, 3) for c in convs)  # type: ignore[union-attr]
    kinds = [type(norm).__name__ for norm in model.norms]
    assert kinds == ["Identity"] + ["BatchNorm2d"] * 6 + ["Identity"]


def test_output_keeps_the_spatial_size_of_any_input() -> None:
    model = DnCNN(config=DnCNNConfig(width=4)).eval()
    for h, w in ((17, 23), (64, 64)):
        assert model(torch.rand(2, 3, h, w)).shape == (2, 1, h, w)


def test_output_is_centre_slice_minus_predicted_noise() -> None:
    model = DnCNN(config=DnCNNConfig(width=4)).eval()
    x = torch.rand(3, 3, 12, 12)
    torch.testing.assert_close(model(x), x[:, 1:2] - model.noise(x))


def test_a_zero_last_layer_gives_the_centre_slice_exactly() -> None:
    model = identity_dncnn()
    x = torch.rand(2, 3, 9, 9)
    assert torch.equal(model(x), x[:, 1:2])


def test_noise_map_adds_one_input_channel_and_keeps_the_residual_output() -> None:
    model = DnCNN(config=DnCNNConfig(width=4, noise_map=True)).eval()
    assert model.convs[0].in_channels == 4  # type: ignore[union-attr]
    x = torch.rand(2, 3, 20, 17)
    out = model(x)
    assert out.shape == (2, 1, 20, 17)
    torch.testing.assert_close(out, x[:, 1:2] - model.noise(x))


def test_noise_map_changes_what_the_network_sees() -> None:
    torch.manual_seed(0)
    plain = DnCNN(config=DnCNNConfig(width=4, noise_map=True)).eval()
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        first = plain.convs[0]
        assert isinstance(first, torch.nn.Conv2d)
        before = plain.noise(x)
        first.weight[:, 3].add_(1.0)
        after = plain.noise(x)
    assert not torch.allclose(before, after)


@pytest.mark.parametrize("kwargs", [{"width": 0}, {"depth": 2}, {"slices": 2}])
def test_config_refuses_impossible_architectures(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="Arguments"):
        DnCNNConfig(**kwargs)
