"""Header elements decoded up front (``drop_unreadable``): damaged ones dropped in every file, shared ones decoded
once per read, the first slice left raw."""

from __future__ import annotations

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from imaging.dicom.header_decoding import ConversionMemo, drop_unreadable
from imaging.dicom.sources import read_dataset
from tests.imaging.dicom.factories import make_pet_series, to_bytes

_DOSE = 0x00181074  # RadionuclideTotalDose, inside RadiopharmaceuticalInformationSequence
_PATIENT_NAME, _STUDY_UID, _SOP_INSTANCE_UID = 0x00100010, 0x0020000D, 0x00080018


def _blobs(*, damage: bool) -> list[bytes]:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(4, 8, 8))
    blobs = [to_bytes(dataset) for dataset in series.datasets]
    return [blob.replace(b"\x18\x00\x74\x10DS", b"\x18\x00\x74\x10DR") for blob in blobs] if damage else blobs


def test_a_damaged_element_shared_by_every_file_is_dropped_from_each() -> None:
    memo = ConversionMemo()
    for index, blob in enumerate(_blobs(damage=True)):
        dataset = read_dataset(data=blob, name=f"#{index}")
        drop_unreadable(dataset=dataset, name=f"#{index}", memo=memo)
        item = dataset.RadiopharmaceuticalInformationSequence[0]
        assert _DOSE not in item, index


def test_shared_elements_are_decoded_once_and_read_the_same() -> None:
    memo = ConversionMemo()
    datasets = []
    for index, blob in enumerate(_blobs(damage=False)):
        dataset = read_dataset(data=blob, name=f"#{index}")
        drop_unreadable(dataset=dataset, name=f"#{index}", memo=memo)
        datasets.append(dataset)
    first, later = datasets[0], datasets[1:]

    def raw(dataset: Dataset, tag: int) -> bool:
        return isinstance(dataset.get_item(tag), RawDataElement)

    # the first slice stays raw (decoded apart), so the derived writer can compare the slices' bytes
    assert raw(first, _PATIENT_NAME) and raw(first, _SOP_INSTANCE_UID)
    for dataset in later:
        assert raw(dataset, _PATIENT_NAME) and raw(dataset, _STUDY_UID)  # the same bytes: decoded once, in #0
        assert not raw(dataset, _SOP_INSTANCE_UID)  # changes from slice to slice: decoded in place
        assert dataset.PatientName == first.PatientName
        assert dataset.StudyInstanceUID == first.StudyInstanceUID
        assert dataset.SOPInstanceUID != first.SOPInstanceUID
    assert memo.decoded and memo.tags


def test_a_damaged_first_occurrence_is_dropped_and_later_good_bytes_kept() -> None:
    blobs = _blobs(damage=False)
    blobs[0] = blobs[0].replace(b"\x18\x00\x74\x10DS", b"\x18\x00\x74\x10DR")
    memo = ConversionMemo()
    datasets = []
    for index, blob in enumerate(blobs):
        dataset = read_dataset(data=blob, name=f"#{index}")
        drop_unreadable(dataset=dataset, name=f"#{index}", memo=memo)
        datasets.append(dataset)
    assert _DOSE not in datasets[0].RadiopharmaceuticalInformationSequence[0]
    for dataset in datasets[1:]:
        assert float(dataset.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose) > 0
