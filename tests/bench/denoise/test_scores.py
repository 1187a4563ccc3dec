"""Scoring R realisations of one method against the noise-free reference."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from bench.denoise.baselines import gaussian_baseline
from bench.denoise.scores import lesion_biases, nema_figures, score_images
from imaging.metrics import nema_image_quality, psnr
from imaging.simulation.phantom import Lesion, Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom

FloatArray = npt.NDArray[np.float32]


def _box(shape: tuple[int, int, int], *slices: slice) -> npt.NDArray[np.bool_]:
    mask = np.zeros(shape, dtype=np.bool_)
    mask[slices] = True
    return mask


@pytest.fixture(scope="module")
def torso_like() -> Phantom:
    """A (10, 24, 24) box 'body' (1 Bq/ml with a gradient), a 'liver' (2) and one lesion (6)."""
    shape = (10, 24, 24)
    body = _box(shape, slice(None), slice(2, 22), slice(2, 22))
    liver = _box(shape, slice(2, 8), slice(4, 12), slice(4, 12))
    lesion = _box(shape, slice(4, 7), slice(15, 18), slice(15, 18))
    activity = np.where(body, 1.0 + np.linspace(0.0, 0.5, 24)[None, None, :], 0.0).astype(np.float32)
    activity[liver], activity[lesion] = 2.0, 6.0
    spot = Lesion(name="spot", centre_mm=(20.0, 64.0, 64.0), diameter_mm=12.0, contrast=6.0, activity_bqml=6.0)
    return Phantom(
        kind=PhantomKind.TORSO,
        variant="test",
        activity=activity,
        mu=np.zeros(shape, dtype=np.float32),
        spacing_mm=(4.0, 4.0, 4.0),
        masks={"body": body, "liver": liver, "lesion:spot": lesion},
        lesions=(spot,),
    )


def _gains(phantom: Phantom, gains: tuple[float, ...]) -> FloatArray:
    return np.stack([phantom.activity * np.float32(g) for g in gains])


def test_lesion_bias_and_its_standard_error_follow_their_definitions(torso_like: Phantom) -> None:
    gains = (1.1, 1.2, 0.95)
    biases, errors = lesion_biases(images=_gains(torso_like, gains), reference=torso_like.activity, phantom=torso_like)
    single = [(g - 1.0) * 100.0 for g in gains]
    mean = sum(single) / len(single)
    sd = math.sqrt(sum((b - mean) ** 2 for b in single) / (len(single) - 1))
    assert biases == {"spot": pytest.approx(mean, rel=1e-5)}
    assert errors == {"spot": pytest.approx(sd / math.sqrt(len(single)), rel=1e-4)}


def test_full_scores_add_ssim_and_ensemble_figures(torso_like: Phantom) -> None:
    rng = np.random.default_rng(0)
    images = (torso_like.activity + rng.normal(0.0, 0.1, (3, *torso_like.shape))).astype(np.float32)
    quick = score_images(images=images, reference=torso_like.activity, phantom=torso_like, full=False)
    full = score_images(images=images, reference=torso_like.activity, phantom=torso_like, full=True)
    body = torso_like.masks["body"]
    expected = [psnr(image=image, reference=torso_like.activity, mask=body) for image in images]
    assert quick.psnr_db == full.psnr_db == pytest.approx(expected)
    assert quick.ssim == () and quick.lesion_bias_pct == {} and quick.liver_cov_pct is None
    assert len(full.ssim) == 3 and all(0.0 < value < 1.0 for value in full.ssim)
    assert set(full.lesion_bias_pct) == set(full.lesion_bias_se_pct) == {"spot"}
    liver = images[:, torso_like.masks["liver"]]
    cov = np.mean(liver.std(axis=0, ddof=1) / liver.mean(axis=0)) * 100.0
    assert full.liver_cov_pct == pytest.approx(cov, rel=1e-4)
    assert full.nema == ()


def test_a_single_realisation_has_no_ensemble_figures(torso_like: Phantom) -> None:
    scores = score_images(
        images=_gains(torso_like, (1.1,)), reference=torso_like.activity, phantom=torso_like, full=True
    )
    assert len(scores.ssim) == 1 and scores.lesion_bias_pct == {} and scores.liver_cov_pct is None


def test_score_images_rejects_a_stack_of_another_shape(torso_like: Phantom) -> None:
    with pytest.raises(ValueError, match="images"):
        score_images(images=torso_like.activity, reference=torso_like.activity, phantom=torso_like, full=False)


@pytest.fixture(scope="module")
def nema() -> Phantom:
    return make_phantom(kind=PhantomKind.NEMA, seed=3, shape=(40, 64, 64), spacing_mm=(5.0, 5.25, 5.25))


def test_nema_figures_average_the_per_image_analysis(nema: Phantom) -> None:
    rng = np.random.default_rng(1)
    images = (nema.activity * rng.uniform(0.9, 1.1, (2, *nema.shape))).astype(np.float32)
    figures = nema_figures(images=images, phantom=nema)
    spheres = sorted(nema.lesions, key=lambda lesion: lesion.diameter_mm)
    centres = np.asarray(nema.extras["background_roi_centres_mm"])
    per_image = [
        nema_image_quality(
            image=image,
            spacing_mm=nema.spacing_mm,
            sphere_centres_mm=[s.centre_mm for s in spheres],
            sphere_diameters_mm=[s.diameter_mm for s in spheres],
            background_centres_mm=centres,
            activity_ratio=spheres[0].contrast,
        )
        for image in images
    ]
    assert [f.diameter_mm for f in figures] == sorted(s.diameter_mm for s in spheres)
    for j, sphere in enumerate(figures):
        crs = [r[j].contrast_recovery_pct for r in per_image]
        bvs = [r[j].background_variability_pct for r in per_image]
        assert sphere.contrast_recovery_pct == pytest.approx(np.mean(crs))
        assert sphere.background_variability_pct == pytest.approx(np.mean(bvs))
        assert sphere.contrast_recovery_se_pct == pytest.approx(np.std(crs, ddof=1) / np.sqrt(2))
    assert nema_figures(images=images[:1], phantom=nema)[0].contrast_recovery_se_pct is None


def test_smoothing_costs_the_small_spheres_most_contrast(nema: Phantom) -> None:
    sharp = nema_figures(images=nema.activity[None], phantom=nema)
    blurred = nema_figures(
        images=gaussian_baseline(voxels=nema.activity, fwhm_mm=10.0, spacing_mm=nema.spacing_mm)[None],
        phantom=nema,
    )
    kept = [b.contrast_recovery_pct / s.contrast_recovery_pct for s, b in zip(sharp, blurred, strict=True)]
    assert all(k < 1.0 for k in kept)
    assert kept == sorted(kept)  # 10 mm keeps the least, 37 mm the most


def test_nema_figures_need_a_nema_phantom(torso_like: Phantom) -> None:
    with pytest.raises(ValueError, match="NEMA"):
        nema_figures(images=torso_like.activity[None], phantom=torso_like)
