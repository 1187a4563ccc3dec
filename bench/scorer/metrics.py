"""Pure computations behind ``bench.scorer.evaluate``: per-image predictions, monotonicity, a simulated site."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch

from models.iqa.bundle import Scorer
from models.iqa.dataset import StudyPatches
from models.iqa.labels import round_to_grid
from models.iqa.network import IqaNet
from models.iqa.scoring import predict_patches
from models.iqa.site_fit import SiteSample

__all__ = ["image_predictions", "monotonic_violations", "site_labels", "site_samples"]


def image_predictions(
    *, scorer: Scorer, pretext: IqaNet | None, study: StudyPatches
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per image of ``study``: the series score (mean of the clipped patch scores, as :func:`score_volume` does)
    ``(v, 3)`` and the stage-1 network's mean count-level prediction (log10) ``(v,)`` (NaN without one)."""
    scores, levels = [], []
    for image in range(len(study.levels)):
        patches = study.patches[study.image == image].astype(np.float32)
        scores.append(np.clip(predict_patches(scorer=scorer, patches=patches), 0.0, 3.0).mean(axis=0))
        levels.append(_count_level(net=pretext, patches=patches))
    return np.asarray(scores), np.asarray(levels)


def _count_level(*, net: IqaNet | None, patches: npt.NDArray[np.float32]) -> float:
    if net is None:
        return float("nan")
    with torch.no_grad():
        return float(net.count_level(torch.from_numpy(patches[:, None])).mean())


def monotonic_violations(*, levels: npt.NDArray[np.float64], scores: npt.NDArray[np.float64]) -> int:
    """How many times a score (``(v, 3)``, any metric) rises from one count level to the next lower one."""
    order = np.argsort(-levels)
    steps = np.diff(scores[order], axis=0)
    return int((steps > 1e-9).sum())


def site_labels(
    *, reference: npt.NDArray[np.float64], bias: Sequence[float], noise: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Simulated clinicians of a site: the observer's scores ``(n, 3)`` shifted by ``bias`` per metric, plus
    Gaussian rater noise of std ``noise``, on the 0.5 grid."""
    return round_to_grid(reference + np.asarray(bias) + rng.normal(0.0, noise, size=reference.shape))


def site_samples(*, studies: Sequence[StudyPatches], labels: npt.NDArray[np.float64]) -> list[SiteSample]:
    """One :class:`SiteSample` per image of ``studies`` (in order), labelled by the rows of ``labels``."""
    samples, row = [], 0
    for study in studies:
        for image in range(len(study.levels)):
            patches = study.patches[study.image == image]
            samples.append(SiteSample(patient=study.spec.patient_id, patches=patches, label=labels[row]))
            row += 1
    return samples
