"""FDG torso phantom: body outline with a subcutaneous fat layer, lungs, heart, liver, spleen, kidneys, spine,
bladder and hot lesions, for a low- or high-BMI patient.

Body frame: origin at the centre of the field of view (randomly shifted), local z superior, y posterior, x the
patient's left, as the grid's axes. In-plane sizes are in mm (scaled to the lean compartment, so a heavier
patient's organs sit under more fat); the anatomy is compressed axially to fit the field of view, from the lung
apices (top) to the bladder (bottom). Activities are ``SUV * injected_dose / weight`` (Bq/ml, density 1 g/ml).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms.assemble import build_phantom
from imaging.simulation.phantoms.canvas import Canvas, new_canvas
from imaging.simulation.phantoms.frame import Frame
from imaging.simulation.phantoms.lesions import LesionSpec, lesion_mask, place_lesions
from imaging.simulation.phantoms.ood import CATHETER_MASK_THRESHOLD, OOD_FEATURES, hot_bladder_factor, paint_catheter
from imaging.simulation.phantoms.shapes import Cylinder, Ellipsoid, Vec3, rotation_zyx
from imaging.simulation.phantoms.tissues import (
    MU_BONE_RANGE,
    MU_FAT,
    MU_LUNG_RANGE,
    MU_SOFT_TISSUE,
    activity_from_suv,
    uniform,
)

DEFAULT_SHAPE: tuple[int, int, int] = (64, 128, 128)
DEFAULT_SPACING_MM: Vec3 = (4.0, 4.0, 4.0)
DEFAULT_N_LESIONS: tuple[int, int] = (1, 6)
"""Inclusive range of the number of hot lesions a torso draws by default."""
__all__ = [
    "DEFAULT_N_LESIONS",
    "DEFAULT_SHAPE",
    "DEFAULT_SPACING_MM",
    "LESION_HOSTS",
    "TORSO_VARIANTS",
    "Habitus",
    "lesion_spec",
    "make_torso_phantom",
]

TORSO_VARIANTS = ("low_bmi", "high_bmi")
_SUV_RANGES: dict[str, tuple[float, float]] = {
    "fat": (0.4, 0.6),
    "soft_tissue": (0.7, 1.0),
    "lung": (0.3, 0.5),
    "liver": (2.0, 2.5),
    "spleen": (1.6, 2.1),
    "myocardium": (2.5, 8.0),
    "blood_pool": (1.5, 2.0),
    "kidney": (3.0, 6.0),
    "bladder": (5.0, 15.0),
    "spine": (1.0, 1.6),
}
BoolArray = npt.NDArray[np.bool_]
_LESION_SPEC = LesionSpec(hosts=("liver", "lung", "soft_tissue"), host_weights=(0.4, 0.3, 0.3))
LESION_HOSTS: tuple[str, ...] = _LESION_SPEC.hosts
"""Tissues a torso lesion can sit in."""


@dataclass(frozen=True)
class Habitus:
    """Body build: weight (kg), height (m), body outline semi-axes (y, x) in mm, subcutaneous fat thickness (mm)."""

    weight_kg: float
    height_m: float
    semi_yx_mm: tuple[float, float]
    fat_mm: float


def _habitus(*, variant: str, rng: np.random.Generator) -> Habitus:
    heavy = variant == "high_bmi"
    return Habitus(
        weight_kg=uniform(rng, (100.0, 120.0) if heavy else (58.0, 72.0)),
        height_m=uniform(rng, (1.65, 1.88)),
        semi_yx_mm=(
            uniform(rng, (135.0, 150.0) if heavy else (95.0, 110.0)),
            uniform(rng, (195.0, 215.0) if heavy else (150.0, 170.0)),
        ),
        fat_mm=uniform(rng, (30.0, 45.0) if heavy else (8.0, 15.0)),
    )


def _body_frame(*, rng: np.random.Generator, grid_shape: tuple[int, int, int], spacing_mm: Vec3) -> Frame:
    extent = np.array([(n - 1) * s for n, s in zip(grid_shape, spacing_mm, strict=True)])
    origin = extent / 2 + np.array([0.0, rng.uniform(-10.0, 10.0), rng.uniform(-15.0, 15.0)])
    yaw = float(np.deg2rad(rng.uniform(-4.0, 4.0)))
    return Frame(origin_mm=origin, rotation=rotation_zyx(angles_rad=(yaw, 0.0, 0.0)), scale=np.ones(3))


def _organ_layout(
    *, length: float, lean_yx: tuple[float, float], rng: np.random.Generator
) -> dict[str, list[tuple[Vec3, Vec3]]]:
    """Organ ellipsoids ``(centre, semi-axes)`` in the body frame (mm), jittered; spine is a cylinder."""
    ay, ax = lean_yx

    def organ(at: float, y: float, x: float, semi: tuple[float, float, float]) -> tuple[Vec3, Vec3]:
        jitter = rng.uniform(-0.04, 0.04, size=3)
        size = rng.uniform(0.88, 1.12, size=3)
        centre: Vec3 = ((at - 0.5 + jitter[0]) * length, (y + jitter[1]) * ay, (x + jitter[2]) * ax)
        semis: Vec3 = (semi[0] * length * size[0], semi[1] * ay * size[1], semi[2] * ax * size[2])
        return centre, semis

    return {
        "lung": [organ(0.80, 0.05, side * 0.42, (0.24, 0.68, 0.32)) for side in (-1.0, 1.0)],
        "liver": [organ(0.53, -0.05, -0.38, (0.17, 0.72, 0.42))],
        "spleen": [organ(0.50, 0.30, 0.52, (0.09, 0.28, 0.2))],
        "kidney": [organ(0.38, 0.45, side * 0.42, (0.14, 0.25, 0.16)) for side in (-1.0, 1.0)],
        "heart": [organ(0.66, -0.28, 0.12, (0.15, 0.42, 0.30))],
        "bladder": [organ(0.10, -0.25, 0.0, (0.09, 0.30, 0.25))],
        "spine": [((0.0, 0.68 * ay, 0.0), (length, uniform(rng, (0.13, 0.16)) * ay, 0.12 * ay))],
    }


def _suv_levels(*, rng: np.random.Generator) -> dict[str, float]:
    return {tissue: uniform(rng, bounds) for tissue, bounds in _SUV_RANGES.items()}


def _paint_body(
    *, canvas: Canvas, frame: Frame, habitus: Habitus, levels: dict[str, float]
) -> tuple[Cylinder, Cylinder]:
    """The body outline (fat) and the lean compartment inside the fat layer; returns both cylinders."""
    half_length = 2.0 * canvas.grid_shape[0] * canvas.spacing_mm[0]
    ay, ax = habitus.semi_yx_mm
    body = frame.cylinder(centre_mm=(0.0, 0.0, 0.0), semi_axes_mm=(half_length, ay, ax))
    lean_axes: Vec3 = (half_length, ay - habitus.fat_mm, ax - habitus.fat_mm)
    lean = frame.cylinder(centre_mm=(0.0, 0.0, 0.0), semi_axes_mm=lean_axes)
    canvas.paint(label="fat", shape=body, activity_bqml=levels["fat"], mu_per_mm=MU_FAT)
    canvas.paint(label="soft_tissue", shape=lean, activity_bqml=levels["soft_tissue"], mu_per_mm=MU_SOFT_TISSUE)
    return body, lean


def _paint_heart(*, canvas: Canvas, frame: Frame, centre: Vec3, semi: Vec3, levels: dict[str, float]) -> None:
    """Myocardium (a hot ellipsoidal shell, obliquely oriented) around the blood pool of the left ventricle."""
    tilt = rotation_zyx(angles_rad=(float(np.deg2rad(-40.0)), float(np.deg2rad(30.0)), 0.0))
    world = frame.point(centre)
    for label, factor in (("myocardium", 1.0), ("blood_pool", 0.6)):
        axes: Vec3 = (semi[0] * factor, semi[1] * factor, semi[2] * factor)
        shape = Ellipsoid(centre_mm=world, rotation=frame.rotation @ tilt, semi_axes_mm=axes)
        canvas.paint(label=label, shape=shape, activity_bqml=levels[label], mu_per_mm=MU_SOFT_TISSUE)


def _paint_organs(
    *,
    canvas: Canvas,
    frame: Frame,
    layout: dict[str, list[tuple[Vec3, Vec3]]],
    levels: dict[str, float],
    bladder_scale: float,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Lungs, liver, spleen, kidneys, spine, heart and bladder, in that order; returns the mu drawn (1/mm)."""
    mus = {"lung": uniform(rng, MU_LUNG_RANGE), "spine": uniform(rng, MU_BONE_RANGE)}
    for label in ("lung", "liver", "spleen", "kidney"):
        for centre, semi in layout[label]:
            canvas.paint(
                label=label,
                shape=frame.ellipsoid(centre_mm=centre, semi_axes_mm=semi),
                activity_bqml=levels[label],
                mu_per_mm=mus.get(label, MU_SOFT_TISSUE),
            )
    ((spine_centre, spine_semi),) = layout["spine"]
    canvas.paint(
        label="spine",
        shape=frame.cylinder(centre_mm=spine_centre, semi_axes_mm=spine_semi),
        activity_bqml=levels["spine"],
        mu_per_mm=mus["spine"],
    )
    ((heart_centre, heart_semi),) = layout["heart"]
    _paint_heart(canvas=canvas, frame=frame, centre=heart_centre, semi=heart_semi, levels=levels)
    ((bladder_centre, bladder_semi),) = layout["bladder"]
    grown: Vec3 = (bladder_semi[0] * bladder_scale, bladder_semi[1] * bladder_scale, bladder_semi[2] * bladder_scale)
    canvas.paint(
        label="bladder",
        shape=frame.ellipsoid(centre_mm=bladder_centre, semi_axes_mm=grown),
        activity_bqml=levels["bladder"],
        mu_per_mm=MU_SOFT_TISSUE,
    )
    return mus


