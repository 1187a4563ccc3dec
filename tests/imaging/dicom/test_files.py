"""Atomic output: a series appears whole or not at all; a single file is replaced atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom import Dataset

from imaging.dicom import files
from imaging.dicom.files import write_dataset, write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.errors import OutputError
from tests.imaging.dicom.writer_helpers import synthetic_volume


@pytest.fixture
def datasets() -> list[Dataset]:
    volume = synthetic_volume(rng=np.random.default_rng(31), shape=(4, 6, 5))
    return create_original_series(volume=volume, info=AcquisitionInfo())


def _failing_after(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the file encoder fail on its ``count + 1``-th call, after writing ``count`` files."""
    real = pydicom.dcmwrite
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > count:
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(files, "dcmwrite", flaky)


def test_writes_every_file_named_by_instance_number(datasets: list[Dataset], tmp_path: Path) -> None:
    paths = write_series(datasets=datasets, directory=tmp_path / "out" / "series")
    assert [path.name for path in paths] == ["0001.dcm", "0002.dcm", "0003.dcm", "0004.dcm"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["series"]  # no staging directory left
    for path, dataset in zip(paths, datasets, strict=True):
        read = pydicom.dcmread(path)
        assert read.SOPInstanceUID == dataset.SOPInstanceUID
        assert read.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert read.preamble == b"\x00" * 128


def test_an_existing_empty_directory_is_used(datasets: list[Dataset], tmp_path: Path) -> None:
    (tmp_path / "series").mkdir()
    assert len(write_series(datasets=datasets, directory=tmp_path / "series")) == len(datasets)


def test_a_non_empty_directory_is_refused_untouched(datasets: list[Dataset], tmp_path: Path) -> None:
    target = tmp_path / "series"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(OutputError) as raised:
        write_series(datasets=datasets, directory=target)
    assert raised.value.check == "output_empty" and raised.value.path == str(target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["series"]


def test_failure_mid_way_leaves_nothing(
    datasets: list[Dataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_after(2, monkeypatch)
    with pytest.raises(OutputError, match="No space left"):
        write_series(datasets=datasets, directory=tmp_path / "series")
    assert list(tmp_path.iterdir()) == []


def test_unencodable_dataset_mid_way_leaves_nothing(datasets: list[Dataset], tmp_path: Path) -> None:
    del datasets[2].file_meta.TransferSyntaxUID  # pydicom cannot choose an encoding for the third file
    with pytest.raises(OutputError):
        write_series(datasets=datasets, directory=tmp_path / "series")
    assert list(tmp_path.iterdir()) == []


def test_duplicate_instance_numbers_are_refused_before_writing(datasets: list[Dataset], tmp_path: Path) -> None:
    datasets[1].InstanceNumber = datasets[0].InstanceNumber
    with pytest.raises(ValueError, match=r"Argument 'datasets'.*distinct InstanceNumber"):
        write_series(datasets=datasets, directory=tmp_path / "series")
    assert list(tmp_path.iterdir()) == []


def test_files_are_written_then_synced_in_one_pass_then_the_folder(
    datasets: list[Dataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_write, real_fsync, real_rename = files.dcmwrite, os.fsync, os.rename

    def write(handle: Any, dataset: Dataset, **kwargs: Any) -> None:
        events.append(("write", handle.name))
        real_write(handle, dataset, **kwargs)

    def fsync(descriptor: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def rename(source: Path, target: Path) -> None:
        events.append(("rename", str(source)))
        real_rename(source, target)

    monkeypatch.setattr(files, "dcmwrite", write)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    write_series(datasets=datasets, directory=tmp_path / "series")
    n = len(datasets)
    assert [kind for kind, _ in events] == ["write"] * n + ["fsync"] * (n + 1) + ["rename", "fsync"]
    assert {path for _, path in events[n : 2 * n]} == {path for _, path in events[:n]}  # each file once
    staging = events[2 * n + 1][1]
    assert events[2 * n] == ("fsync", staging) and events[-1] == ("fsync", str(tmp_path))


def test_failed_fsync_leaves_nothing(datasets: list[Dataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OutputError, match="Input/output error"):
        write_series(datasets=datasets, directory=tmp_path / "series")
    assert list(tmp_path.iterdir()) == []


def test_write_dataset_replaces_atomically(datasets: list[Dataset], tmp_path: Path) -> None:
    target = tmp_path / "one.dcm"
    write_dataset(dataset=datasets[0], path=target)
    write_dataset(dataset=datasets[1], path=target)
    assert pydicom.dcmread(target).SOPInstanceUID == datasets[1].SOPInstanceUID
    assert [p.name for p in tmp_path.iterdir()] == ["one.dcm"]


def test_write_dataset_failure_keeps_the_old_file(
    datasets: list[Dataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "one.dcm"
    write_dataset(dataset=datasets[0], path=target)
    before = target.read_bytes()
    _failing_after(0, monkeypatch)
    with pytest.raises(OutputError) as raised:
        write_dataset(dataset=datasets[1], path=target)
    assert raised.value.path == str(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["one.dcm"]


def test_public_names() -> None:
    assert set(files.__all__) == {"series_file_name", "write_dataset", "write_series"}
