"""Training shards: many simulated studies cut into 2.5D patches for the denoiser and the quality scorer.

This module is the pure part: the run's configuration, the deterministic per-study plan and the sampling of one
study into arrays. :mod:`imaging.simulation.shard_store` writes them (atomically, resumably).

One shard holds the samples of one study. Sample ``j`` is a ``P × P`` patch whose centre voxel lies in the body:

- ``inputs (n, 3, P, P) float32`` Bq/ml: slices ``z-1, z, z+1`` of a noisy count level; at the first and last
  slice the missing neighbour is the mirror image (``-1 → 1``, ``nz → nz-2``, numpy's ``"reflect"``);
- ``target (n, P, P) float32`` Bq/ml: slice ``z`` of the full-count (level 1.0) reconstruction;
- ``clean (n, P, P) float32`` Bq/ml: slice ``z`` of the noise-free reconstruction with the same protocol;
- ``level (n,) float32``: the input's count level (fraction of the full count);
- ``scale (n,) float32`` Bq/ml: :func:`imaging.intensity.activity_scale` of the whole noisy input volume, the
  same scale the denoiser computes at inference, so a trainer feeds ``inputs / scale`` and maps back with ``* scale``;
- ``lesion (n, P, P) uint8``: slice ``z`` of the phantom's lesion labels (0 outside every lesion, ``k`` inside
  the ``k``-th ``lesion:<name>`` mask in name order), so a trainer can measure each lesion's regional mean and
  peak; all zeros for a phantom without lesions (shards written before this array existed lack it);
- ``centre (n, 3) int32``: the patch centre ``(z, y, x)`` in voxels; the patch spans ``y - P//2 … y - P//2 + P``;
  the first ``round(lesion_fraction · K)`` centres of each level lie in the lesion zone (see :func:`lesion_zone`)
  when the phantom has lesions, the others anywhere in the body;
- ``protocol``, ``kind``, ``variant`` (fixed-width unicode) and ``study_seed (n,) int64``.

Seeds: study ``i`` is simulated with seed ``seed + i``; its kind, variant and protocol are drawn in study order
from ``default_rng(seed)``; its patch centres from ``SeedSequence([seed + i, PATCH_STREAM])``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.errors import InputError
from imaging.intensity import activity_scale
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.phantoms.torso import TORSO_VARIANTS, lesion_spec
from imaging.simulation.protocols import PROTOCOLS
from imaging.simulation.study import SimulatedStudy, StudyRequest, simulate_study

__all__ = [
    "DEFAULT_SHARD_LEVELS",
    "PATCH_STREAM",
    "TRAINING_VARIANTS",
    "ShardConfig",
    "StudyPlan",
    "lesion_labels",
    "lesion_zone",
    "patch_rng",
    "plan_studies",
    "sample_centres",
    "sample_study",
    "simulate_shard",
    "slice_triplet",
]

DEFAULT_SHARD_LEVELS: tuple[float, ...] = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5)
"""Input count levels, 0.5–50 % of the full count (the denoiser issue's range)."""

PATCH_STREAM = 0x5A4D
"""Second entropy word of the patch-sampling seed (keeps it apart from the noise streams ``[seed, r]``)."""

TRAINING_VARIANTS: Mapping[PhantomKind, tuple[str, ...]] = {
    PhantomKind.BRAIN: ("normal",),
    PhantomKind.TORSO: TORSO_VARIANTS,
}
"""Variants drawn for each training family (uniformly); NEMA is evaluation only and has none."""

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, kw_only=True)
class ShardConfig:
    """One shard run: everything that decides its content (recorded in the manifest).

    Attributes:
        studies: number of studies N, one shard each.
        seed: base seed S; study ``i`` uses ``S + i``.
        kinds: phantom families drawn from (brain, torso; never NEMA).
        protocols: reconstruction protocols drawn from (``"v1"``, ``"v2"``).
        levels: noisy input count levels, fractions in (0, 1) of the full count.
        patch: patch side P, voxels.
        patches_per_level: patches drawn per count level and study.
        shape: ``(z, y, x)`` phantom grid, None for each family's default.
        spacing_mm: ``(z, y, x)`` voxel size, mm, None for each family's default.
        lesion_fraction: fraction of each level's patches centred in the lesion zone of a phantom with lesions
            (0: all patches anywhere in the body). Lesions are rare in random patches; this is how a run shows the
            network enough of them.
        lesions: torso only: inclusive (min, max) number of lesions per torso, None for the torso's default.
        lesion_hosts: torso only: tissues the lesions sit in (equally likely), None for the torso's default.
        lesion_diameter_mm: torso only: (min, max) lesion diameter, mm, None for the torso's default (6–30).
    """

    studies: int
    seed: int
    kinds: tuple[PhantomKind, ...] = (PhantomKind.BRAIN, PhantomKind.TORSO)
    protocols: tuple[str, ...] = ("v1", "v2")
    levels: tuple[float, ...] = DEFAULT_SHARD_LEVELS
    patch: int = 64
    patches_per_level: int = 16
    shape: tuple[int, int, int] | None = None
    spacing_mm: tuple[float, float, float] | None = None
    lesion_fraction: float = 0.0
    lesions: tuple[int, int] | None = None
    lesion_hosts: tuple[str, ...] | None = None
    lesion_diameter_mm: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        _check_counts(config=self)
        _check_choices(config=self)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON-ready values (lists for tuples, strings for kinds)."""
        values = asdict(self)
        values["kinds"] = [str(kind) for kind in self.kinds]
        return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}


def _check_counts(*, config: ShardConfig) -> None:
    for name in ("studies", "patch", "patches_per_level"):
        if getattr(config, name) < 1:
            raise InputError(f"Argument '{name}' should be at least 1, got {getattr(config, name)}.", check=name)
    if config.seed < 0:
        raise InputError(f"Argument 'seed' should be ≥ 0, got {config.seed}.", check="seed")
    if config.shape is not None and (len(config.shape) != 3 or min(config.shape) < 2):
        raise InputError(f"Argument 'shape' should be 3 sizes ≥ 2 (z, y, x), got {config.shape}.", check="shape")
    if not 0.0 <= config.lesion_fraction <= 1.0:
        raise InputError(
            f"Argument 'lesion_fraction' should be in [0, 1], got {config.lesion_fraction}.", check="lesion_fraction"
        )
    if config.lesions is not None and (len(config.lesions) != 2 or not 0 <= config.lesions[0] <= config.lesions[1]):
        raise InputError(
            f"Argument 'lesions' should be a (min, max) range with 0 ≤ min ≤ max, got {config.lesions}.",
            check="phantom_lesions",
        )
    lesion_spec(hosts=config.lesion_hosts, diameter_mm=config.lesion_diameter_mm)  # refused here, not mid-run
    if config.spacing_mm is not None and (len(config.spacing_mm) != 3 or min(config.spacing_mm) <= 0):
        raise InputError(
            f"Argument 'spacing_mm' should be 3 positive sizes (z, y, x), got {config.spacing_mm}.", check="spacing"
        )


def _check_choices(*, config: ShardConfig) -> None:
    if not config.kinds or PhantomKind.NEMA in config.kinds:
        raise InputError(
            f"Argument 'kinds' should be brain and/or torso, got {[str(k) for k in config.kinds]}: "
            "NEMA phantoms are for evaluation only, never for training.",
            check="shard_kinds",
        )
    unknown = [name for name in config.protocols if name not in PROTOCOLS]
    if not config.protocols or unknown:
        raise InputError(
            f"Argument 'protocols' should be among {sorted(PROTOCOLS)}, got {list(config.protocols)}.",
            check="shard_protocols",
        )
    levels = config.levels
    if not levels or len(set(levels)) != len(levels) or any(not 0 < level < 1 for level in levels):
        raise InputError(
            f"Argument 'levels' should be distinct fractions in (0, 1) (1.0 is the target), got {list(levels)}.",
            check="shard_levels",
        )


@dataclass(frozen=True, kw_only=True)
class StudyPlan:
    """What study ``index`` of a run is: drawn once from the run's seed, recorded in the manifest."""

    index: int
    seed: int
    kind: PhantomKind
    variant: str
    protocol: str