def lesion_spec(*, hosts: tuple[str, ...] | None, diameter_mm: tuple[float, float] | None) -> LesionSpec:
    """The default lesion draw, or lesions only in ``hosts`` (equally likely) and/or of ``diameter_mm`` (mm);
    InputError (check ``phantom_lesions``) for an unknown host or an empty or reversed range."""
    if hosts is not None and (not hosts or any(host not in LESION_HOSTS for host in hosts)):
        raise InputError(
            f"Argument 'lesion_hosts' should name some of {list(LESION_HOSTS)}, got {list(hosts)}.",
            check="phantom_lesions",
        )
    if diameter_mm is not None and not (len(diameter_mm) == 2 and 0 < diameter_mm[0] <= diameter_mm[1]):
        raise InputError(
            f"Argument 'lesion_diameter_mm' should be (min, max) with 0 < min ≤ max, got {diameter_mm}.",
            check="phantom_lesions",
        )
    return LesionSpec(
        hosts=hosts or _LESION_SPEC.hosts,
        host_weights=(1.0,) * len(hosts) if hosts else _LESION_SPEC.host_weights,
        diameter_mm=diameter_mm or _LESION_SPEC.diameter_mm,
        contrast=_LESION_SPEC.contrast,
    )


def _check_arguments(*, variant: str, n_lesions: tuple[int, int], ood: Collection[str]) -> None:
    if variant not in TORSO_VARIANTS:
        raise InputError(
            f"Argument 'variant' should be one of {TORSO_VARIANTS}, got {variant!r}.", check="phantom_variant"
        )
    if len(n_lesions) != 2 or not 0 <= n_lesions[0] <= n_lesions[1]:
        raise InputError(
            f"Argument 'n_lesions' should be a (min, max) range with 0 <= min <= max, got {n_lesions}.",
            check="phantom_lesions",
        )
    unknown = sorted(set(ood) - set(OOD_FEATURES))
    if unknown:
        raise InputError(f"Argument 'ood' should hold only {OOD_FEATURES}, got {unknown}.", check="phantom_ood")


