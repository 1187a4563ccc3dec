"""KSE against a brute-force per-channel loop; the reference code's reshape grouping gives other scores."""

from __future__ import annotations

import math

import pytest
import torch

from models.kse import EPS, channel_kernels, kse_of_channel_kernels, kse_scores


def _normalise(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low <= EPS * max(abs(v) for v in values):
        return [0.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def brute_force_kse(weight: torch.Tensor, k: int, alpha: float) -> list[float]:
    """DESIGN.md §4 spelled out with explicit loops over input channels c and output kernels n."""
    w = weight.double().tolist()
    n_out, n_in = len(w), len(w[0])
    if n_in == 1:
        return [1.0]
    sparsity, entropy = [], []
    for c in range(n_in):
        sparsity.append(sum(abs(v) for n in range(n_out) for row in w[n][c] for v in row))
        vectors = [[v for row in w[n][c] for v in row] for n in range(n_out)]
        dm = []
        for n in range(n_out):
            distances = sorted(math.dist(vectors[n], vectors[m]) for m in range(n_out) if m != n)  # self excluded
            dm.append(sum(distances[: min(k, n_out - 1)]))
        total = sum(dm)
        p = [d / (total + EPS) for d in dm]
        entropy.append(-sum(q * math.log2(q) for q in p if q > 0))
    s, e = _normalise(sparsity), _normalise(entropy)
    return [math.sqrt(s[c] / (1 + alpha * e[c])) for c in range(n_in)]


@pytest.mark.parametrize(
    ("shape", "k", "alpha"),
    [((12, 7, 3, 3), 5, 1.0), ((4, 6, 3, 3), 5, 1.0), ((9, 5, 3, 3), 2, 0.5), ((1, 6, 3, 3), 5, 1.0)],
)
def test_kse_equals_the_brute_force_definition(shape: tuple[int, int, int, int], k: int, alpha: float) -> None:
    weight = torch.randn(shape, generator=torch.Generator().manual_seed(sum(shape) + k))
    expected = torch.tensor(brute_force_kse(weight, k, alpha), dtype=torch.float64)
    torch.testing.assert_close(kse_scores(weight=weight, k=k, alpha=alpha), expected, rtol=1e-10, atol=1e-12)


def test_the_reference_codes_reshape_grouping_gives_different_scores() -> None:
    weight = torch.randn((16, 8, 3, 3), generator=torch.Generator().manual_seed(3))
    n, c, kh, kw = weight.shape
    wrong = kse_of_channel_kernels(kernels=weight.double().reshape(c, n, kh * kw))
    right = torch.tensor(brute_force_kse(weight, 5, 1.0), dtype=torch.float64)
    assert float((wrong - right).abs().max()) > 0.05
    torch.testing.assert_close(kse_scores(weight=weight), right, rtol=1e-10, atol=1e-12)


def test_channel_kernels_groups_the_kernels_of_each_input_channel() -> None:
    weight = torch.randn((5, 4, 3, 3), generator=torch.Generator().manual_seed(4))
    kernels = channel_kernels(weight=weight)
    assert kernels.shape == (4, 5, 9) and kernels.dtype == torch.float64
    for c in range(4):
        for n in range(5):
            assert torch.equal(kernels[c, n], weight[n, c].double().flatten())


def test_scores_lie_in_unit_interval_with_the_sparsest_channel_at_zero() -> None:
    weight = torch.randn((16, 10, 3, 3), generator=torch.Generator().manual_seed(5))
    weight[:, 6] *= 0.01
    scores = kse_scores(weight=weight)
    assert scores.shape == (10,) and scores.dtype == torch.float64
    assert bool((scores >= 0).all()) and bool((scores <= 1).all())
    assert int(scores.argmin()) == 6 and float(scores[6]) == 0.0


def test_scores_follow_channel_order_and_ignore_kernel_order_and_scale() -> None:
    weight = torch.randn((12, 9, 3, 3), generator=torch.Generator().manual_seed(6))
    scores = kse_scores(weight=weight)
    channel_order = torch.randperm(9, generator=torch.Generator().manual_seed(1))
    kernel_order = torch.randperm(12, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(kse_scores(weight=weight[:, channel_order]), scores[channel_order])
    torch.testing.assert_close(kse_scores(weight=weight[kernel_order]), scores)
    torch.testing.assert_close(kse_scores(weight=weight * 37.5), scores)


def test_the_entropy_term_ranks_evenly_spread_kernels_below_an_outlier_channel() -> None:
    # Equal L1 norms (8) in channels 0 and 1: channel 0's kernels are 8 one-hot vectors, all √2 apart (uniform
    # k-NN distances: entropy log2 8, the most possible); channel 1 has 7 zero kernels and one outlier (all the
    # distance mass on one kernel: entropy 0). Channel 2 is small and random.
    weight = torch.zeros((8, 3, 3, 3))
    weight[:, 0] = torch.eye(9)[:8].reshape(8, 3, 3)
    weight[0, 1, 1, 1] = 8.0
    weight[:, 2] = 0.05 * torch.randn((8, 3, 3), generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(kse_scores(weight=weight, alpha=0.0)[:2], torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(
        kse_scores(weight=weight, alpha=1.0)[:2], torch.tensor([math.sqrt(0.5), 1.0], dtype=torch.float64)
    )


def test_degenerate_layers() -> None:
    assert kse_scores(weight=torch.randn(7, 1, 3, 3)).tolist() == [1.0]
    identical = torch.randn(1, 1, 3, 3).expand(6, 4, 3, 3)
    assert kse_scores(weight=identical).tolist() == [0.0] * 4
    assert kse_scores(weight=torch.zeros(6, 4, 3, 3)).tolist() == [0.0] * 4


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"weight": torch.zeros(4, 3, 3)}, "weight"),
        ({"weight": torch.zeros(4, 3, 3, 3), "k": 0}, "k"),
        ({"weight": torch.zeros(4, 3, 3, 3), "alpha": -1.0}, "alpha"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=f"Argument '{argument}'"):
        kse_scores(**kwargs)  # type: ignore[arg-type]
