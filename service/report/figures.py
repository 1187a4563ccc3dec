"""The report's pictures: input and output, an axial slice and a coronal MIP each, all at one window (pure); and,
when the job wrote one, the voxel-wise uncertainty of the output beside them, at its own window.

The axial slice is the input's hottest (the slice holding its maximum), the same index in the output (and the
uncertainty). The window is chosen on the input (:func:`imaging.render.window.shared_window`) and shown in SUVbw
when the input's SUV factor is known, else in its units; the uncertainty's window is chosen the same way on the
uncertainty itself (its coronal MIP shows the largest uncertainty along each line). Images are inverted grey (hot
is dark) at their native grid; their size on the page keeps the true aspect (pixel spacing, and the slice spacing
along z for the MIP) on one mm scale.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.render.png import encode_png
from imaging.render.views import axial_slice, coronal_mip, display_size, hottest_slice
from imaging.render.window import Window, apply_window, shared_window
from imaging.volume import PetVolume, Units

__all__ = ["DEFAULT_WIDTH_PX", "Figure", "Figures", "report_figures", "window_label"]

DEFAULT_WIDTH_PX = 360
"""Width on the page (CSS px) of an image spanning the volume's x extent."""


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One picture.

    Attributes:
        key: its HTML id, e.g. ``axial-input``.
        title, alt: its caption and its alternative text.
        png: the PNG file, 8-bit grey, ``shape`` ``(rows, columns)`` pixels.
        display: ``(height, width)`` on the page, CSS px.
    """

    key: str
    title: str
    alt: str
    png: bytes
    shape: tuple[int, int]
    display: tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class Figures:
    """The pictures, row by row (axial input, axial output, [axial uncertainty], MIP input, MIP output, [MIP
    uncertainty]), the window, the slice shown and, with the uncertainty, its own window."""

    items: tuple[Figure, ...]
    window: str
    slice_index: int
    slice_position_mm: float
    uncertainty_window: str | None = None
    uncertainty_missing: str | None = None
    """why the uncertainty the job wrote is not shown (it could not be read), None otherwise"""

    @property
    def columns(self) -> int:
        """Pictures per row: 3 with the uncertainty, else 2."""
        return 2 if self.uncertainty_window is None else 3


def window_label(*, window: Window, volume: PetVolume) -> str:
    """``window`` as text: in SUVbw when ``volume`` has an SUV factor, else in its units."""
    factor = volume.suv.factor
    if factor is not None:
        return f"{window.low * factor:.3g}–{window.high * factor:.3g} SUVbw"
    unit = {Units.BQML: "Bq/ml", Units.OTHER: volume.units_raw or "(unknown unit)"}.get(volume.units, volume.units)
    return f"{window.low:.4g}–{window.high:.4g} {unit}"


@dataclass(frozen=True, kw_only=True)
class _Frame:
    """What the four pictures share: window, slice, orientation and mm scale."""

    window: Window
    label: str
    index: int
    where: str
    head_up: bool
    spacing_mm: tuple[float, float, float]
    px_per_mm: float


def _figure(
    *, key: str, title: str, image: npt.NDArray[np.float32], frame: _Frame, spacing: tuple[float, float]
) -> Figure:
    shape = (int(image.shape[0]), int(image.shape[1]))
    return Figure(
        key=key,
        title=title,
        alt=f"{title}: inverted grey (dark is hot), window {frame.label}",
        png=encode_png(image=apply_window(image=image, window=frame.window, invert=True)),
        shape=shape,
        display=display_size(shape=shape, spacing_mm=spacing, px_per_mm=frame.px_per_mm),
    )


def _pictures(*, role: str, volume: PetVolume, frame: _Frame) -> tuple[Figure, Figure]:
    """The axial slice and the coronal MIP of ``volume`` (the ``role`` series: input or output)."""
    dz, dy, dx = frame.spacing_mm
    axial = axial_slice(voxels=volume.voxels, index=frame.index)
    mip = coronal_mip(voxels=volume.voxels, head_at_high_z=frame.head_up)
    return (
        _figure(key=f"axial-{role}", title=f"Axial {frame.where}, {role}", image=axial, frame=frame, spacing=(dy, dx)),
        _figure(key=f"mip-{role}", title=f"Coronal MIP, {role}", image=mip, frame=frame, spacing=(dz, dx)),
    )


def report_figures(
    *, before: PetVolume, after: PetVolume, uncertainty: PetVolume | None = None, width_px: int = DEFAULT_WIDTH_PX
) -> Figures:
    """The pictures of input ``before``, output ``after`` and, when given, the output's ``uncertainty`` (same grid
    and units), row by row (:class:`Figures`); ``width_px`` is the page width of the volume's x extent."""
    for name, other in (("after", after), ("uncertainty", uncertainty)):
        if other is not None and other.shape != before.shape:
            raise ValueError(
                f"Arguments 'before' and '{name}' should have one shape, got {before.shape}, {other.shape}."
            )
    geometry = before.geometry
    window = shared_window(voxels=before.voxels)
    index = hottest_slice(voxels=before.voxels)
    position = geometry.slice_positions_mm[index]
    frame = _Frame(
        window=window,
        label=window_label(window=window, volume=before),
        index=index,
        where=f"slice {index + 1} of {before.shape[0]} (at {position:.1f} mm)",
        head_up=geometry.slice_direction[2] > 0,
        spacing_mm=geometry.spacing_mm,
        px_per_mm=width_px / (before.shape[2] * geometry.spacing_mm[2]),
    )
    axial_in, mip_in = _pictures(role="input", volume=before, frame=frame)
    axial_out, mip_out = _pictures(role="output", volume=after, frame=frame)
    if uncertainty is None:
        items = (axial_in, axial_out, mip_in, mip_out)
        return Figures(items=items, window=frame.label, slice_index=index, slice_position_mm=position)
    own = shared_window(voxels=uncertainty.voxels)
    frame = dataclasses.replace(frame, window=own, label=window_label(window=own, volume=uncertainty))
    axial_u, mip_u = _pictures(role="uncertainty", volume=uncertainty, frame=frame)
    return Figures(
        items=(axial_in, axial_out, axial_u, mip_in, mip_out, mip_u),
        window=window_label(window=window, volume=before),
        slice_index=index,
        slice_position_mm=position,
        uncertainty_window=frame.label,
    )
