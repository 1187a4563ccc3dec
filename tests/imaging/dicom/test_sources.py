"""The reader's tolerant conversion (``drop_unreadable``): damaged elements dropped in every file, shared ones
converted once per read."""

from __future__ import annotations

import numpy as np
from pydicom.dataelem import RawDataElement

from imaging.dicom.sources import drop_unreadable, read_dataset
from tests.imaging.dicom.factories import make_pet_series, to_bytes

_DOSE = 0x00181074  # RadionuclideTotalDose, inside RadiopharmaceuticalInformationSequence


def _blobs(*, damage: bool) -> list[bytes]:
    series = make_pet_series(rng=np.random.default_rng(3), shape=(4, 8, 8))
    blobs = [to_bytes(dataset) for dataset in series.datasets]
    return [blob.replace(b"\x18\x00\x74\x10DS", b"\x18\x00\x74\x10DR") for blob in blobs] if damage else blobs


def test_a_damaged_element_shared_by_every_file_is_dropped_from_each() -> None:
    verified: set[tuple[object, ...]] = set()
    for index, blob in enumerate(_blobs(damage=True)):
        dataset = read_dataset(data=blob, name=f"#{index}")
        drop_unreadable(dataset=dataset, name=f"#{index}", verified=verified)
        item = dataset.RadiopharmaceuticalInformationSequence[0]
        assert _DOSE not in item, index


def test_shared_elements_are_converted_once_and_read_the_same() -> None:
    verified: set[tuple[object, ...]] = set()
    datasets = []
    for index, blob in enumerate(_blobs(damage=False)):
        dataset = read_dataset(data=blob, name=f"#{index}")
        drop_unreadable(dataset=dataset, name=f"#{index}", verified=verified)
        datasets.append(dataset)
    first, later = datasets[0], datasets[1:]
    assert not any(isinstance(first.get_item(tag), RawDataElement) for tag in list(first.keys()))
    left_raw = [tag for tag in list(later[0].keys()) if isinstance(later[0].get_item(tag), RawDataElement)]
    assert 0x00100010 in left_raw and 0x0020000D in left_raw  # PatientName, StudyInstanceUID: the same bytes
    assert 0x00080018 not in left_raw  # SOPInstanceUID differs from slice to slice: converted now
    for dataset in later:
        assert dataset.PatientName == first.PatientName
        assert dataset.StudyInstanceUID == first.StudyInstanceUID
        assert dataset.SOPInstanceUID != first.SOPInstanceUID
