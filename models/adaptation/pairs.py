"""Training pairs from the study in front of the network (no clean target exists there).

``split_batches``: two independent half-count reconstructions A and B of one acquisition (binomial thinning
of Poisson counts: their noise is independent). Each sample is A's slices ``z-1, z, z+1`` → B's slice ``z``, or
B → A (a fair coin), so the network learns E[B | A] = the noise-free image (Noise2Noise).

``subsample_batches`` (single series, an APPROXIMATION): Neighbor2Neighbor sub-sampling. Every 2×2 cell of a
slice gives two different random pixels, one to each of two half-size images g1, g2 (the three input slices use
g1's choice, the target slice g2's). In a reconstructed image neighbouring noise is correlated (the system
response and the post-filter spread it), so g1 and g2 are not independent: the pairs only approximate N2N.

Both normalise by one activity scale (:func:`imaging.intensity.activity_scale`) of the study, as inference
does, and draw patch centres inside the body, with a random dihedral transform; all randomness from ``rng``.

**Hot-structure sampling** (``hot_share``): that share of the centres is drawn with a probability proportional to
the hottest smoothed activity within a quarter patch of the centre (:func:`hot_weights`), the rest uniformly.
What a base network gets wrong on a study is mostly small and hot (a catheter, a hot bladder's rim, lesions); a
uniform draw seldom puts one in a patch, and the adaptation never sees it. The weights come from the mean of
the two splits, so they do not depend on which one is the target of a pair. Off by default: with the first
shipped weights as the base, on the catheter study of ``python -m bench.tgd.online_variants``, it gave a catheter
error of 25.1 % against 24.4 % with uniform patches (and 26.7 % with the input-weighted loss as well).

**OOD focus** (``focus``, :mod:`models.adaptation.focus`): where the splits disagree with the base network's
output by more than their noise explains, ``focus_share`` of the centres are drawn in proportion to the largest
excess within a quarter patch, and each target voxel weighs ``1 + focus_weight · excess`` in the loss.

Yields ``(x (b, 3, P, P), y (b, 1, P, P))`` float32 tensors, endlessly; split batches with a focus map yield
``(x, y, w (b, 1, P, P))``, ``w`` the per-voxel loss weights.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi
import torch

from imaging.errors import InputError
from imaging.intensity import activity_scale
from models.inference import neighbour_indices

__all__ = ["body_centres", "focus_draw_weights", "hot_weights", "split_batches", "subsample_batches"]

FloatArray = npt.NDArray[np.float32]
Batches = Iterator[tuple[torch.Tensor, torch.Tensor]]
WeightedBatches = Iterator[tuple[torch.Tensor, ...]]


def body_centres(*, voxels: FloatArray, patch: int) -> npt.NDArray[np.int64]:
    """``(m, 3)`` voxel indices ``(z, y, x)`` inside the body (smoothed > 0.1 × activity scale) where a
    ``patch``-square fits; InputError when the volume is smaller than a patch or has no such voxel."""
    _, ny, nx = voxels.shape
    if ny < patch or nx < patch:
        raise InputError(f"Argument 'patch' ({patch}) is larger than the {ny}×{nx} slices.", check="adapt_patch")
    body = ndi.gaussian_filter(voxels.astype(np.float64), 2.0) > 0.1 * activity_scale(voxels=voxels)
    low = patch // 2
    allowed = np.zeros_like(body)
    allowed[:, low : ny - patch + low + 1, low : nx - patch + low + 1] = True
    centres = np.argwhere(body & allowed)
    if len(centres) == 0:
        raise InputError("The series has no activity to adapt on.", check="adapt_body")
    return centres.astype(np.int64)


def hot_weights(
    *, voxels: npt.NDArray[np.floating], centres: npt.NDArray[np.int64], patch: int
) -> npt.NDArray[np.float64]:
    """Draw probabilities ``(m,)`` (sum 1) of ``centres`` ``(m, 3)`` in ``voxels`` ``(z, y, x)`` (any unit): each is
    the maximum, over ``patch // 4`` voxels in-plane around it, of ``voxels`` smoothed in-plane (σ = 1 voxel)
    and divided by the activity scale, clipped to [1, 50] (the body's typical tissue weighs 1)."""
    scale = activity_scale(voxels=voxels)
    smoothed = ndi.gaussian_filter(voxels.astype(np.float32), (0.0, 1.0, 1.0)) / np.float32(scale)
    reach = 2 * (patch // 4) + 1
    hottest = ndi.maximum_filter(smoothed, size=(1, reach, reach))
    weights = np.clip(hottest[tuple(centres.T)].astype(np.float64), 1.0, 50.0)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def focus_draw_weights(
    *, excess: npt.NDArray[np.floating], centres: npt.NDArray[np.int64], patch: int
) -> npt.NDArray[np.float64] | None:
    """Draw probabilities ``(m,)`` (sum 1) of ``centres`` ``(m, 3)``: the largest ``excess`` ``(z, y, x)`` within
    ``patch // 4`` voxels in-plane of each; None when no centre has any (nothing to focus on)."""
    reach = 2 * (patch // 4) + 1
    nearest = ndi.maximum_filter(excess.astype(np.float32), size=(1, reach, reach))[tuple(centres.T)]
    weights = nearest.astype(np.float64)
    total = float(weights.sum())
    return None if total <= 0.0 else weights / total


def _draw(
    *,
    centres: npt.NDArray[np.int64],
    hot: npt.NDArray[np.float64] | None,
    share: float,
    n: int,
    rng: np.random.Generator,
    fallback: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """``n`` rows of ``centres``: each from ``hot`` probabilities with chance ``share``, else from ``fallback``
    (``(n, 3)`` centres already drawn) or uniformly."""
    uniform = centres[rng.integers(len(centres), size=n)] if fallback is None else fallback
    if hot is None or share == 0.0:
        return uniform
    guided = centres[rng.choice(len(centres), size=n, p=hot)]
    return np.where((rng.random(n) < share)[:, None], guided, uniform)


def _dihedral(*, x: FloatArray, y: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """The same random rotation by quarter turns and flip of ``x`` and ``y`` (their last two axes)."""
    turns, flip = int(rng.integers(4)), bool(rng.integers(2))
    x, y = np.rot90(x, turns, axes=(-2, -1)), np.rot90(y, turns, axes=(-2, -1))
    if flip:
        x, y = x[..., ::-1], y[..., ::-1]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def _crop(*, image: FloatArray, y: int, x: int, patch: int) -> FloatArray:
    top, left = y - patch // 2, x - patch // 2
    return image[..., top : top + patch, left : left + patch]


def split_batches(
    *,
    a: FloatArray,
    b: FloatArray,
    patch: int,
    batch: int,
    rng: np.random.Generator,
    hot_share: float = 0.0,
    clean: FloatArray | None = None,
    focus: npt.NDArray[np.floating] | None = None,
    focus_share: float = 0.0,
    focus_weight: float = 0.0,
) -> WeightedBatches:
    """Endless N2N batches from half-count volumes ``a`` and ``b`` ``(z, y, x)`` of equal shape (module docstring);
    ``hot_share`` in [0, 1] of the centres come from :func:`hot_weights`.

    ``focus``: the excess map ``(z, y, x)`` of :func:`models.adaptation.focus.focus_excess`; then ``focus_share``
    in [0, 1] of the centres come from :func:`focus_draw_weights` (instead of the hot or uniform draw) and every
    batch carries the loss weights ``1 + focus_weight · excess`` as a third tensor.

    ``clean``: for experiments only, a noise-free volume of the same shape and unit whose slice replaces the other
    half as every pair's target (a supervised oracle: what the adaptation could reach without target noise).
    """
    if a.shape != b.shape or (clean is not None and clean.shape != a.shape):
        shapes = f"{a.shape} and {b.shape}" + ("" if clean is None else f" (clean: {clean.shape})")
        names = "'a' and 'b'" if clean is None else "'a', 'b' and 'clean'"
        raise InputError(f"Arguments {names} should have one shape, got {shapes}.", check="split")
    scale = np.float32(activity_scale(voxels=(a.astype(np.float64) + b) / 2.0))
    volumes = (a.astype(np.float32) / scale, b.astype(np.float32) / scale)
    truth = None if clean is None else clean.astype(np.float32) / scale
    centres = body_centres(voxels=a + b, patch=patch)
    hot = hot_weights(voxels=(a + b) / 2, centres=centres, patch=patch) if hot_share > 0 else None
    if focus is not None and focus.shape != a.shape:
        raise InputError(f"Argument 'focus' should have the splits' shape {a.shape}, got {focus.shape}.", check="split")
    weights = None if focus is None else (1.0 + focus_weight * focus.astype(np.float32)).astype(np.float32)
    focused = None if focus is None else focus_draw_weights(excess=focus, centres=centres, patch=patch)
    while True:
        xs, ys = [], []
        chosen = _draw(centres=centres, hot=hot, share=hot_share, n=batch, rng=rng)
        chosen = _draw(centres=centres, hot=focused, share=focus_share, n=batch, rng=rng, fallback=chosen)
        for z, yc, xc in chosen:
            source, target = volumes[::-1] if rng.integers(2) else volumes
            target = target if truth is None else truth
            stack = source[neighbour_indices(nz=a.shape[0], z=np.array([z]))[0]]
            planes = target[z][None] if weights is None else np.stack([target[z], weights[z]])
            x, y = _dihedral(
                x=_crop(image=stack, y=yc, x=xc, patch=patch), y=_crop(image=planes, y=yc, x=xc, patch=patch), rng=rng
            )
            xs.append(x)
            ys.append(y)
        targets = torch.from_numpy(np.stack(ys))
        if weights is None:
            yield torch.from_numpy(np.stack(xs)), targets
        else:
            yield torch.from_numpy(np.stack(xs)), targets[:, :1].contiguous(), targets[:, 1:].contiguous()


def _subsample_pair(*, stack: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """``stack (3, 2h, 2w)`` → g1 ``(3, h, w)`` and g2 ``(1, h, w)``: two different pixels of each 2×2 cell."""
    _, height, width = stack.shape
    h, w = height // 2, width // 2
    cells = stack[:, : 2 * h, : 2 * w].reshape(3, h, 2, w, 2).transpose(0, 1, 3, 2, 4).reshape(3, h, w, 4)
    first = rng.integers(4, size=(h, w))
    second = (first + rng.integers(1, 4, size=(h, w))) % 4
    rows, cols = np.indices((h, w))
    return cells[:, rows, cols, first], cells[1:2, rows, cols, second]


def subsample_batches(*, volume: FloatArray, patch: int, batch: int, rng: np.random.Generator) -> Batches:
    """Endless Neighbor2Neighbor batches from one volume ``(z, y, x)``: ``patch``-square sub-images of
    ``2·patch``-square crops (module docstring: an approximation)."""
    scale = np.float32(activity_scale(voxels=volume))
    normalised = volume.astype(np.float32) / scale
    centres = body_centres(voxels=volume, patch=2 * patch)
    while True:
        xs, ys = [], []
        for z, yc, xc in centres[rng.integers(len(centres), size=batch)]:
            stack = normalised[neighbour_indices(nz=volume.shape[0], z=np.array([z]))[0]]
            g1, g2 = _subsample_pair(stack=_crop(image=stack, y=yc, x=xc, patch=2 * patch), rng=rng)
            x, y = _dihedral(x=g1, y=g2, rng=rng)
            xs.append(x)
            ys.append(y)
        yield torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))
