"""Size limits and bounded Deflated reading (:mod:`imaging.dicom.limits`, :mod:`imaging.dicom.bounded`)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000MC, DeflatedExplicitVRLittleEndian, RLELossless

from imaging.dicom.limits import HEADER_SLACK_BYTES, MAX_INFLATED_BYTES, MAX_ROWS
from imaging.dicom.reader import read_pet_series
from imaging.errors import NotDicomError, SeriesError, UnsupportedError
from tests.imaging.dicom.bombs import deflated_bomb
from tests.imaging.dicom.factories import make_pet_series, to_bytes, write_series

_MIB = 1024**2


def _series(shape: tuple[int, int, int] = (3, 16, 16)) -> list[Dataset]:
    return make_pet_series(rng=np.random.default_rng(7), shape=shape).datasets


def _deflated(datasets: list[Dataset]) -> list[bytes]:
    for ds in datasets:
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    return [to_bytes(ds) for ds in datasets]


def test_deflated_series_reads_like_its_explicit_original(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(1), shape=(4, 9, 7))
    blobs = _deflated(series.datasets)
    assert read_pet_series(source=blobs).volume.voxels.tobytes() == series.truth.tobytes()
    paths = [tmp_path / f"{index}.dcm" for index in range(len(blobs))]
    for path, blob in zip(paths, blobs, strict=True):
        path.write_bytes(blob)
    assert np.array_equal(read_pet_series(source=tmp_path).volume.voxels, series.truth)


def test_deflate_bomb_is_refused_in_bounded_memory() -> None:
    """512 MiB of zeros in a 0.5 MB file: the reader stops inflating at MAX_INFLATED_BYTES."""
    bomb = deflated_bomb(dataset=_series()[0], inflated_bytes=512 * _MIB)
    assert len(bomb) < 1 * _MIB
    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedError) as caught:
            read_pet_series(source=[bomb])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.check == "limits"
    assert caught.value.path == "<bytes #0>"
    assert peak < MAX_INFLATED_BYTES + 16 * _MIB


def test_deflated_file_larger_than_its_own_image_is_refused() -> None:
    """Under the global cap, but far more than a 16x16 image plus the header slack."""
    bomb = deflated_bomb(dataset=_series()[0], inflated_bytes=HEADER_SLACK_BYTES + 2 * _MIB)
    with pytest.raises(UnsupportedError, match="more than its image plus") as caught:
        read_pet_series(source=[bomb])
    assert caught.value.check == "limits"


def test_corrupt_deflate_stream_is_not_dicom() -> None:
    blob = _deflated(_series()[:1])[0]
    meta_end = blob.index(DeflatedExplicitVRLittleEndian.encode()) + len(DeflatedExplicitVRLittleEndian) + 1
    damaged = blob[:meta_end] + b"\xff" * 64
    with pytest.raises(NotDicomError) as caught:
        read_pet_series(source=[damaged])
    assert caught.value.check == "truncated"


@pytest.mark.parametrize(
    ("keyword", "value", "match"),
    [
        ("Rows", MAX_ROWS + 1, "Attribute 'Rows'"),
        ("Columns", 65535, "Attribute 'Columns'"),
        ("NumberOfFrames", 1_000_000, "would decode to"),
    ],
)
def test_huge_image_is_refused_before_decode(
    keyword: str, value: int, match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = _series()
    for ds in datasets:
        setattr(ds, keyword, value)
    paths = write_series(datasets, tmp_path)

    def no_decode(self: Dataset) -> None:
        raise AssertionError("pixel_array was called")

    monkeypatch.setattr(Dataset, "pixel_array", property(no_decode))
    with pytest.raises(UnsupportedError, match=match) as caught:
        read_pet_series(source=paths)
    assert caught.value.check == "limits"
    assert caught.value.uid == datasets[0].SeriesInstanceUID
    assert caught.value.path == str(paths[0])


def test_negative_rows_is_an_attribute_error() -> None:
    datasets = _series()
    for ds in datasets:
        ds.NumberOfFrames = "-3"
    with pytest.raises(SeriesError) as caught:
        read_pet_series(source=[to_bytes(ds) for ds in datasets])
    assert caught.value.check == "attribute"


def test_encapsulated_data_far_larger_than_its_image_is_refused() -> None:
    datasets = _series()
    for ds in datasets:
        ds.file_meta.TransferSyntaxUID = RLELossless
        ds.PixelData = encapsulate([bytes(HEADER_SLACK_BYTES + 1024)])
    with pytest.raises(UnsupportedError, match="encapsulated Pixel Data") as caught:
        read_pet_series(source=[to_bytes(ds) for ds in datasets])
    assert caught.value.check == "limits"


def test_syntax_pydicom_has_no_decoder_class_for_is_unsupported() -> None:
    datasets = _series()
    for ds in datasets:
        ds.file_meta.TransferSyntaxUID = JPEG2000MC
        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(60)])
    with pytest.raises(UnsupportedError, match=JPEG2000MC.name) as caught:
        read_pet_series(source=[to_bytes(ds) for ds in datasets])
    assert caught.value.check == "transfer_syntax"