def _masks(*, canvas: Canvas, lesion_names: list[str], ood: Collection[str]) -> dict[str, BoolArray]:
    labels = ("fat", "soft_tissue", "lung", "liver", "spleen", "kidney", "spine", "myocardium", "blood_pool", "bladder")
    masks = {label: canvas.mask(label) for label in labels}
    masks |= {f"lesion:{name}": lesion_mask(canvas=canvas, name=name) for name in lesion_names}
    if "catheter" in ood:
        masks["ood:catheter"] = canvas.mask("ood:catheter", threshold=CATHETER_MASK_THRESHOLD)
    if "bladder" in ood:
        masks["ood:bladder"] = masks["bladder"].copy()
    return masks


def _levels_bqml(*, suv: dict[str, float], dose_bq: float, weight_kg: float) -> dict[str, float]:
    return {
        tissue: activity_from_suv(suv=value, injected_dose_bq=dose_bq, weight_kg=weight_kg)
        for tissue, value in suv.items()
    }


def _paint_anatomy(
    *, canvas: Canvas, habitus: Habitus, levels: dict[str, float], bladder_scale: float, rng: np.random.Generator
) -> tuple[Cylinder, Cylinder, dict[str, float]]:
    """Body, fat layer and organs; returns the body and lean-compartment cylinders and the mu drawn (1/mm)."""
    frame = _body_frame(rng=rng, grid_shape=canvas.grid_shape, spacing_mm=canvas.spacing_mm)
    body, lean = _paint_body(canvas=canvas, frame=frame, habitus=habitus, levels=levels)
    lean_yx = (lean.semi_axes_mm[1], lean.semi_axes_mm[2])
    length = (canvas.grid_shape[0] - 1) * canvas.spacing_mm[0]
    layout = _organ_layout(length=length, lean_yx=lean_yx, rng=rng)
    mus = _paint_organs(canvas=canvas, frame=frame, layout=layout, levels=levels, bladder_scale=bladder_scale, rng=rng)
    return body, lean, mus


