"""Stage ``load``: read and validate the input PET series.

The reader's errors propagate unchanged: each is an :class:`~imaging.errors.InputError` naming its check and,
once the series is known, its UID (see :mod:`imaging.dicom.reader`).
"""

from __future__ import annotations

from pathlib import Path

from imaging.dicom.reader import PetSeries, read_pet_series

__all__ = ["load_series"]


def load_series(*, input_dir: Path) -> PetSeries:
    """The PET series in ``input_dir``: ``(z, y, x) float32`` voxels (Bq/ml for BQML) and the headers in z order."""
    return read_pet_series(source=Path(input_dir))
