"""FDG brain phantom: scalp, skull, CSF, folded cortical grey matter, white matter, deep grey nuclei, cerebellum.

Head frame (before the random scale, rotation and shift): origin at the centre of the cerebrum, local z towards
the vertex (superior), y towards the back of the head (posterior), x towards the patient's left, matching the
grid's axes (z index increases superior, y index posterior, x index left). Activity levels follow FDG at
~370 MBq: cortical grey matter 10-12 kBq/ml scaled by the injected dose, GM:WM about 4:1, CSF none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imaging.errors import InputError
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms.assemble import build_phantom
from imaging.simulation.phantoms.canvas import Canvas, new_canvas
from imaging.simulation.phantoms.frame import Frame, random_folds
from imaging.simulation.phantoms.hypometabolism import HYPOMETABOLISM_PATTERNS, apply_hypometabolism
from imaging.simulation.phantoms.shapes import Intersection, Vec3, rotation_zyx
from imaging.simulation.phantoms.tissues import MU_BONE_RANGE, MU_SOFT_TISSUE, uniform

DEFAULT_SHAPE: tuple[int, int, int] = (48, 128, 128)
DEFAULT_SPACING_MM: Vec3 = (3.0, 2.0, 2.0)
__all__ = ["DEFAULT_SHAPE", "DEFAULT_SPACING_MM", "BrainLevels", "make_brain_phantom"]

CEREBRUM_MM: Vec3 = (62.0, 82.0, 66.0)
_REFERENCE_DOSE_BQ = 3.7e8


@dataclass(frozen=True)
class BrainLevels:
    """Activity concentrations of the brain phantom's tissues, Bq/ml."""

    gm: float
    wm: float
    deep_gm: float
    cerebellum: float
    csf: float
    skull: float
    scalp: float


def _levels(*, rng: np.random.Generator, dose_bq: float) -> BrainLevels:
    gm = uniform(rng, (10.0e3, 12.0e3)) * dose_bq / _REFERENCE_DOSE_BQ
    wm = gm / uniform(rng, (3.7, 4.3))
    return BrainLevels(
        gm=gm,
        wm=wm,
        deep_gm=gm * uniform(rng, (0.9, 1.1)),
        cerebellum=gm * uniform(rng, (0.75, 0.9)),
        csf=0.0,
        skull=wm * uniform(rng, (0.2, 0.4)),
        scalp=wm * uniform(rng, (0.4, 0.7)),
    )


def _head_frame(*, rng: np.random.Generator, grid_shape: tuple[int, int, int], spacing_mm: Vec3) -> Frame:
    extent = np.array([(n - 1) * s for n, s in zip(grid_shape, spacing_mm, strict=True)])
    scale = rng.uniform(0.9, 1.06) * rng.uniform(0.96, 1.04, size=3)
    top = (CEREBRUM_MM[0] + 15.0) * scale[0] + 3.0
    origin_z = max(extent[0] - top, 0.45 * extent[0]) + rng.uniform(-3.0, 0.0)
    origin = np.array([origin_z, extent[1] / 2 + rng.uniform(-6, 6), extent[2] / 2 + rng.uniform(-6, 6)])
    angles = np.deg2rad(rng.uniform([-8.0, -5.0, -10.0], [8.0, 5.0, 10.0]))
    return Frame(origin_mm=origin, rotation=rotation_zyx(angles_rad=tuple(angles)), scale=scale)


def _inflate(semi_axes: Vec3, by_mm: float) -> Vec3:
    return (semi_axes[0] + by_mm, semi_axes[1] + by_mm, semi_axes[2] + by_mm)


