"""The training loss: squared error weighted towards local hot structure (lesions), so they are not averaged away.

Plain MSE over patches is dominated by the background: lesions cover well under 1 % of the body, and a network
that flattens them loses almost nothing (measured: −40 to −65 % ensemble lesion bias at 5–10 % counts). The
weight of each target voxel is

    w = 1 + λ · max(0, y − G_σ * y)          (y normalised: typical tissue ≈ 1; G_σ a Gaussian, σ in voxels)

so a voxel standing above its surroundings (a lesion at 4:1 in the liver: w ≈ 1 + 2.5 λ) counts more, while flat
regions keep weight 1. The loss is ``mean(w · (ŷ − y)²)``; λ = 0 gives plain MSE.

**Relative contrast** (optional): ``w = 1 + λ · max(0, y − G_σ * y) / max(G_σ * y, 0.25)``, the excess over the
surroundings as a fraction of them. With the absolute excess a 4:1 lesion in soft tissue (a background about a
third of the liver's) weighs a third of the same lesion in the liver, and the network trained that way flattens
soft-tissue lesions by a third even at full counts; relative, both weigh alike. The floor (a quarter of the
typical tissue) keeps air and lung edges from dominating.

**Count-level balance** (optional, exponent ``p`` in (0, 1]): each patch's loss is divided by its noisy input's
own squared error to the power ``p``, ``mean((x − y)²)^p``. With ``p = 1`` the loss is the error left relative to
the error the input had; ``p = 0.5`` goes half way (on a log scale) between that and the plain loss. Without it
the squared errors of the 0.5–1 % patches are tens of times those of the 50 % patches and decide what the network
learns: it smooths everything as the noisiest levels need, and erodes lesions even in a noise-free input (measured
on the first shipped network: −22 to −36 % lesion mean on the noise-free reconstruction).

**Lesion consistency** (optional, :func:`lesion_consistency`): with the shards' lesion labels, each lesion in a
patch (at least ``min_voxels`` of it on the centre slice) gives three regional statistics of the output and of the
target, at three scales: the lesion's mean, its peak (the largest 3×3-voxel mean inside it, about a 1 cm SUVpeak
at 3.5–4 mm voxels) and its maximum. The term is the mean over lesions of the summed squared relative errors.
A voxel-wise loss lets a lesion's few voxels be traded for the background's many; this term prices exactly what a
reader measures on a lesion (SUVmean, SUVpeak, SUVmax) and its sign does not cancel over a lesion.
"""

from __future__ import annotations

import math

import torch

__all__ = ["contrast_weights", "input_contrast_weights", "lesion_consistency", "weighted_mse"]

_RELATIVE_FLOOR = 0.25
"""Smallest surrounding activity (normalised units) a relative excess is divided by."""
_BALANCE_FLOOR = 1e-6
"""Smallest input error a patch is divided by (a noise-free input patch)."""


def _gaussian_kernel(*, sigma: float, device: torch.device) -> torch.Tensor:
    radius = max(1, math.ceil(3.0 * sigma))
    grid = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    kernel = torch.exp(-0.5 * (grid / sigma) ** 2)
    return kernel / kernel.sum()


