"""Kernel Sparsity and Entropy (KSE) of a conv layer's input channels (Li et al., CVPR 2019; DESIGN.md §4).

For a conv weight ``W (n, c, kh, kw)`` and each input channel ``c``:

* sparsity ``s_c = Σ_n ‖W[n, c]‖₁``;
* density entropy: the ``N`` kernels ``W[:, c]`` flattened to ``(N, kh·kw)`` vectors; ``dm_n`` = sum of the
  Euclidean distances from kernel ``n`` to its ``k`` nearest other kernels (``k`` capped at ``N − 1``);
  ``p_n = dm_n / Σ dm``; ``e_c = −Σ_n p_n log₂ p_n``;
* ``s`` and ``e`` are min-max normalised over the layer's channels; ``KSE_c = sqrt(s_c / (1 + α e_c))`` ∈ [0, 1].

The kernels of channel ``c`` are ``W[:, c]``: the weight is transposed to ``(c, n, kh, kw)`` before flattening.
(The public reference code reshapes ``(n, c, kh, kw)`` straight to ``(c, n·kh·kw)``, which mixes the kernels of
different channels; the tests show that grouping gives other scores.)

Guards (ε = 1e-12, computed in float64):

* ``p = dm / (Σ dm + ε)`` and ``0 · log 0 = 0``: a channel whose kernels all coincide (``Σ dm = 0``), or a layer
  with a single output kernel (``N = 1``, no neighbours), has entropy 0;
* a vector whose span is at most ε times its largest magnitude (constant, or all zero) normalises to 0, so the
  scores do not change when the weight is scaled;
* a layer with ONE input channel has nothing to rank it against: its KSE is defined as 1 (the layer's only path,
  kept as most important, so targeted gradient descent never retrains it for any φ ≤ 1).
"""

from __future__ import annotations

import math

import torch

__all__ = ["EPS", "channel_kernels", "kse_of_channel_kernels", "kse_scores"]

EPS = 1e-12
"""The ε of the divisions and of the min-max normalisation's constant-vector test."""


def channel_kernels(*, weight: torch.Tensor) -> torch.Tensor:
    """The kernels of each input channel: ``(n, c, kh, kw)`` conv weight → ``(c, n, kh·kw)`` float64."""
    if weight.ndim != 4:
        raise ValueError(f"Argument 'weight' should be a (n, c, kh, kw) conv weight, got shape {tuple(weight.shape)}.")
    n, c, kh, kw = weight.shape
    return weight.detach().to(torch.float64).transpose(0, 1).reshape(c, n, kh * kw)


def _min_max(values: torch.Tensor) -> torch.Tensor:
    """``values (c,)`` mapped linearly onto [0, 1]; all zeros when the span is ≤ ε × the largest magnitude."""
    low, high = values.min(), values.max()
    if float(high - low) <= EPS * float(values.abs().max()):
        return torch.zeros_like(values)
    return (values - low) / (high - low)


def _density_entropy(*, kernels: torch.Tensor, k: int) -> torch.Tensor:
    """``kernels (c, N, d)`` → ``(c,)`` base-2 entropy of the k-NN distance sums of each channel's N kernels."""
    count = kernels.shape[1]
    neighbours = min(k, count - 1)
    if neighbours == 0:
        return torch.zeros(kernels.shape[0], dtype=kernels.dtype, device=kernels.device)
    distances = torch.cdist(kernels, kernels)  # (c, N, N)
    self_excluded = distances + torch.diag(torch.full((count,), torch.inf, dtype=kernels.dtype, device=kernels.device))
    dm = torch.topk(self_excluded, neighbours, dim=-1, largest=False).values.sum(dim=-1)  # (c, N)
    p = dm / (dm.sum(dim=-1, keepdim=True) + EPS)
    plogp: torch.Tensor = torch.special.xlogy(p, p)  # 0 where p = 0
    return -plogp.sum(dim=-1) / math.log(2.0)


def kse_of_channel_kernels(*, kernels: torch.Tensor, k: int = 5, alpha: float = 1.0) -> torch.Tensor:
    """KSE of each group of kernels: ``kernels (c, N, d)`` (group ``c`` = input channel ``c``) → ``(c,)`` float64.

    ``k`` nearest neighbours (≥ 1, capped at ``N − 1``), ``alpha`` ≥ 0 the entropy weight (module docstring).
    """
    if kernels.ndim != 3 or kernels.shape[0] < 1 or kernels.shape[1] < 1:
        raise ValueError(f"Argument 'kernels' should be a non-empty (c, N, d) tensor, got {tuple(kernels.shape)}.")
    if k < 1:
        raise ValueError(f"Argument 'k' should be at least 1, got {k}.")
    if alpha < 0:
        raise ValueError(f"Argument 'alpha' should be non-negative, got {alpha}.")
    kernels = kernels.to(torch.float64)
    if kernels.shape[0] == 1:
        return torch.ones(1, dtype=torch.float64, device=kernels.device)
    sparsity = _min_max(kernels.abs().sum(dim=(1, 2)))
    entropy = _min_max(_density_entropy(kernels=kernels, k=k))
    return torch.sqrt(sparsity / (1.0 + alpha * entropy))


def kse_scores(*, weight: torch.Tensor, k: int = 5, alpha: float = 1.0) -> torch.Tensor:
    """KSE of the input channels of a conv layer: ``weight (n, c, kh, kw)`` → ``(c,)`` float64 in [0, 1].

    High KSE = an important input channel; on the same device as ``weight``; no gradient.
    """
    return kse_of_channel_kernels(kernels=channel_kernels(weight=weight), k=k, alpha=alpha)
