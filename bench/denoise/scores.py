"""The figures of the denoising quality benchmark for one method on R realisations of one phantom at one level.

All against the noise-free reconstruction ``reference`` (same protocol, same post-filter), so that a figure
measures what noise and denoising do, not the scanner's partial-volume loss:

- PSNR and SSIM (:mod:`imaging.metrics.fidelity`) inside the phantom's ``body`` mask, per realisation, with the
  data range ``L = max − min`` of the reference inside the body; SSIM with its 3D Gaussian window (σ = 1.5 voxels);
- ensemble lesion bias (%) of every ``lesion:<name>`` mask and ensemble voxel CoV (%) of the ``liver`` mask
  (:mod:`imaging.metrics.ensemble`, TGD paper Eq. 10–11; need R ≥ 2), the bias against the reference, with its
  standard error over realisations (a small lesion's ROI mean is noisy: at low counts and small R the error of
  the input's own bias can exceed a 5 % limit);
- NEMA NU 2 contrast recovery and background variability per sphere (:mod:`imaging.metrics.nema`) of each
  realisation, averaged over realisations (NEMA phantoms only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.metrics import ensemble_lesion_bias, ensemble_voxel_cov, nema_image_quality, psnr, ssim
from imaging.simulation.phantom import Lesion, Phantom, PhantomKind

__all__ = ["Scores", "SphereFigures", "lesion_biases", "liver_cov", "nema_figures", "score_images"]

FloatArray = npt.NDArray[np.float32]
FloatArray64 = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class SphereFigures:
    """NEMA figures of one sphere, means over realisations.

    Attributes:
        diameter_mm: inner sphere diameter.
        contrast_recovery_pct: ``Q_H``, percent.
        background_variability_pct: ``N``, percent.
        contrast_recovery_se_pct: standard error of the mean ``Q_H`` over the realisations, percentage points
            (None below 2 realisations).
    """

    diameter_mm: float
    contrast_recovery_pct: float
    background_variability_pct: float
    contrast_recovery_se_pct: float | None = None


@dataclass(frozen=True, kw_only=True)
class Scores:
    """Figures of one method (module docstring); a figure not computed is empty or None.

    Attributes:
        psnr_db: PSNR of each realisation, dB.
        ssim: SSIM of each realisation.
        lesion_bias_pct: lesion name → ensemble bias, percent.
        lesion_bias_se_pct: lesion name → standard error of that bias over the R realisations, percent.
        liver_cov_pct: ensemble voxel CoV in the liver, percent.
        nema: one entry per NEMA sphere, smallest first.
    """

    psnr_db: tuple[float, ...]
    ssim: tuple[float, ...] = ()
    lesion_bias_pct: dict[str, float] = field(default_factory=dict)
    lesion_bias_se_pct: dict[str, float] = field(default_factory=dict)
    liver_cov_pct: float | None = None
    nema: tuple[SphereFigures, ...] = ()

    @property
    def mean_psnr_db(self) -> float:
        """Mean PSNR over realisations, dB."""
        return float(np.mean(self.psnr_db))


def _check_stack(images: FloatArray, reference: FloatArray) -> None:
    if images.ndim != 4 or images.shape[1:] != reference.shape:
        raise ValueError(
            f"Argument 'images' should be (R, z, y, x) with (z, y, x) = the reference's {reference.shape}, "
            f"got {images.shape}."
        )


def lesion_biases(
    *, images: FloatArray, reference: FloatArray, phantom: Phantom
) -> tuple[dict[str, float], dict[str, float]]:
    """Ensemble bias (%) of each lesion of ``phantom`` over ``images`` ``(R, z, y, x)``, R ≥ 2, vs ``reference``,
    and its standard error: ``SD_r(b_r) / √R`` of the single-realisation biases ``b_r``, whose mean it is."""
    _check_stack(images, reference)
    biases, errors = {}, {}
    for lesion in phantom.lesions:
        mask = phantom.masks[f"lesion:{lesion.name}"]
        biases[lesion.name] = ensemble_lesion_bias(stack=images, truth=reference, lesion_mask=mask)
        true_mean = float(np.mean(reference[mask], dtype=np.float64))
        single = (images[:, mask].mean(axis=1, dtype=np.float64) - true_mean) / true_mean * 100.0
        errors[lesion.name] = float(single.std(ddof=1) / np.sqrt(single.size))
    return biases, errors


def liver_cov(*, images: FloatArray, phantom: Phantom) -> float | None:
    """Ensemble voxel CoV (%) in the liver over ``images`` ``(R, z, y, x)``, R ≥ 2; None without a liver mask."""
    mask = phantom.masks.get("liver")
    return None if mask is None else ensemble_voxel_cov(stack=images, voi_mask=mask)


def _nema_layout(phantom: Phantom) -> tuple[list[Lesion], float, FloatArray64, list[float]]:
    """Spheres (smallest first), their common contrast, background ROI centres and slice offsets of ``phantom``."""
    if phantom.kind is not PhantomKind.NEMA:
        raise ValueError(f"Argument 'phantom' should be a NEMA phantom, got {phantom.kind}.")
    spheres = sorted(phantom.lesions, key=lambda lesion: lesion.diameter_mm)
    ratios = {lesion.contrast for lesion in spheres}
    offsets = phantom.extras.get("background_roi_slice_offsets_mm")
    centres = phantom.extras.get("background_roi_centres_mm")
    if len(ratios) != 1 or not isinstance(offsets, tuple | list) or not isinstance(centres, tuple | list):
        raise ValueError(
            "Argument 'phantom' should have spheres of one contrast and the background ROI layout in 'extras'."
        )
    return spheres, ratios.pop(), np.asarray(centres, dtype=np.float64), [float(v) for v in offsets]


def nema_figures(*, images: FloatArray, phantom: Phantom) -> tuple[SphereFigures, ...]:
    """NEMA contrast recovery and background variability of every sphere, averaged over ``images`` ``(R, z, y, x)``.

    Uses the phantom's spheres (its lesions, true ratio ``contrast``) and ``extras`` background ROI layout.
    """
    spheres, ratio, centres, offsets = _nema_layout(phantom)
    per_image = [
        nema_image_quality(
            image=image,
            spacing_mm=phantom.spacing_mm,
            sphere_centres_mm=[lesion.centre_mm for lesion in spheres],
            sphere_diameters_mm=[lesion.diameter_mm for lesion in spheres],
            background_centres_mm=centres,
            activity_ratio=ratio,
            slice_offsets_mm=offsets,
        )
        for image in images
    ]
    figures = []
    for j, lesion in enumerate(spheres):
        recovery = np.array([r[j].contrast_recovery_pct for r in per_image], dtype=np.float64)
        error = float(recovery.std(ddof=1) / np.sqrt(recovery.size)) if recovery.size > 1 else None
        figures.append(
            SphereFigures(
                diameter_mm=lesion.diameter_mm,
                contrast_recovery_pct=float(recovery.mean()),
                background_variability_pct=float(np.mean([r[j].background_variability_pct for r in per_image])),
                contrast_recovery_se_pct=error,
            )
        )
    return tuple(figures)


def score_images(*, images: FloatArray, reference: FloatArray, phantom: Phantom, full: bool) -> Scores:
    """Score ``images`` ``(R, z, y, x)`` (reference's unit) of ``phantom`` against ``reference`` ``(z, y, x)``.

    ``full=False`` gives PSNR (and NEMA figures for a NEMA phantom) only, for the points of a parameter sweep;
    ``full=True`` adds SSIM and, when R ≥ 2, the ensemble lesion bias and liver CoV.
    """
    _check_stack(images, reference)
    body = phantom.masks["body"]
    scores = Scores(
        psnr_db=tuple(psnr(image=image, reference=reference, mask=body) for image in images),
        nema=nema_figures(images=images, phantom=phantom) if phantom.kind is PhantomKind.NEMA else (),
    )
    if not full:
        return scores
    ensemble = images.shape[0] >= 2
    biases, errors = lesion_biases(images=images, reference=reference, phantom=phantom) if ensemble else ({}, {})
    return Scores(
        psnr_db=scores.psnr_db,
        ssim=tuple(ssim(image=image, reference=reference, mask=body) for image in images),
        lesion_bias_pct=biases,
        lesion_bias_se_pct=errors,
        liver_cov_pct=liver_cov(images=images, phantom=phantom) if ensemble else None,
        nema=scores.nema,
    )
