"""Helpers of the gateway tests: DICOM bytes of small PET series and multipart/related bodies."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import CTImageStorage, JPEGBaseline8Bit

from core.multipart import multipart_body, related_content_type
from core.storage.spool import SpooledFile, SpoolWriter
from tests.imaging.dicom.factories import make_pet_series, to_bytes, uid

API_KEY = "test-key-1"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
BOUNDARY = "petiq-test-boundary"
RELATED = related_content_type(boundary=BOUNDARY, quote=True)


def pet_datasets(*, seed: int, n_slices: int = 4, size: int = 8) -> list[Dataset]:
    """A small PET series (``n_slices`` of ``size``×``size``); UIDs derived from ``seed``."""
    return make_pet_series(rng=np.random.default_rng(seed), shape=(n_slices, size, size), seed=seed).datasets


def pet_parts(*, seed: int, n_slices: int = 4, size: int = 8) -> list[bytes]:
    """The Part 10 bytes of :func:`pet_datasets`."""
    return [to_bytes(ds) for ds in pet_datasets(seed=seed, n_slices=n_slices, size=size)]


def sibling_series(datasets: Sequence[Dataset], *, tag: str, description: str) -> list[Dataset]:
    """A copy of ``datasets`` as another series of the same study (new series and SOP UIDs, ``description``)."""
    series_uid = uid(0, "sibling", tag, datasets[0].SeriesInstanceUID)
    copies = []
    for index, source in enumerate(datasets):
        ds = copy.deepcopy(source)
        ds.SeriesInstanceUID, ds.SeriesDescription = series_uid, description
        ds.SOPInstanceUID = uid(0, "sibling", tag, index, source.SOPInstanceUID)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        copies.append(ds)
    return copies


def as_ct(dataset: Dataset) -> Dataset:
    """``dataset`` turned into a CT Image Storage instance (another SOP Class and Modality)."""
    ds = copy.deepcopy(dataset)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.Modality = "CT"
    return ds


def as_jpeg(dataset: Dataset) -> Dataset:
    """``dataset`` claiming JPEG Baseline, its Pixel Data one encapsulated (dummy) frame."""
    ds = copy.deepcopy(dataset)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([b"\xff\xd8" + bytes(62) + b"\xff\xd9"])
    return ds


def related_body(parts: Sequence[bytes], *, boundary: str = BOUNDARY, leading_crlf: bool = False) -> bytes:
    """A ``multipart/related`` body with one ``application/dicom`` part per item of ``parts``."""
    return (b"\r\n" if leading_crlf else b"") + multipart_body(parts=parts, boundary=boundary)


def spooled(data: bytes, directory: Path) -> SpooledFile:
    """``data`` written to a spool file in ``directory``."""
    writer = SpoolWriter(directory=directory)
    writer.write(data)
    return writer.close()
