"""A job's output as real DICOM files for the C-STORE tests: a few PET slices under ``denoised/`` and a
Comprehensive 3D SR beside them (headers only: a storage SCP does not read the content)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import Comprehensive3DSRStorage, ExplicitVRLittleEndian

from tests.imaging.dicom.factories import make_pet_series, to_bytes, uid, write_series

__all__ = ["write_output"]


def _sr(*, study_uid: str, seed: int) -> Dataset:
    sr = Dataset()
    sr.SOPClassUID = Comprehensive3DSRStorage
    sr.SOPInstanceUID = uid(seed, "sr")
    sr.StudyInstanceUID = study_uid
    sr.SeriesInstanceUID = uid(seed, "sr-series")
    sr.Modality = "SR"
    sr.file_meta = FileMetaDataset()
    sr.file_meta.MediaStorageSOPClassUID = sr.SOPClassUID
    sr.file_meta.MediaStorageSOPInstanceUID = sr.SOPInstanceUID
    sr.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return sr


def write_output(output: Path, *, n_slices: int = 3, seed: int = 0) -> list[str]:
    """Write ``n_slices`` PET slices (``denoised/0000.dcm``…) and ``scores-sr.dcm`` to ``output``; their SOP
    Instance UIDs, in the order a delivery sends them."""
    datasets = make_pet_series(rng=np.random.default_rng(seed), shape=(n_slices, 4, 4), seed=seed).datasets
    write_series(datasets, output / "denoised", names=[f"{index:04d}.dcm" for index in range(n_slices)])
    sr = _sr(study_uid=datasets[0].StudyInstanceUID, seed=seed)
    (output / "scores-sr.dcm").write_bytes(to_bytes(sr))
    return [str(ds.SOPInstanceUID) for ds in datasets] + [str(sr.SOPInstanceUID)]
