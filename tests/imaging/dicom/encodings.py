"""Re-encoding test series in the lossless transfer syntaxes petiq reads (in memory or tmp_path, never committed)."""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless, RLELossless

__all__ = ["LOSSLESS", "crop", "encode"]

LOSSLESS = [RLELossless, JPEGLSLossless, JPEG2000Lossless, DeflatedExplicitVRLittleEndian]


def encode(dataset: Dataset, syntax: UID) -> Dataset:
    """``dataset`` re-encoded in ``syntax`` (same SOPInstanceUID)."""
    if syntax == DeflatedExplicitVRLittleEndian:
        dataset.file_meta.TransferSyntaxUID = syntax
    else:
        dataset.compress(syntax, generate_instance_uid=False)
    return dataset


def crop(real_ge_dir: Path) -> list[Path]:
    """Four consecutive slices from the middle of the real GE series (the crop keeps the test fast)."""
    return sorted(real_ge_dir.iterdir())[130:134]
