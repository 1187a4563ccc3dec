"""Compressed transfer syntaxes: the lossless ones decode to exactly the voxels of the uncompressed series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import UID

from imaging.dicom.reader import read_pet_series
from tests.imaging.dicom.encodings import LOSSLESS, crop, encode
from tests.imaging.dicom.factories import make_pet_series, to_bytes


@pytest.mark.parametrize("syntax", LOSSLESS, ids=[syntax.name for syntax in LOSSLESS])
def test_real_series_reencoded_reads_the_same_voxels(syntax: UID, real_ge_dir: Path, tmp_path: Path) -> None:
    originals = crop(real_ge_dir)
    expected = read_pet_series(source=originals)
    folder = tmp_path / "encoded"
    folder.mkdir()
    for path in originals:
        encoded = encode(pydicom.dcmread(path), syntax)
        (folder / path.name).write_bytes(to_bytes(encoded))
    got = read_pet_series(source=folder)
    assert all(str(ds.file_meta.TransferSyntaxUID) == syntax for ds in got.datasets)
    assert got.volume.voxels.tobytes() == expected.volume.voxels.tobytes()
    assert got.volume.uids == expected.volume.uids


@pytest.mark.parametrize("syntax", LOSSLESS, ids=[syntax.name for syntax in LOSSLESS])
def test_signed_values_survive_each_lossless_syntax(syntax: UID) -> None:
    """int16 with negative stored values (PixelRepresentation 1) round-trips exactly."""
    series = make_pet_series(rng=np.random.default_rng(5), shape=(3, 40, 36))
    blobs = []
    for ds, stored in zip(series.datasets, series.stored, strict=True):
        signed = (stored.astype(np.int32) - 16384).astype(np.int16)
        ds.PixelData = signed.astype("<i2").tobytes()
        blobs.append(to_bytes(encode(ds, syntax)))
    slopes = np.asarray(series.slopes, dtype=np.float64)[:, None, None]
    truth = ((series.stored.astype(np.float64) - 16384) * slopes).astype(np.float32)
    assert np.array_equal(read_pet_series(source=blobs).volume.voxels, truth)
