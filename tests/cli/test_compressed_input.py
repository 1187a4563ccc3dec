"""``petiq`` on compressed and hostile input: a JPEG-LS series is processed; a Deflated bomb exits 2, one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEGLSLossless

from cli.main import main
from imaging.dicom.reader import read_pet_series
from tests.imaging.dicom.bombs import deflated_bomb
from tests.imaging.dicom.encodings import crop, encode
from tests.imaging.dicom.factories import make_pet_series, to_bytes
from tests.workers.builders import identity_bundle


def test_process_reads_a_jpeg_ls_series(real_ge_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "jpeg-ls"
    folder.mkdir()
    originals = crop(real_ge_dir)
    for path in originals:
        (folder / path.name).write_bytes(to_bytes(encode(pydicom.dcmread(path), JPEGLSLossless)))
    weights = identity_bundle(directory=tmp_path / "identity").directory
    out = tmp_path / "out"
    args = ["process", str(folder), "-o", str(out), "--weights", str(weights), "--no-score", "--adapt", "off"]
    assert main(args) == 0
    source = read_pet_series(source=originals).volume
    derived = read_pet_series(source=out / "denoised").volume
    assert derived.geometry == source.geometry
    np.testing.assert_allclose(derived.voxels, source.voxels, rtol=1e-3, atol=1e-3 * float(source.voxels.max()))


def test_deflate_bomb_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = make_pet_series(rng=np.random.default_rng(2), shape=(1, 16, 16)).datasets[0]
    (tmp_path / "bomb.dcm").write_bytes(deflated_bomb(dataset=dataset, inflated_bytes=256 * 1024**2))
    assert main(["inspect", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "inflates to more than" in err and "bomb.dcm" in err
