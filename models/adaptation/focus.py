"""Where the base network is wrong on this study: the OOD focus of TGD-N2N's pairs (issue 22).

What per-study adaptation should fix is small: a catheter, a hot bladder's rim. Uniform patches seldom hold it,
and in a patch that does, its few voxels barely weigh in the mean squared error. The two half-count splits A and
B tell where the base network's output ``base`` (of the full-count image ``(A + B)/2``) disagrees with the data by
more than the noise explains:

* ``A + B − 2·base`` is twice the base's error against the data: its bias plus noise;
* ``A − B`` is pure noise of the same variance (independent halves), and the same spatial correlation.

Both are smoothed by one small Gaussian ``G`` (σ = 2 slices, 1.5 voxels in-plane, :data:`FOCUS_SIGMA`), so that a
bias consistent over a few voxels adds up while noise averages out, and the residual is divided by the local RMS
of the smoothed noise (``G_L``, σ = 2 slices, 4 voxels in-plane, :data:`NOISE_SIGMA`): a z-score
(:func:`disagreement`)

    z = G ∗ (A + B − 2·base)  /  sqrt(G_L ∗ (G ∗ (A − B))²).

The noise reference is the smoothed A − B itself, not the voxel variance carried through ``G``: reconstructed noise
is spatially correlated, and a white-noise formula overstates what smoothing removes (on the simulated torso at
10 % counts it flagged 30 % of the body; this form flags 0.1 %, as a z-score beyond 3 should). The *excess*
``clip(|z| − 3, 0, 10)`` (:func:`focus_excess`) marks the voxels to learn from:

* sampling (``focus_share``): that share of patch centres is drawn with probability proportional to the largest
  excess within a quarter patch of the centre (:func:`models.adaptation.pairs.split_batches`);
* weighting (``focus_weight`` μ): each target voxel's squared error weighs ``1 + μ·excess``.

``|z|`` is symmetric in A and B, so it does not depend on which split is a pair's target. ``base`` is the base
network's own output, one pass per slice (:func:`base_output`); the map costs one volume through the network.
What it cannot see: a bias smaller than the local noise over the filter's reach (the simulated catheter at 10 %
counts, a 1–2 voxel line whose −21 % bias gives a mean z of 0.6 there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.intensity import activity_scale, body_mask
from models.dncnn import DnCNN
from models.engines import TorchEngine
from models.inference import denoise_volume
from models.pruning import prune_idle

__all__ = [
    "FOCUS_CAP",
    "FOCUS_MARGIN",
    "FOCUS_SIGMA",
    "NOISE_SIGMA",
    "Focus",
    "base_output",
    "disagreement",
    "focus_excess",
]

FloatArray = npt.NDArray[np.float32]

FOCUS_SIGMA = (2.0, 1.5, 1.5)
"""σ (slices, rows, columns; voxels) of the smoothing ``G`` of the residual and the noise in :func:`disagreement`."""
NOISE_SIGMA = (2.0, 4.0, 4.0)
"""σ (slices, rows, columns; voxels) of ``G_L``, the local mean of the smoothed noise's square."""
FOCUS_MARGIN = 3.0
"""The |z| the noise may still explain, not counted."""
FOCUS_CAP = 10.0
"""Largest excess: one outlier region must not take every patch or every unit of weight."""


@dataclass(frozen=True, kw_only=True)
class Focus:
    """The excess map of one study and what it covers.

    Attributes:
        excess: ``(z, y, x)`` float32 in [0, FOCUS_CAP], dimensionless.
        body_share: share of the body's voxels (:func:`imaging.intensity.body_mask`) with a positive excess.
    """

    excess: FloatArray
    body_share: float

    def summary(self) -> dict[str, Any]:
        """The ``adaptation.focus`` section of result.json."""
        return {
            "flagged_body_pct": round(100.0 * self.body_share, 3),
            "max_excess": round(float(self.excess.max()), 3),
            "sigma_voxels": list(FOCUS_SIGMA),
            "noise_sigma_voxels": list(NOISE_SIGMA),
            "margin": FOCUS_MARGIN,
            "cap": FOCUS_CAP,
        }


def disagreement(*, a: FloatArray, b: FloatArray, base: FloatArray) -> FloatArray:
    """The z-score ``z`` (module docstring) of half-count volumes ``a``, ``b`` and the base output ``base``, all
    ``(z, y, x)`` in one unit (Bq/ml); signed (positive: the data above the base), float32. Where the noise
    vanishes (outside the body) z is 0."""
    if not a.shape == b.shape == base.shape:
        raise ValueError(f"Arguments 'a', 'b', 'base' should have one shape, got {a.shape}, {b.shape}, {base.shape}.")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    residual = ndi.gaussian_filter(a64 + b64 - 2.0 * base, FOCUS_SIGMA)
    noise = ndi.gaussian_filter(a64 - b64, FOCUS_SIGMA)
    floor = (1e-6 * float(activity_scale(voxels=(a64 + b64) / 2.0))) ** 2
    return np.asarray(residual / np.sqrt(ndi.gaussian_filter(noise * noise, NOISE_SIGMA) + floor), dtype=np.float32)


def focus_excess(*, a: FloatArray, b: FloatArray, base: FloatArray) -> Focus:
    """The excess ``clip(|z| − FOCUS_MARGIN, 0, FOCUS_CAP)`` of :func:`disagreement` and its body share."""
    excess = np.clip(np.abs(disagreement(a=a, b=b, base=base)) - FOCUS_MARGIN, 0.0, FOCUS_CAP).astype(np.float32)
    body = body_mask(voxels=(a.astype(np.float64) + b) / 2.0)
    share = float((excess[body] > 0).mean()) if body.any() else 0.0
    return Focus(excess=excess, body_share=share)


def base_output(*, model: DnCNN, a: FloatArray, b: FloatArray) -> FloatArray:
    """The base network's output ``(z, y, x)`` float32 (Bq/ml) for the full-count image ``(a + b)/2``: one pass per
    slice on ``model``'s device, through the pruned copy of a sparse network (the same output, fewer channels)."""
    device = next(model.parameters()).device
    network = model if model.config.widths is not None else prune_idle(model=model)
    engine = TorchEngine(network.to(device).eval(), device)
    full = ((a.astype(np.float32) + b.astype(np.float32)) / np.float32(2.0)).astype(np.float32)
    return denoise_volume(voxels=full, engine=engine, ensemble=1).voxels
