"""Bad input: every case raises the expected InputError subclass naming its check (and the series UID)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import (
    UID,
    CTImageStorage,
    EnhancedPETImageStorage,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    SecondaryCaptureImageStorage,
)

from imaging.dicom.reader import read_pet_series
from imaging.dicom.sources import SeriesSource
from imaging.errors import InputError, MixedSeriesError, NotDicomError, SeriesError, UnsupportedError
from tests.imaging.dicom.factories import SyntheticSeries, make_pet_series, to_bytes, write_series

SourceMaker = Callable[[SyntheticSeries, Path], SeriesSource]


def _blobs(series: SyntheticSeries) -> list[bytes]:
    return [to_bytes(ds) for ds in series.datasets]


def _not_dicom(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    write_series(series.datasets, tmp_path)
    (tmp_path / "notes.dcm").write_text("this is not DICOM\n" * 20)
    return tmp_path


def _truncated(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    blobs = _blobs(series)
    blobs[2] = blobs[2][:-7]
    return blobs


def _ct(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.Modality, ds.SOPClassUID = "CT", CTImageStorage
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    return _blobs(series)


def _mixed(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    other = make_pet_series(rng=np.random.default_rng(5), seed=99, shape=(2, 5, 4))
    return _blobs(series) + _blobs(other)


def _no_pixel_data(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    del series.datasets[3].PixelData
    return _blobs(series)


def _other_rows(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    ds = series.datasets[1]
    ds.Rows = 4
    ds.PixelData = np.zeros((4, 4), dtype="<i2").tobytes()
    return _blobs(series)


def _duplicate_position(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    series.datasets[4].ImagePositionPatient = series.datasets[3].ImagePositionPatient
    return _blobs(series)


def _missing_slice(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    return [blob for index, blob in enumerate(_blobs(series)) if index != 3]


def _undecodable_syntax() -> UID:
    for syntax in (JPEGLosslessSV1, JPEGLSLossless, JPEG2000Lossless):
        if not get_decoder(syntax).is_available:
            return syntax
    pytest.skip("every JPEG-family decoder is installed here")


def _compressed(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.file_meta.TransferSyntaxUID = _undecodable_syntax()
        ds.PixelData = encapsulate([b"\xff\xd8 not a real codestream \xff\xd9"])
    return _blobs(series)


def _rle_garbage(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.file_meta.TransferSyntaxUID = RLELossless
        ds.PixelData = encapsulate([b"\x00" * 64])
    return _blobs(series)


def _enhanced(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = EnhancedPETImageStorage
    return _blobs(series)


def _secondary_capture(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    return _blobs(series)


def _skewed_orientation(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.ImageOrientationPatient = ["1", "0", "0", "0.5", "1", "0"]
    return _blobs(series)


def _no_position(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    del series.datasets[2].ImagePositionPatient
    return _blobs(series)


def _no_slope(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    del series.datasets[2].RescaleSlope
    return _blobs(series)


def _zero_pixel_spacing(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    for ds in series.datasets:
        ds.PixelSpacing = ["0", "2"]
    return _blobs(series)


def _empty_directory(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    (tmp_path / "README.md").write_text("nothing here\n")
    return tmp_path


def _missing_file(series: SyntheticSeries, tmp_path: Path) -> SeriesSource:
    return [tmp_path / "absent.dcm"]


CASES: list[tuple[str, SourceMaker, type[InputError], str]] = [
    ("not DICOM", _not_dicom, NotDicomError, "not_dicom"),
    ("truncated file", _truncated, NotDicomError, "truncated"),
    ("CT series", _ct, SeriesError, "modality"),
    ("two series mixed", _mixed, MixedSeriesError, "single_series"),
    ("missing PixelData", _no_pixel_data, SeriesError, "pixel_data"),
    ("one slice with other Rows", _other_rows, SeriesError, "consistent_grid"),
    ("duplicate slice position", _duplicate_position, SeriesError, "duplicate_slice"),
    ("missing slice", _missing_slice, SeriesError, "slice_spacing"),
    ("undecodable compressed syntax", _compressed, UnsupportedError, "transfer_syntax"),
    ("damaged RLE data", _rle_garbage, SeriesError, "pixel_data"),
    ("Enhanced PET", _enhanced, UnsupportedError, "sop_class"),
    ("not a PET SOP class", _secondary_capture, SeriesError, "sop_class"),
    ("skewed orientation", _skewed_orientation, SeriesError, "image_orientation"),
    ("no ImagePositionPatient", _no_position, SeriesError, "attribute"),
    ("no RescaleSlope", _no_slope, SeriesError, "attribute"),
    ("zero PixelSpacing", _zero_pixel_spacing, SeriesError, "attribute"),
    ("no DICOM file in the directory", _empty_directory, InputError, "source"),
    ("a path that does not exist", _missing_file, InputError, "source"),
]

# The checks that run once the series is known carry its UID.
WITHOUT_UID = {"not_dicom", "single_series", "source"}


@pytest.mark.parametrize(("make", "error_class", "check"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_the_named_check(
    make: SourceMaker, error_class: type[InputError], check: str, tmp_path: Path
) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(6, 5, 4))
    with pytest.raises(error_class) as caught:
        read_pet_series(source=make(series, tmp_path))
    assert type(caught.value) is error_class
    assert caught.value.check == check
    if check not in WITHOUT_UID:
        assert caught.value.uid == series.datasets[0].SeriesInstanceUID


def test_mixed_series_lists_both(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(6, 5, 4))
    other_uid = make_pet_series(rng=np.random.default_rng(5), seed=99, shape=(2, 5, 4)).datasets[0].SeriesInstanceUID
    with pytest.raises(MixedSeriesError) as caught:
        read_pet_series(source=_mixed(series, tmp_path))
    message = str(caught.value)
    assert f"{series.datasets[0].SeriesInstanceUID}: 6 files" in message
    assert f"{other_uid}: 2 files" in message
    assert caught.value.series == {series.datasets[0].SeriesInstanceUID: 6, other_uid: 2}


def test_a_spacing_gap_is_reported_with_where_how_big_and_expected(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(6, 5, 4))
    with pytest.raises(SeriesError) as caught:
        read_pet_series(source=_missing_slice(series, tmp_path))
    message = caught.value.message
    assert "slices 2 and 3" in message and "-94.000 mm and -88.000 mm" in message
    assert "is 6.000 mm, expected 3.000 mm" in message


def test_an_undecodable_syntax_is_named(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(2, 5, 4))
    with pytest.raises(UnsupportedError) as caught:
        read_pet_series(source=_compressed(series, tmp_path))
    syntax = UID(series.datasets[0].file_meta.TransferSyntaxUID)
    assert syntax.name in caught.value.message and str(syntax) in caught.value.message


def test_not_dicom_names_the_file(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(2, 5, 4))
    with pytest.raises(NotDicomError) as caught:
        read_pet_series(source=_not_dicom(series, tmp_path))
    assert caught.value.path == str(tmp_path / "notes.dcm")


@pytest.mark.parametrize("cut", [140, 400, 900, 1500])
def test_a_file_cut_anywhere_is_an_input_error(cut: int) -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(3, 5, 4))
    blobs = _blobs(series)
    blobs[1] = blobs[1][:cut]
    with pytest.raises(InputError):
        read_pet_series(source=blobs)


def test_missing_radiopharmaceutical_data_is_not_an_error() -> None:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(3, 5, 4))
    for ds in series.datasets:
        del ds.RadiopharmaceuticalInformationSequence
    volume = read_pet_series(source=_blobs(series)).volume
    assert volume.suv.factor is None
    assert volume.suv.reason is not None and "RadionuclideTotalDose" in volume.suv.reason