def plan_studies(*, config: ShardConfig) -> tuple[StudyPlan, ...]:
    """Every study of the run, in order: seed ``S + i``; kind, variant, protocol drawn from ``default_rng(S)``.

    Draws happen in study order, so the first k plans do not depend on ``config.studies``.
    """
    rng = np.random.default_rng(config.seed)
    plans = []
    for index in range(config.studies):
        kind = config.kinds[int(rng.integers(len(config.kinds)))]
        variants = TRAINING_VARIANTS[kind]
        variant = variants[int(rng.integers(len(variants)))]
        protocol = config.protocols[int(rng.integers(len(config.protocols)))]
        plans.append(StudyPlan(index=index, seed=config.seed + index, kind=kind, variant=variant, protocol=protocol))
    return tuple(plans)


def patch_rng(*, study_seed: int) -> np.random.Generator:
    """The generator the patch centres of the study simulated with ``study_seed`` are drawn from."""
    return np.random.default_rng(np.random.SeedSequence([study_seed, PATCH_STREAM]))


def slice_triplet(*, volume: FloatArray, z: int) -> FloatArray:
    """Slices ``z-1, z, z+1`` of ``volume`` ``(z, y, x)`` as ``(3, y, x)``; mirrored at the ends (-1 → 1).

    Needs at least 2 slices.
    """
    nz = volume.shape[0]
    if nz < 2 or not 0 <= z < nz:
        raise ValueError(f"Argument 'z' should index a volume of ≥ 2 slices, got z={z} for {nz} slices.")
    below = z - 1 if z > 0 else 1
    above = z + 1 if z < nz - 1 else nz - 2
    return np.stack([volume[below], volume[z], volume[above]])


