"""The model observer that stands in for clinicians on simulated studies (no clinician labels exist here).

For one reconstructed image ``g`` of a simulated patient with noise-free reconstruction ``ḡ`` (same protocol)
and truth ``f`` (the phantom), all ``(z, y, x)`` Bq/ml, with noise ``n = g − ḡ``:

- **noise**: ``cov = std(n) / mean(ḡ)`` over the reference tissue (torso: liver; brain: white matter; eroded by
  one voxel);
- **noise correlation**: ``N_c = Σ_k ρ(k)`` over lags ``|k_i| ≤ 3`` voxels, ``ρ`` the autocorrelation of ``n``
  inside the body normalised by the mask's own overlap (``N_c = 1`` for white noise): the number of voxels one
  independent noise sample spans;
- **resolution**: ``rec`` = the contrast recovery of ``ḡ`` against ``f`` (torso: lesions against their
  background ring, mean over lesions; brain: grey against white matter);
- **detectability** of each pathology finding (torso: each lesion against a background ring 1–3 voxels outside
  it; brain: the hypometabolic cortex against its reference region of normal cortex): a non-prewhitening
  matched filter with the template ``w = 1_R/|R| − 1_B/|B|``, ``d' = |wᵀḡ| / (σ √(N_c Σw²))`` with ``σ`` the
  noise std in the finding's host tissue — the NPW SNR under noise of correlation volume ``N_c``.

The three quality indices (larger is better), observer version 2, are::

    q_GQR = log10(rec / cov)                        noise and resolution
    q_PR  = (log10(median d') + q_GQR) / 2          the typical finding's conspicuity, and the image overall
    q_DC  = (log10(min d') + 2 q_GQR) / 3           the least conspicuous finding, and the image overall

Version 1 used ``q_PR = log10(median d')`` and ``q_DC = (log10(min d') + q_GQR) / 2``: a scorer that sees the
image through 80×80 patches could not follow those (held-out PR MAE 0.61: the patches of a series rarely show
its lesions, and the lesions' contrast and size vary from patient to patient far more than the noise does).
Version 2 keeps each patient's own findings in PR and DC but weighs the image's overall quality in, as a reader's
recognition and confidence depend on both; the model card gives both versions' figures.

:mod:`models.iqa.labels` maps them monotonically to the 0–3 scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.errors import InputError
from imaging.simulation.phantom import Phantom, PhantomKind

__all__ = [
    "CORRELATION_RADIUS",
    "Finding",
    "ObserverIndices",
    "correlation_volume",
    "findings",
    "observe",
    "quality_indices",
]

CORRELATION_RADIUS = 3
"""Largest lag (voxels, per axis) summed into the correlation volume."""

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.floating]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One pathology finding: its region, the background it is compared with and the host tissue of its noise."""

    name: str
    region: BoolArray
    background: BoolArray
    host: BoolArray


@dataclass(frozen=True, kw_only=True)
class ObserverIndices:
    """What the observer measured on one image (module docstring); ``q`` is ``(q_GQR, q_PR, q_DC)``."""

    noise_cov: float
    correlation_voxels: float
    recovery: float
    detectability: tuple[float, ...]

    @property
    def q(self) -> tuple[float, float, float]:
        """The quality indices ``(q_GQR, q_PR, q_DC)``."""
        d = np.asarray(self.detectability)
        return quality_indices(
            noise_cov=self.noise_cov, recovery=self.recovery, d_median=float(np.median(d)), d_min=float(d.min())
        )


def quality_indices(*, noise_cov: float, recovery: float, d_median: float, d_min: float) -> tuple[float, float, float]:
    """``(q_GQR, q_PR, q_DC)`` from the observer's measurements (module docstring, version 2)."""
    q_gqr = float(np.log10(max(recovery, 1e-3) / max(noise_cov, 1e-6)))
    log_median, log_min = (float(np.log10(max(d, 1e-3))) for d in (d_median, d_min))
    return q_gqr, (log_median + q_gqr) / 2, (log_min + 2 * q_gqr) / 3


def correlation_volume(*, noise: FloatArray, mask: BoolArray, radius: int = CORRELATION_RADIUS) -> float:
    """``N_c``: the noise autocorrelation inside ``mask`` summed over lags up to ``radius`` voxels (≥ 1)."""
    field = np.where(mask, noise - noise[mask].mean(), 0.0)
    shape = [n + 2 * radius for n in field.shape]
    axes = (0, 1, 2)
    power = np.fft.irfftn(np.abs(np.fft.rfftn(field, s=shape, axes=axes)) ** 2, s=shape, axes=axes)
    overlap = np.fft.irfftn(np.abs(np.fft.rfftn(mask.astype(np.float64), s=shape, axes=axes)) ** 2, s=shape, axes=axes)
    lags = np.ix_(*[np.r_[0 : radius + 1, -radius:0] for _ in shape])
    auto = power[lags] / np.maximum(overlap[lags], 1.0)
    return float(max(1.0, auto.sum() / auto[0, 0, 0]))