def make_torso_phantom(
    *,
    seed: int,
    variant: str = "low_bmi",
    shape: tuple[int, int, int] = DEFAULT_SHAPE,
    spacing_mm: Vec3 = DEFAULT_SPACING_MM,
    n_lesions: tuple[int, int] = DEFAULT_N_LESIONS,
    ood: Collection[str] = (),
    lesion_hosts: tuple[str, ...] | None = None,
    lesion_diameter_mm: tuple[float, float] | None = None,
) -> Phantom:
    """A randomised FDG torso with hot lesions (sizes, positions, uptakes, habitus and dose drawn per seed).

    Args:
        seed: seeds the ``numpy.random.Generator`` that draws everything; recorded in the phantom.
        variant: ``"low_bmi"`` (58-72 kg, 8-15 mm fat) or ``"high_bmi"`` (100-120 kg, 30-45 mm fat, wider body).
        shape: ``(z, y, x)`` voxels; the default field of view is 256 x 512 x 512 mm.
        spacing_mm: ``(z, y, x)`` voxel size, mm.
        n_lesions: inclusive range of the number of lesions drawn (fewer are placed if they do not fit).
        ood: out-of-distribution features to add: ``"catheter"``, ``"bladder"`` (very hot, 20-50x liver).
        lesion_hosts: lesions only in these tissues (equally likely), None for liver 40 %, lung and soft tissue
            30 % each.
        lesion_diameter_mm: (min, max) lesion diameter, mm (log-uniform), None for 6-30 mm.

    Returns:
        Phantom with ``activity`` (Bq/ml) and ``mu`` (1/mm) ``(z, y, x) float32``. Lesions are 6-30 mm spheres at
        2-8x their host's activity (liver, lung or soft tissue); masks: ``body``, ``fat``, ``soft_tissue``, ``lung``,
        ``liver``, ``spleen``, ``kidney``, ``spine``, ``myocardium``, ``blood_pool``, ``bladder``,
        ``lesion:<name>`` and ``ood:<feature>``. ``extras``: declared ``"suv"`` and ``"levels_bqml"`` per tissue,
        ``"lesion_hosts"``, ``"habitus"``, ``"ood"``. ``SUV = activity * weight_g / injected_dose_bq`` holds
        exactly: the dose is the activity at scan start (no decay between injection and scan is modelled).
    """
    _check_arguments(variant=variant, n_lesions=n_lesions, ood=ood)
    spec = lesion_spec(hosts=lesion_hosts, diameter_mm=lesion_diameter_mm)
    rng = np.random.default_rng(seed)
    canvas = new_canvas(grid_shape=shape, spacing_mm=spacing_mm)
    habitus = _habitus(variant=variant, rng=rng)
    dose_bq = uniform(rng, (2.5e8, 4.0e8))
    suv = _suv_levels(rng=rng)
    bladder_ratio, bladder_scale = hot_bladder_factor(rng=rng) if "bladder" in ood else (0.0, 1.0)
    if "bladder" in ood:
        suv["bladder"] = bladder_ratio * suv["liver"]
    levels = _levels_bqml(suv=suv, dose_bq=dose_bq, weight_kg=habitus.weight_kg)
    body, lean, mus = _paint_anatomy(
        canvas=canvas, habitus=habitus, levels=levels, bladder_scale=bladder_scale, rng=rng
    )
    ood_record: dict[str, object] = {}
    if "bladder" in ood:
        ood_record["bladder"] = {"bladder_to_liver": bladder_ratio, "size_factor": bladder_scale}
    if "catheter" in ood:
        ood_record["catheter"] = paint_catheter(
            canvas=canvas, body=body, lean=lean, liver_bqml=levels["liver"], rng=rng
        )
    count = int(rng.integers(n_lesions[0], n_lesions[1] + 1))
    placed = place_lesions(canvas=canvas, spec=spec, count=count, rng=rng)
    extras: dict[str, object] = {
        "suv": suv,
        "levels_bqml": levels,
        "mu_per_mm": mus,
        "ood": ood_record,
        "lesion_hosts": {p.lesion.name: p.host for p in placed},
        "habitus": {"semi_yx_mm": habitus.semi_yx_mm, "fat_mm": habitus.fat_mm},
    }
    return build_phantom(
        canvas=canvas,
        kind=PhantomKind.TORSO,
        variant=variant,
        masks=_masks(canvas=canvas, lesion_names=[p.lesion.name for p in placed], ood=ood),
        lesions=tuple(p.lesion for p in placed),
        seed=seed,
        patient=(habitus.weight_kg, habitus.height_m, dose_bq),
        extras=extras,
    )
