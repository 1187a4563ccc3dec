"""Seed corpora for the fuzz harness, built at run time (never committed): slices of the real GE series when it
is there, the synthetic test series in every transfer syntax petiq reads, and STOW-RS bodies of them."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom

from tests.conftest import SHARED_DATA
from tests.imaging.dicom.encodings import LOSSLESS, encode
from tests.imaging.dicom.factories import make_pet_series, to_bytes
from tests.service.helpers import related_body

__all__ = ["write_seeds"]


def _files() -> list[bytes]:
    datasets = make_pet_series(rng=np.random.default_rng(11), shape=(2, 32, 32)).datasets
    real = SHARED_DATA / "pet-real-ge-sts001"
    if real.is_dir():
        datasets += [pydicom.dcmread(path) for path in sorted(real.iterdir())[130:132]]
    files = [to_bytes(ds) for ds in datasets]
    for syntax in LOSSLESS:
        files.append(to_bytes(encode(copy.deepcopy(datasets[0]), syntax)))
    return files


def write_seeds(*, target: str, directory: Path) -> int:
    """Write the seeds of ``target`` (``reader`` or ``multipart``) into ``directory``; how many."""
    directory.mkdir(parents=True, exist_ok=True)
    files = _files()
    if target == "multipart":
        files = [
            bytes([7]) + related_body(files[:2], boundary="petiq-fuzz"),
            bytes([200]) + related_body(files[2:3], boundary="petiq-fuzz"),
        ]
    for index, blob in enumerate(files):
        (directory / f"seed-{index:03d}").write_bytes(blob)
    return len(files)
