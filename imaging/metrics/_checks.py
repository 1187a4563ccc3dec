"""Argument checks shared by the metrics; every failure is an :class:`InputError` naming the argument."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError

__all__ = ["as_image", "as_mask", "as_spacing", "positive", "same_shape"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def as_image(*, value: npt.ArrayLike, name: str, ndim: int | tuple[int, ...] = 3) -> FloatArray:
    """``value`` as a float64 array of ``ndim`` dimensions with only finite values."""
    array = np.asarray(value)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        wanted = " or ".join(f"{n}D" for n in allowed)
        raise InputError(f"Argument '{name}' should be a {wanted} array, got shape {array.shape}.", check="shape")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise InputError(f"Argument '{name}' should hold real numbers, got dtype {array.dtype}.", check="dtype")
    result = array.astype(np.float64)
    if not np.all(np.isfinite(result)):
        raise InputError(f"Argument '{name}' should hold only finite values (no NaN or inf).", check="finite")
    return result


def as_mask(*, value: npt.ArrayLike | None, name: str, shape: tuple[int, ...]) -> BoolArray:
    """``value`` as a non-empty boolean mask of ``shape``; None means every voxel."""
    if value is None:
        return np.ones(shape, dtype=np.bool_)
    mask = np.asarray(value)
    if mask.dtype != np.bool_:
        raise InputError(f"Argument '{name}' should be a boolean array, got dtype {mask.dtype}.", check="mask")
    if mask.shape != shape:
        raise InputError(f"Argument '{name}' should have the image's shape {shape}, got {mask.shape}.", check="shape")
    if not mask.any():
        raise InputError(f"Argument '{name}' should select at least one voxel; it is empty.", check="mask")
    return mask


def as_spacing(*, value: Sequence[float], name: str, length: int) -> tuple[float, ...]:
    """``value`` as ``length`` positive finite spacings in mm."""
    spacing = tuple(float(v) for v in value)
    if len(spacing) != length or not all(math.isfinite(v) and v > 0 for v in spacing):
        raise InputError(
            f"Argument '{name}' should be {length} positive spacings in mm, got {tuple(value)}.", check="spacing"
        )
    return spacing


def positive(*, value: float, name: str) -> float:
    """``value`` as a float after checking it is finite and > 0."""
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"Argument '{name}' should be a positive finite number, got {value}.", check=name)
    return number


def same_shape(*, value: FloatArray, name: str, reference: FloatArray, reference_name: str) -> None:
    """Raise unless ``value`` and ``reference`` have the same shape."""
    if value.shape != reference.shape:
        raise InputError(
            f"Argument '{name}' should have the shape of '{reference_name}' {reference.shape}, got {value.shape}.",
            check="shape",
        )
