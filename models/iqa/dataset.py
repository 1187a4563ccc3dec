"""Simulated, observer-labelled training and evaluation data for the scorer, cached one study per file.

A patient is a simulated torso (low or high BMI) or brain (with a hypometabolism pattern) reconstructed at the
seven count levels of :data:`imaging.simulation.acquisition.DEFAULT_LEVELS` (nested binomial thinning: one
patient, noisier and noisier images). Every image is measured by the observer (:mod:`models.iqa.observer`) and
sampled into patches (:mod:`models.iqa.patches`). The cache ``WORK/<family>-<seed>-p<per plane>-v2.npz`` (the
observer's raw measurements and the patches; the indices are computed from them when loaded) makes a run
resumable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.atomic import write_atomic
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms.hypometabolism import HYPOMETABOLISM_PATTERNS
from imaging.simulation.study import StudyRequest, simulate_study
from models.iqa.observer import observe, quality_indices
from models.iqa.patches import PATCHES_PER_PLANE, sample_patches

__all__ = ["CACHE_VERSION", "PatientSpec", "StudyPatches", "load_or_simulate", "patients", "simulate_patient"]


CACHE_VERSION = "v2"
"""Version of the cached files' content (v2: the raw detectabilities are stored, not the indices)."""


@dataclass(frozen=True, kw_only=True)
class PatientSpec:
    """One simulated patient: family (``"torso"`` or ``"brain"``), seed and phantom variant."""

    family: str
    seed: int
    variant: str

    @property
    def patient_id(self) -> str:
        """``"<family>-<seed>"``."""
        return f"{self.family}-{self.seed}"


@dataclass(frozen=True, kw_only=True)
class StudyPatches:
    """The labelled patches of one patient's images.

    Attributes:
        spec: the patient.
        levels: ``(v,)`` count level of each image (fraction of the full dose).
        q: ``(v, 3)`` observer indices ``(q_GQR, q_PR, q_DC)`` of each image (from ``measures`` and ``detect``).
        measures: ``(v, 3)`` noise CoV, noise correlation volume (voxels), resolution recovery of each image.
        detect: ``(v, 2)`` median and least NPW detectability d' of the findings in each image.
        patches: ``(n, 80, 80) float16`` patches (voxels / activity scale); ``image`` ``(n,)`` their image.
    """

    spec: PatientSpec
    levels: npt.NDArray[np.float64]
    q: npt.NDArray[np.float64]
    measures: npt.NDArray[np.float64]
    detect: npt.NDArray[np.float64]
    patches: npt.NDArray[np.float16]
    image: npt.NDArray[np.int16]


def patients(*, torso: int, brain: int, first_seed: int) -> list[PatientSpec]:
    """``torso`` torsos (low and high BMI alternating) and ``brain`` brains (the hypometabolism patterns in turn)
    with seeds from ``first_seed`` on."""
    specs = [
        PatientSpec(family="torso", seed=first_seed + i, variant=("low_bmi", "high_bmi")[i % 2]) for i in range(torso)
    ]
    specs += [
        PatientSpec(family="brain", seed=first_seed + torso + i, variant=HYPOMETABOLISM_PATTERNS[i % 3])
        for i in range(brain)
    ]
    return specs


def simulate_patient(*, spec: PatientSpec, per_plane: int = PATCHES_PER_PLANE) -> StudyPatches:
    """Simulate ``spec`` at the seven count levels, measure and sample every image (patch seed = image index +
    1000 × patient seed)."""
    study = simulate_study(request=StudyRequest(kind=PhantomKind(spec.family), seed=spec.seed, variant=spec.variant))
    levels, measures, detect, patches, image = [], [], [], [], []
    for index, series in enumerate(study.series):
        indices = observe(image=series.volume.voxels, reference=study.reference, phantom=study.phantom)
        sample = sample_patches(volume=series.volume.voxels, seed=1000 * spec.seed + index, per_plane=per_plane)
        levels.append(series.level)
        measures.append((indices.noise_cov, indices.correlation_voxels, indices.recovery))
        detect.append((float(np.median(indices.detectability)), min(indices.detectability)))
        patches.append(sample.patches.astype(np.float16))
        image.append(np.full(len(sample.patches), index, dtype=np.int16))
    return _study(
        spec=spec,
        levels=np.asarray(levels),
        measures=np.asarray(measures),
        detect=np.asarray(detect),
        patches=np.concatenate(patches),
        image=np.concatenate(image),
    )


def _study(
    *,
    spec: PatientSpec,
    levels: npt.NDArray[np.float64],
    measures: npt.NDArray[np.float64],
    detect: npt.NDArray[np.float64],
    patches: npt.NDArray[np.float16],
    image: npt.NDArray[np.int16],
) -> StudyPatches:
    q = [
        quality_indices(noise_cov=m[0], recovery=m[2], d_median=d[0], d_min=d[1])
        for m, d in zip(measures, detect, strict=True)
    ]
    return StudyPatches(
        spec=spec, levels=levels, q=np.asarray(q), measures=measures, detect=detect, patches=patches, image=image
    )


def _save(*, path: Path, study: StudyPatches) -> None:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        family=study.spec.family,
        seed=study.spec.seed,
        variant=study.spec.variant,
        levels=study.levels,
        measures=study.measures,
        detect=study.detect,
        patches=study.patches,
        image=study.image,
    )
    write_atomic(path=path, write=lambda handle: handle.write(buffer.getvalue()))


def _load(path: Path) -> StudyPatches:
    with np.load(path) as data:
        spec = PatientSpec(family=str(data["family"]), seed=int(data["seed"]), variant=str(data["variant"]))
        return _study(
            spec=spec,
            levels=data["levels"],
            measures=data["measures"],
            detect=data["detect"],
            patches=data["patches"],
            image=data["image"],
        )


def load_or_simulate(
    *, specs: Sequence[PatientSpec], work: Path, per_plane: int = PATCHES_PER_PLANE
) -> list[StudyPatches]:
    """Each patient of ``specs`` from ``work`` when cached there, else simulated and cached."""
    work.mkdir(parents=True, exist_ok=True)
    result = []
    for spec in specs:
        path = work / f"{spec.patient_id}-p{per_plane}-{CACHE_VERSION}.npz"
        if not path.is_file():
            _save(path=path, study=simulate_patient(spec=spec, per_plane=per_plane))
        result.append(_load(path))
    return result