def _torso_findings(*, phantom: Phantom) -> list[Finding]:
    lesions = np.zeros(phantom.activity.shape, dtype=bool)
    for name in (key for key in phantom.masks if key.startswith("lesion:")):
        lesions |= phantom.masks[name]
    hosts = phantom.extras.get("lesion_hosts", {})
    result = []
    for lesion in phantom.lesions:
        region = phantom.masks[f"lesion:{lesion.name}"]
        ring = ndi.binary_dilation(region, iterations=3) & ~ndi.binary_dilation(region, iterations=1)
        host = phantom.masks.get(str(hosts.get(lesion.name, "body")) if isinstance(hosts, dict) else "body")
        host_mask = (host if host is not None else phantom.masks["body"]) & ~ndi.binary_dilation(lesions)
        result.append(
            Finding(name=lesion.name, region=region, background=ring & ~lesions & phantom.masks["body"], host=host_mask)
        )
    return [finding for finding in result if finding.region.any() and finding.background.any() and finding.host.any()]


def findings(*, phantom: Phantom) -> list[Finding]:
    """The pathology findings of a simulated patient (torso lesions, the brain's hypometabolism).

    Raises:
        InputError: the phantom has no finding (a NEMA phantom, a normal brain) (check ``observer_findings``).
    """
    if phantom.kind is PhantomKind.TORSO:
        found = _torso_findings(phantom=phantom)
    elif phantom.kind is PhantomKind.BRAIN and "hypo" in phantom.masks:
        gm = phantom.masks["gm"]
        found = [
            Finding(
                name="hypometabolism",
                region=phantom.masks["hypo"] & gm,
                background=phantom.masks["hypo_ref"] & gm,
                host=gm,
            )
        ]
    else:
        found = []
    if not found:
        raise InputError(
            f"Argument 'phantom' should hold a pathology finding (torso lesions or a brain hypometabolism pattern); "
            f"got a {phantom.kind} phantom, variant {phantom.variant!r}.",
            check="observer_findings",
        )
    return found


def _recovery(*, phantom: Phantom, reference: FloatArray, found: list[Finding]) -> float:
    if phantom.kind is PhantomKind.BRAIN:
        pairs = [(phantom.masks["gm"], phantom.masks["wm"])]
    else:
        pairs = [(finding.region, finding.background) for finding in found]
    ratios = []
    for hot, cold in pairs:
        true = float(phantom.activity[hot].mean() - phantom.activity[cold].mean())
        if abs(true) > 0:
            ratios.append(float(reference[hot].mean() - reference[cold].mean()) / true)
    return float(np.mean(ratios)) if ratios else 1.0


def _tissue(phantom: Phantom) -> BoolArray:
    name = "wm" if phantom.kind is PhantomKind.BRAIN else "liver"
    tissue = ndi.binary_erosion(phantom.masks[name])
    return tissue if tissue.any() else phantom.masks[name]


def observe(*, image: FloatArray, reference: FloatArray, phantom: Phantom) -> ObserverIndices:
    """The observer's measurements on ``image`` (``(z, y, x)`` Bq/ml) of ``phantom`` reconstructed noise-free as
    ``reference`` (module docstring).

    Raises:
        InputError: the shapes differ, or the phantom has no finding.
    """
    if image.shape != reference.shape or image.shape != phantom.activity.shape:
        raise InputError(
            f"Arguments 'image' {image.shape}, 'reference' {reference.shape} and the phantom "
            f"{phantom.activity.shape} should have the same shape.",
            check="observer_shape",
        )
    found = findings(phantom=phantom)
    noise = np.asarray(image, dtype=np.float64) - reference
    tissue = _tissue(phantom)
    cov = float(noise[tissue].std() / max(float(reference[tissue].mean()), 1e-12))
    n_c = correlation_volume(noise=noise, mask=phantom.masks["body"])
    scores = []
    for finding in found:
        signal = abs(float(reference[finding.region].mean() - reference[finding.background].mean()))
        spread = float(noise[finding.host].std()) * np.sqrt(
            n_c * (1.0 / finding.region.sum() + 1.0 / finding.background.sum())
        )
        scores.append(signal / max(spread, 1e-12))
    return ObserverIndices(
        noise_cov=cov,
        correlation_voxels=n_c,
        recovery=_recovery(phantom=phantom, reference=reference, found=found),
        detectability=tuple(scores),
    )
