"""Small phantoms built directly as ``Phantom`` for the projector, acquisition and reconstruction tests."""

from __future__ import annotations

import numpy as np

from imaging.simulation.phantom import Phantom, PhantomKind

WATER_MU_PER_MM = 0.0096


def cylinder_phantom(
    *,
    nz: int = 8,
    n: int = 64,
    pixel_mm: float = 4.0,
    radius_mm: float = 100.0,
    activity_bqml: float = 5000.0,
    hot_discs: bool = False,
) -> Phantom:
    """A water-filled cylinder along z with uniform activity; optionally three 4:1 hot discs (radius 12 mm)."""
    yy, xx = np.meshgrid(
        (np.arange(n) - (n - 1) / 2) * pixel_mm, (np.arange(n) - (n - 1) / 2) * pixel_mm, indexing="ij"
    )
    disc = np.broadcast_to(xx**2 + yy**2 <= radius_mm**2, (nz, n, n))
    activity = np.where(disc, activity_bqml, 0.0).astype(np.float32)
    masks = {"body": disc.copy(), "uniform": disc.copy()}
    if hot_discs:
        hot = np.zeros((nz, n, n), dtype=bool)
        for angle in (0.0, 2.1, 4.2):
            cy, cx = 55.0 * np.sin(angle), 55.0 * np.cos(angle)
            hot[:] |= (xx - cx) ** 2 + (yy - cy) ** 2 <= 12.0**2
        activity[hot] = 4 * activity_bqml
        masks["hot"] = hot
        masks["uniform"] = disc & ~_dilate(hot, n_pixels=int(np.ceil(20.0 / pixel_mm)))
    mu = np.where(disc, WATER_MU_PER_MM, 0.0).astype(np.float32)
    return Phantom(
        kind=PhantomKind.NEMA,
        variant="cylinder",
        activity=activity,
        mu=mu,
        spacing_mm=(pixel_mm, pixel_mm, pixel_mm),
        masks=masks,
    )


def _dilate(mask: np.ndarray, *, n_pixels: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(n_pixels):
        out[:, 1:, :] |= out[:, :-1, :].copy()
        out[:, :-1, :] |= out[:, 1:, :].copy()
        out[:, :, 1:] |= out[:, :, :-1].copy()
        out[:, :, :-1] |= out[:, :, 1:].copy()
    return out
