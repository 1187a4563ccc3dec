"""Site calibration: refit the scorer's unfrozen units and head to a site's clinician scores.

Each labelled series is sampled into patches once (seeded). The refit starts from the given scorer, keeps its
first units frozen (as stage 2 does) and fits the rest to the site's scores (MSE). Its honesty check is
leave-one-patient-out: for every patient, a refit on the other patients' series predicts that patient's series;
MAE, % exact, % within ±0.5 and Spearman over those held-out predictions are reported per metric, next to the
same figures of the scorer before the refit. The final model is refitted on every series.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from imaging.dicom.reader import read_pet_series
from models.iqa.agreement import agreement
from models.iqa.bundle import Scorer
from models.iqa.network import IqaNet
from models.iqa.patches import sample_patches
from models.iqa.scoring import predict_patches
from models.iqa.site_labels import SiteSeries
from models.iqa.training import Log, PatchTable, StageSettings, fit_stage

__all__ = ["SiteFit", "SiteSample", "fit_site", "load_samples", "refit"]


@dataclass(frozen=True, kw_only=True)
class SiteSample:
    """One labelled series' patches ``(n, 80, 80) float16``, its patient and its scores ``(3,)``."""

    patient: str
    patches: npt.NDArray[np.float16]
    label: npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class SiteFit:
    """The refitted network, the held-out predictions ``(n, 3)`` and the agreement before and after."""

    net: IqaNet
    held_out: npt.NDArray[np.float64]
    before: dict[str, dict[str, float]]
    after: dict[str, dict[str, float]]
    patients: int


def load_samples(*, series: Sequence[SiteSeries], per_plane: int, seed: int) -> list[SiteSample]:
    """Read each series and sample its patches (seed ``seed + index``)."""
    samples = []
    for index, item in enumerate(series):
        volume = read_pet_series(source=item.folder).volume.voxels
        patches = sample_patches(volume=volume, seed=seed + index, per_plane=per_plane).patches
        samples.append(
            SiteSample(patient=item.patient_id, patches=patches.astype(np.float16), label=np.asarray(item.row.scores))
        )
    return samples


def _table(samples: Sequence[SiteSample]) -> PatchTable:
    count = len(samples)
    return PatchTable(
        patches=np.concatenate([s.patches for s in samples]),
        image=np.concatenate([np.full(len(s.patches), i, dtype=np.int64) for i, s in enumerate(samples)]),
        levels=np.ones(count),
        q=np.zeros((count, 3)),
        patient=np.asarray([s.patient for s in samples], dtype=np.str_),
        family=np.asarray(["site"] * count, dtype=np.str_),
    )


def refit(*, base: IqaNet, samples: Sequence[SiteSample], steps: int, seed: int, log: Log) -> IqaNet:
    """A copy of ``base`` with its unfrozen units and head fitted to ``samples``."""
    torch.manual_seed(seed)
    net = copy.deepcopy(base)
    targets = np.stack([s.label for s in samples])
    settings = StageSettings(steps=steps, batch=32, lr=5e-4, log_every=max(1, steps))
    fit_stage(
        net=net,
        table=_table(samples),
        targets=targets,
        settings=settings,
        rng=np.random.default_rng(seed),
        pretext=False,
        log=log,
    )
    return net


def _predict(net: IqaNet, sample: SiteSample, scorer: Scorer) -> npt.NDArray[np.float64]:
    held = Scorer(net=net, info=scorer.info)
    scores: npt.NDArray[np.float64] = np.clip(predict_patches(scorer=held, patches=sample.patches), 0.0, 3.0)
    return np.asarray(scores.mean(axis=0), dtype=np.float64)


def fit_site(*, scorer: Scorer, samples: Sequence[SiteSample], steps: int, seed: int, log: Log) -> SiteFit:
    """Leave-one-patient-out figures, then the refit on every sample (module docstring)."""
    patients = sorted({s.patient for s in samples})
    labels = np.stack([s.label for s in samples])
    before = np.stack([_predict(scorer.net, s, scorer) for s in samples])
    held_out = np.zeros_like(before)
    for fold, patient in enumerate(patients):
        train = [s for s in samples if s.patient != patient]
        net = refit(base=scorer.net, samples=train, steps=steps, seed=seed + fold, log=lambda _: None)
        for i, sample in enumerate(samples):
            if sample.patient == patient:
                held_out[i] = _predict(net, sample, scorer)
        log(f"leave-one-patient-out: fold {fold + 1}/{len(patients)} ({patient}) done")
    final = refit(base=scorer.net, samples=samples, steps=steps, seed=seed, log=log)
    return SiteFit(
        net=final,
        held_out=held_out,
        before=agreement(predicted=before, reference=labels),
        after=agreement(predicted=held_out, reference=labels),
        patients=len(patients),
    )