def _blur(image: torch.Tensor, *, sigma: float) -> torch.Tensor:
    """``image (n, 1, h, w)`` convolved in-plane with a Gaussian of ``sigma`` voxels (edges replicated)."""
    kernel = _gaussian_kernel(sigma=sigma, device=image.device)
    size = kernel.numel()
    padded = torch.nn.functional.pad(image, (size // 2,) * 4, mode="replicate")
    blurred = torch.nn.functional.conv2d(padded, kernel.view(1, 1, 1, size))
    return torch.nn.functional.conv2d(blurred, kernel.view(1, 1, size, 1))


def contrast_weights(*, target: torch.Tensor, strength: float, sigma: float, relative: bool = False) -> torch.Tensor:
    """``w (n, 1, h, w)`` for ``target (n, 1, h, w)`` (module docstring; ``relative``: the excess over the
    surroundings as a fraction of them); all ones when ``strength`` is 0."""
    if strength == 0:
        return torch.ones_like(target)
    surround = _blur(target, sigma=sigma)
    excess = torch.clamp(target - surround, min=0.0)
    if relative:
        excess = excess / torch.clamp(surround, min=_RELATIVE_FLOOR)
    return 1.0 + strength * excess


def input_contrast_weights(*, inputs: torch.Tensor, strength: float, sigma: float) -> torch.Tensor:
    """:func:`contrast_weights` of the input's centre slice smoothed by σ = 1 voxel, for ``inputs (n, s, h, w)``.

    For Noise2Noise pairs, whose target is as noisy as the input: weights from the target would favour its noise
    spikes and bias the network upwards, while weights that depend on the input only leave the minimiser of the
    loss, E[target | input], unchanged; they only decide where the network's capacity and the gradient go.
    """
    centre = inputs[:, inputs.shape[1] // 2 :][:, :1]
    return contrast_weights(target=_blur(centre, sigma=1.0), strength=strength, sigma=sigma)


def weighted_mse(
    *,
    prediction: torch.Tensor,
    target: torch.Tensor,
    strength: float,
    sigma: float,
    noisy: torch.Tensor | None = None,
    relative: bool = False,
    balance: float = 1.0,
) -> torch.Tensor:
    """``mean(w · (prediction − target)²)`` with :func:`contrast_weights` of the target (no gradient through w;
    ``relative`` as there);
    with ``noisy`` (the input's centre slice, ``(n, 1, h, w)``) each patch's term is divided by its
    ``mean((noisy − target)²) ** balance`` (count-level balance, module docstring)."""
    with torch.no_grad():
        weights = contrast_weights(target=target, strength=strength, sigma=sigma, relative=relative)
    per_patch = torch.mean(weights * (prediction - target) ** 2, dim=(1, 2, 3))
    if noisy is None:
        return torch.mean(per_patch)
    with torch.no_grad():
        scale = torch.clamp(torch.mean((noisy - target) ** 2, dim=(1, 2, 3)), min=_BALANCE_FLOOR)
    return torch.mean(per_patch / scale**balance)


_LESION_FLOOR = 0.05
"""Smallest target statistic (normalised units) a lesion's error is divided by."""


def _masked_max(values: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """``values (n, 1, h, w)``, ``masks (n, L, h, w)`` bool → ``(n, L)`` maximum of each mask (−inf if empty)."""
    filled = torch.where(masks, values.expand_as(masks), torch.full_like(masks, -torch.inf, dtype=values.dtype))
    return filled.amax(dim=(2, 3))


def lesion_consistency(
    *, prediction: torch.Tensor, target: torch.Tensor, labels: torch.Tensor, min_voxels: int = 4
) -> torch.Tensor:
    """The lesion consistency term (module docstring) of ``prediction`` and ``target`` ``(n, 1, h, w)`` normalised
    intensities with ``labels (n, 1, h, w)`` integer lesion labels (0: none); 0 (with a gradient path) when no
    lesion in the batch has ``min_voxels``."""
    count = int(labels.max()) if labels.numel() else 0
    if count == 0:
        return prediction.sum() * 0.0
    numbers = torch.arange(1, count + 1, device=labels.device).view(1, count, 1, 1)
    masks = labels.to(torch.int64) == numbers  # (n, L, h, w)
    sizes = masks.sum(dim=(2, 3))
    valid = sizes >= min_voxels
    if not bool(valid.any()):
        return prediction.sum() * 0.0
    weights = masks.to(prediction.dtype)
    denominator = torch.clamp(sizes, min=1).to(prediction.dtype)
    errors = []
    pooled_target = torch.nn.functional.avg_pool2d(target, 3, stride=1, padding=1, count_include_pad=False)
    pooled_prediction = torch.nn.functional.avg_pool2d(prediction, 3, stride=1, padding=1, count_include_pad=False)
    with torch.no_grad():
        references = [
            (weights * target).sum(dim=(2, 3)) / denominator,
            _masked_max(pooled_target, masks),
            _masked_max(target, masks),
        ]
    estimates = [
        (weights * prediction).sum(dim=(2, 3)) / denominator,
        _masked_max(pooled_prediction, masks),
        _masked_max(prediction, masks),
    ]
    for estimate, reference in zip(estimates, references, strict=True):
        scale = torch.clamp(reference, min=_LESION_FLOOR)
        errors.append(((estimate - reference) / scale)[valid] ** 2)
    return torch.stack(errors).sum(dim=0).mean()