def _paint_shells(*, canvas: Canvas, frame: Frame, levels: BrainLevels, rng: np.random.Generator) -> None:
    """Scalp, skull and the CSF layer around the brain."""
    origin: Vec3 = (0.0, 0.0, 0.0)
    mu_bone = uniform(rng, MU_BONE_RANGE)
    canvas.paint(
        label="scalp",
        shape=frame.ellipsoid(centre_mm=origin, semi_axes_mm=_inflate(CEREBRUM_MM, 15.0)),
        activity_bqml=levels.scalp,
        mu_per_mm=MU_SOFT_TISSUE,
    )
    canvas.paint(
        label="skull",
        shape=frame.ellipsoid(centre_mm=origin, semi_axes_mm=_inflate(CEREBRUM_MM, 9.5)),
        activity_bqml=levels.skull,
        mu_per_mm=mu_bone,
    )
    canvas.paint(
        label="csf",
        shape=frame.ellipsoid(centre_mm=origin, semi_axes_mm=_inflate(CEREBRUM_MM, 3.0)),
        activity_bqml=levels.csf,
        mu_per_mm=MU_SOFT_TISSUE,
    )


def _paint_cerebrum(*, canvas: Canvas, frame: Frame, levels: BrainLevels, rng: np.random.Generator) -> None:
    """Cortical ribbon (folded outer and inner surfaces), white matter, the interhemispheric fissure."""
    origin: Vec3 = (0.0, 0.0, 0.0)
    outer = random_folds(rng=rng, count=8, amplitude=0.005, frequency=(6.0, 12.0))
    inner = random_folds(rng=rng, count=8, amplitude=0.011, frequency=(8.0, 16.0))
    ribbon = uniform(rng, (0.085, 0.105))
    wm_axes: Vec3 = (CEREBRUM_MM[0] * (1 - ribbon), CEREBRUM_MM[1] * (1 - ribbon), CEREBRUM_MM[2] * (1 - ribbon))
    canvas.paint(
        label="cortex",
        shape=frame.folded(centre_mm=origin, semi_axes_mm=CEREBRUM_MM, folds=outer),
        activity_bqml=levels.gm,
        mu_per_mm=MU_SOFT_TISSUE,
    )
    canvas.paint(
        label="wm",
        shape=frame.folded(centre_mm=origin, semi_axes_mm=wm_axes, folds=inner),
        activity_bqml=levels.wm,
        mu_per_mm=MU_SOFT_TISSUE,
    )
    brain = frame.ellipsoid(centre_mm=origin, semi_axes_mm=CEREBRUM_MM)
    medial = frame.box(centre_mm=(52.0, 0.0, 0.0), half_sizes_mm=(32.0, 90.0, 4.5))
    fissure = frame.box(centre_mm=(52.0, 0.0, 0.0), half_sizes_mm=(32.0, 90.0, 1.2))
    canvas.paint(
        label="cortex", shape=Intersection(parts=(medial, brain)), activity_bqml=levels.gm, mu_per_mm=MU_SOFT_TISSUE
    )
    canvas.paint(
        label="csf", shape=Intersection(parts=(fissure, brain)), activity_bqml=levels.csf, mu_per_mm=MU_SOFT_TISSUE
    )


def _paint_deep(*, canvas: Canvas, frame: Frame, levels: BrainLevels, rng: np.random.Generator) -> None:
    """Cerebellum, caudate, putamen, thalamus and the lateral ventricles (atrophy enlarges them)."""
    canvas.paint(
        label="cerebellum",
        shape=frame.ellipsoid(centre_mm=(-42.0, 40.0, 0.0), semi_axes_mm=(18.0, 26.0, 46.0)),
        activity_bqml=levels.cerebellum,
        mu_per_mm=MU_SOFT_TISSUE,
    )
    nuclei: tuple[tuple[Vec3, Vec3], ...] = (
        ((10.0, -18.0, 14.0), (10.0, 14.0, 6.0)),  # caudate head
        ((0.0, -5.0, 25.0), (14.0, 18.0, 6.0)),  # putamen
        ((2.0, 12.0, 10.0), (10.0, 15.0, 8.0)),  # thalamus
    )
    atrophy = uniform(rng, (0.8, 1.4))
    for side in (-1.0, 1.0):
        for centre, axes in nuclei:
            shape = frame.ellipsoid(centre_mm=(centre[0], centre[1], side * centre[2]), semi_axes_mm=axes)
            canvas.paint(label="deep_gm", shape=shape, activity_bqml=levels.deep_gm, mu_per_mm=MU_SOFT_TISSUE)
        ventricle = frame.ellipsoid(
            centre_mm=(14.0, -2.0, side * 8.0), semi_axes_mm=(12.0 * atrophy, 30.0, 5.0 * atrophy)
        )
        canvas.paint(label="csf", shape=ventricle, activity_bqml=levels.csf, mu_per_mm=MU_SOFT_TISSUE)