def sample_centres(*, body: BoolArray, patch: int, n: int, rng: np.random.Generator) -> IntArray:
    """``(n, 3) int64`` patch centres ``(z, y, x)`` inside ``body`` ``(z, y, x)`` whose ``patch``-square fits.

    Without replacement while there are enough candidates. InputError if there is none.
    """
    low = patch // 2
    allowed = np.zeros_like(body)
    allowed[:, low : body.shape[1] - patch + low + 1, low : body.shape[2] - patch + low + 1] = True
    candidates = np.argwhere(body & allowed)
    if len(candidates) == 0:
        raise InputError(
            f"Argument 'patch' ({patch}) leaves no patch centre inside the body of a {body.shape} grid.",
            check="shard_patch",
        )
    picks = rng.choice(len(candidates), size=n, replace=len(candidates) < n)
    return candidates[picks].astype(np.int64)


def lesion_zone(*, masks: Mapping[str, BoolArray], body: BoolArray, patch: int) -> BoolArray | None:
    """Body voxels ``(z, y, x)`` within ``patch // 4`` voxels in-plane of a lesion on the same slice, or None.

    A patch centred there holds the lesion (or part of it) somewhere in its central half, at a random offset.
    ``masks`` are the phantom's masks; lesions are the ``lesion:<name>`` ones. None if there is no lesion.
    """
    lesions = [mask for name, mask in masks.items() if name.startswith("lesion:")]
    if not lesions:
        return None
    union = np.logical_or.reduce(lesions)
    reach = 2 * (patch // 4) + 1
    zone: BoolArray = ndimage.maximum_filter(union, size=(1, reach, reach)) & body
    return zone


def _centres(
    *, body: BoolArray, zone: BoolArray | None, patch: int, n: int, near: int, rng: np.random.Generator
) -> IntArray:
    """``n`` centres: ``near`` of them in ``zone`` (when it holds any patch centre), the rest in ``body``."""
    if zone is None or near == 0:
        return sample_centres(body=body, patch=patch, n=n, rng=rng)
    try:
        close = sample_centres(body=zone, patch=patch, n=near, rng=rng)
    except InputError:
        return sample_centres(body=body, patch=patch, n=n, rng=rng)
    if near == n:
        return close
    return np.concatenate([close, sample_centres(body=body, patch=patch, n=n - near, rng=rng)])


def _crop(*, image: FloatArray, centre: IntArray, patch: int) -> FloatArray:
    """The ``patch``-square of ``image`` ``(..., y, x)`` around ``centre`` ``(z, y, x)``."""
    y0, x0 = int(centre[1]) - patch // 2, int(centre[2]) - patch // 2
    return image[..., y0 : y0 + patch, x0 : x0 + patch]


def lesion_labels(*, masks: Mapping[str, BoolArray], shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
    """``(z, y, x) uint8`` labels of the ``lesion:<name>`` masks, numbered 1… in name order (0: no lesion)."""
    labels = np.zeros(shape, dtype=np.uint8)
    names = sorted(name for name in masks if name.startswith("lesion:"))
    for number, name in enumerate(names[:255], start=1):
        labels[masks[name]] = number
    return labels


def _level_samples(
    *,
    noisy: FloatArray,
    study: SimulatedStudy,
    target: FloatArray,
    labels: npt.NDArray[np.uint8],
    centres: IntArray,
    patch: int,
) -> dict[str, npt.NDArray[Any]]:
    inputs = [_crop(image=slice_triplet(volume=noisy, z=int(c[0])), centre=c, patch=patch) for c in centres]
    return {
        "inputs": np.stack(inputs).astype(np.float32),
        "target": np.stack([_crop(image=target[int(c[0])], centre=c, patch=patch) for c in centres]),
        "clean": np.stack([_crop(image=study.reference[int(c[0])], centre=c, patch=patch) for c in centres]),
        "lesion": np.stack([_crop(image=labels[int(c[0])], centre=c, patch=patch) for c in centres]),
    }


def sample_study(*, study: SimulatedStudy, plan: StudyPlan, config: ShardConfig) -> dict[str, npt.NDArray[Any]]:
    """The shard arrays of ``study`` (see the module docstring): ``patches_per_level`` patches per level.

    ``study`` must hold a series at level 1.0 and at every ``config.levels`` (no splits, one realisation).
    """
    by_level = {series.level: series.volume.voxels for series in study.series if series.split is None}
    body = study.phantom.masks["body"]
    zone = lesion_zone(masks=study.phantom.masks, body=body, patch=config.patch) if config.lesion_fraction else None
    near = round(config.lesion_fraction * config.patches_per_level)
    rng = patch_rng(study_seed=plan.seed)
    labels = lesion_labels(masks=study.phantom.masks, shape=body.shape)
    parts: list[dict[str, npt.NDArray[Any]]] = []
    scales: list[float] = []
    for level in config.levels:
        centres = _centres(body=body, zone=zone, patch=config.patch, n=config.patches_per_level, near=near, rng=rng)
        part = _level_samples(
            noisy=by_level[level],
            study=study,
            target=by_level[1.0],
            labels=labels,
            centres=centres,
            patch=config.patch,
        )
        part["centre"] = centres.astype(np.int32)
        parts.append(part)
        scales.append(activity_scale(voxels=by_level[level]))
    n = config.patches_per_level
    arrays: dict[str, npt.NDArray[Any]] = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    arrays["level"] = np.repeat(np.asarray(config.levels, dtype=np.float32), n)
    arrays["scale"] = np.repeat(np.asarray(scales, dtype=np.float32), n)
    total = n * len(config.levels)
    arrays["protocol"] = np.full(total, plan.protocol)
    arrays["kind"] = np.full(total, str(plan.kind))
    arrays["variant"] = np.full(total, plan.variant)
    arrays["study_seed"] = np.full(total, plan.seed, dtype=np.int64)
    return arrays


def simulate_shard(*, plan: StudyPlan, config: ShardConfig) -> dict[str, npt.NDArray[Any]]:
    """Simulate the study of ``plan`` (levels 1.0 and ``config.levels``, no splits) and sample its shard."""
    phantom = make_phantom(
        kind=plan.kind,
        seed=plan.seed,
        variant=plan.variant,
        shape=config.shape,
        spacing_mm=config.spacing_mm,
        n_lesions=config.lesions if plan.kind is PhantomKind.TORSO else None,
        lesion_hosts=config.lesion_hosts if plan.kind is PhantomKind.TORSO else None,
        lesion_diameter_mm=config.lesion_diameter_mm if plan.kind is PhantomKind.TORSO else None,
    )
    request = StudyRequest(
        kind=plan.kind,
        seed=plan.seed,
        levels=(1.0, *config.levels),
        split=False,
        protocol=plan.protocol,
        variant=plan.variant,
    )
    return sample_study(study=simulate_study(request=request, phantom=phantom), plan=plan, config=config)
