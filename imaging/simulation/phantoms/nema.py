"""NEMA NU 2 / IEC 61675-1 body phantom: D-shaped torso, six hot spheres and a cold lung insert. Evaluation only.

Phantom frame: origin on the phantom's axis (the lung insert's axis), in the sphere plane's axial range; local z
superior (the cover end), y posterior (the flat side of the "D"), x left, as the grid's axes. The interior is
~300 mm wide and 224 mm deep, 180 mm long; the spheres' centres lie 70 mm from the cover, on a 114.4 mm circle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.simulation.phantom import Lesion, Phantom, PhantomKind
from imaging.simulation.phantoms.assemble import build_phantom
from imaging.simulation.phantoms.canvas import Canvas, new_canvas
from imaging.simulation.phantoms.lesions import lesion_mask
from imaging.simulation.phantoms.shapes import Cylinder, DSection, Ellipsoid, Vec3
from imaging.simulation.phantoms.tissues import MU_LUNG_RANGE, MU_WATER, uniform

DEFAULT_SHAPE: tuple[int, int, int] = (64, 96, 96)
DEFAULT_SPACING_MM: Vec3 = (3.0, 3.5, 3.5)
__all__ = ["DEFAULT_SHAPE", "DEFAULT_SPACING_MM", "SPHERE_DIAMETERS_MM", "background_roi_centres", "make_nema_phantom"]

Float64Array = npt.NDArray[np.float64]
SPHERE_DIAMETERS_MM = (10.0, 13.0, 17.0, 22.0, 28.0, 37.0)
SPHERE_RING_RADIUS_MM = 57.2
LUNG_INSERT_RADIUS_MM = 25.5
BODY_HALF_LENGTH_MM = 90.0
SPHERE_PLANE_FROM_COVER_MM = 70.0
BACKGROUND_BQML = 5.3e3
CONTRAST = 4.0
ROI_RADIUS_MM = 18.5  # the largest NU 2 background ROI (37 mm)
ROI_GAP_MM = 15.0
ROI_SLICE_OFFSETS_MM = (-20.0, -10.0, 0.0, 10.0, 20.0)
_N_ROIS = 12


def _sphere_offsets_mm() -> list[tuple[float, float]]:
    """In-plane ``(y, x)`` offsets of the sphere centres from the phantom axis, smallest sphere first."""
    angles = np.deg2rad(np.arange(len(SPHERE_DIAMETERS_MM)) * 60.0)
    return [(SPHERE_RING_RADIUS_MM * float(np.sin(a)), SPHERE_RING_RADIUS_MM * float(np.cos(a))) for a in angles]


def background_roi_centres() -> list[tuple[float, float]]:
    """Twelve in-plane ``(y, x)`` ROI centres (mm from the axis): 15 mm from the wall and from every sphere.

    Candidates lie on a 1 mm lattice in a 4 mm band just inside the allowed region (the wall inset by 15 mm plus
    the 37 mm ROI's radius); twelve spread-out ones are chosen by farthest-point sampling from the most anterior.
    """
    inset = ROI_GAP_MM + ROI_RADIUS_MM
    y, x = (g.ravel() for g in np.meshgrid(np.arange(-150.0, 151.0), np.arange(-150.0, 151.0), indexing="ij"))
    zero = np.zeros_like(y)
    allowed = DSection(
        centre_mm=(0.0, 0.0, 0.0), half_length_mm=1.0, top_radius_mm=147.0 - inset, bottom_radius_mm=77.0 - inset
    )
    deeper = DSection(
        centre_mm=(0.0, 0.0, 0.0),
        half_length_mm=1.0,
        top_radius_mm=147.0 - inset - 4.0,
        bottom_radius_mm=77.0 - inset - 4.0,
    )
    keep = allowed.contains(z=zero, y=y, x=x) & ~deeper.contains(z=zero, y=y, x=x)
    obstacles = [(*c, d / 2) for c, d in zip(_sphere_offsets_mm(), SPHERE_DIAMETERS_MM, strict=True)]
    for cy, cx, radius in [*obstacles, (0.0, 0.0, LUNG_INSERT_RADIUS_MM)]:
        keep &= np.hypot(y - cy, x - cx) >= radius + inset
    points = np.stack([y[keep], x[keep]], axis=1)
    chosen = [int(np.argmin(points[:, 0]))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    while len(chosen) < min(_N_ROIS, points.shape[0]):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return [(float(points[i, 0]), float(points[i, 1])) for i in chosen]


def _paint(*, canvas: Canvas, axis: Float64Array, background: float, mu_lung: float) -> list[Lesion]:
    """Body, lung insert and spheres around the phantom ``axis`` point (world mm); returns the spheres."""
    centre: Vec3 = (float(axis[0]), float(axis[1]), float(axis[2]))
    canvas.paint(
        label="background",
        shape=DSection(centre_mm=centre, half_length_mm=BODY_HALF_LENGTH_MM),
        activity_bqml=background,
        mu_per_mm=MU_WATER,
    )
    insert = Cylinder(
        centre_mm=centre, semi_axes_mm=(BODY_HALF_LENGTH_MM, LUNG_INSERT_RADIUS_MM, LUNG_INSERT_RADIUS_MM)
    )
    canvas.paint(label="lung_insert", shape=insert, activity_bqml=0.0, mu_per_mm=mu_lung)
    plane_z = centre[0] + BODY_HALF_LENGTH_MM - SPHERE_PLANE_FROM_COVER_MM
    spheres = []
    for diameter, (dy, dx) in zip(SPHERE_DIAMETERS_MM, _sphere_offsets_mm(), strict=True):
        position: Vec3 = (plane_z, centre[1] + dy, centre[2] + dx)
        name = f"sphere{diameter:.0f}"
        sphere = Ellipsoid(centre_mm=position, semi_axes_mm=(diameter / 2,) * 3)
        canvas.paint(label=f"lesion:{name}", shape=sphere, activity_bqml=CONTRAST * background, mu_per_mm=MU_WATER)
        spheres.append(
            Lesion(
                name=name,
                centre_mm=position,
                diameter_mm=diameter,
                contrast=CONTRAST,
                activity_bqml=CONTRAST * background,
            )
        )
    return spheres


def make_nema_phantom(
    *, seed: int, shape: tuple[int, int, int] = DEFAULT_SHAPE, spacing_mm: Vec3 = DEFAULT_SPACING_MM
) -> Phantom:
    """The NEMA IEC body phantom at 4:1 sphere:background, ~5.3 kBq/ml background. For evaluation only.

    The seed draws a sub-voxel shift of the whole phantom (so partial-volume sampling differs) and a +-5 %
    background level. SUV of the background is 1 (dose = background x 70 kg).

    Args:
        seed: seeds the ``numpy.random.Generator``; recorded in the phantom.
        shape: ``(z, y, x)`` voxels; the default field of view (189 x 332.5 x 332.5 mm) holds the whole phantom.
        spacing_mm: ``(z, y, x)`` voxel size, mm.

    Returns:
        Phantom with masks ``body``, ``background`` (water minus spheres and insert), ``lung_insert``,
        ``lesion:sphere10`` ... ``lesion:sphere37``; ``extras``: ``"evaluation_only": True``,
        ``"sphere_plane_z_mm"``, ``"background_roi_centres_mm"`` (12 ``(z, y, x)`` centres in the sphere plane),
        ``"background_roi_slice_offsets_mm"`` (the NU 2 slices 0, +-10, +-20 mm), ``"background_roi_diameter_mm"``.
    """
    rng = np.random.default_rng(seed)
    canvas = new_canvas(grid_shape=shape, spacing_mm=spacing_mm)
    spacing = np.asarray(canvas.spacing_mm)
    extent = (np.asarray(canvas.grid_shape) - 1) * spacing
    axis = extent / 2 + rng.uniform(-0.5, 0.5, size=3) * spacing
    background = BACKGROUND_BQML * uniform(rng, (0.95, 1.05))
    spheres = _paint(canvas=canvas, axis=axis, background=background, mu_lung=uniform(rng, MU_LUNG_RANGE))
    plane_z = spheres[0].centre_mm[0]
    masks = {"background": canvas.mask("background"), "lung_insert": canvas.mask("lung_insert")}
    masks |= {f"lesion:{s.name}": lesion_mask(canvas=canvas, name=s.name) for s in spheres}
    rois = [(plane_z, float(axis[1]) + dy, float(axis[2]) + dx) for dy, dx in background_roi_centres()]
    extras: dict[str, object] = {
        "evaluation_only": True,
        "sphere_plane_z_mm": plane_z,
        "background_roi_centres_mm": rois,
        "background_roi_slice_offsets_mm": ROI_SLICE_OFFSETS_MM,
        "background_roi_diameter_mm": 2 * ROI_RADIUS_MM,
        "background_bqml": background,
    }
    weight_kg = 70.0
    return build_phantom(
        canvas=canvas,
        kind=PhantomKind.NEMA,
        variant="nema_iec_body",
        masks=masks,
        lesions=tuple(spheres),
        seed=seed,
        patient=(weight_kg, 1.75, background * weight_kg * 1e3),
        extras=extras,
    )