def make_brain_phantom(
    *,
    seed: int,
    shape: tuple[int, int, int] = DEFAULT_SHAPE,
    spacing_mm: Vec3 = DEFAULT_SPACING_MM,
    hypometabolism: str | None = None,
) -> Phantom:
    """A randomised FDG brain (head size, shape, pose, folds, ventricle size and activity levels per seed).

    Args:
        seed: seeds the ``numpy.random.Generator`` that draws everything; recorded in the phantom.
        shape: ``(z, y, x)`` voxels; the default field of view (141 x 254 x 254 mm) holds the whole cerebrum.
        spacing_mm: ``(z, y, x)`` voxel size, mm.
        hypometabolism: ``None`` or one of ``"ad"`` (bilateral temporo-parietal), ``"ftd"`` (bilateral frontal),
            ``"unilateral"`` (one hemisphere): cortical uptake there is reduced by 20-40 %.

    Returns:
        Phantom with ``activity`` (Bq/ml) and ``mu`` (1/mm) ``(z, y, x) float32``; masks ``body``, ``gm`` (cortex,
        deep nuclei, cerebellum), ``cortex``, ``deep_gm``, ``cerebellum``, ``wm``, ``csf``, ``skull``, ``scalp``,
        plus ``hypo`` and ``hypo_ref`` (reference region of normal uptake) with a pattern. ``extras`` holds the
        tissue activity levels (``"levels_bqml"``) and the pattern's parameters (``"hypometabolism"``).
    """
    if hypometabolism is not None and hypometabolism not in HYPOMETABOLISM_PATTERNS:
        raise InputError(
            f"Argument 'hypometabolism' should be None or one of {HYPOMETABOLISM_PATTERNS}, got {hypometabolism!r}.",
            check="phantom_variant",
        )
    rng = np.random.default_rng(seed)
    canvas = new_canvas(grid_shape=shape, spacing_mm=spacing_mm)
    weight_kg, height_m, dose_bq = uniform(rng, (55, 95)), uniform(rng, (1.55, 1.95)), uniform(rng, (3.0e8, 4.0e8))
    levels = _levels(rng=rng, dose_bq=dose_bq)
    frame = _head_frame(rng=rng, grid_shape=canvas.grid_shape, spacing_mm=canvas.spacing_mm)
    _paint_shells(canvas=canvas, frame=frame, levels=levels, rng=rng)
    _paint_cerebrum(canvas=canvas, frame=frame, levels=levels, rng=rng)
    _paint_deep(canvas=canvas, frame=frame, levels=levels, rng=rng)
    masks = {label: canvas.mask(label) for label in ("cortex", "deep_gm", "cerebellum", "wm", "csf", "skull", "scalp")}
    masks["gm"] = masks["cortex"] | masks["deep_gm"] | masks["cerebellum"]
    extras: dict[str, object] = {"levels_bqml": levels.__dict__.copy()}
    if hypometabolism is not None:
        hypo = apply_hypometabolism(canvas=canvas, frame=frame, pattern=hypometabolism, rng=rng)
        masks |= {"hypo": hypo.region & masks["cortex"], "hypo_ref": hypo.reference & masks["cortex"]}
        extras["hypometabolism"] = {"pattern": hypometabolism, "reduction": hypo.reduction}
    return build_phantom(
        canvas=canvas,
        kind=PhantomKind.BRAIN,
        variant=hypometabolism or "normal",
        masks=masks,
        seed=seed,
        patient=(weight_kg, height_m, dose_bq),
        extras=extras,
    )
