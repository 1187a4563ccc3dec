"""Tolerant reading, strict writing: delete (then empty) each top-level attribute of a real and a simulated series
on every slice and run the whole job; it must succeed with a valid output or refuse with an InputError naming
that attribute. Never another exception.

Few-slice crops keep the walk fast (about 0.1 s a run with the width-8 test bundle); the real GE series and the
real NEMA phantom scan come from ``../shared/data`` (skipped when absent).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom import Dataset
from pydicom.tag import BaseTag

from core.adapt import AdaptMode
from imaging.dicom.modules import PET_IMAGE_TYPE2
from imaging.dicom.reader import read_pet_series
from imaging.errors import InputError
from models.bundle import BundleInfo
from tests.conftest import SHARED_DATA
from tests.imaging.dicom.dciodvfy import dciodvfy_errors, requires_dciodvfy
from workers.pipeline.job import ProcessRequest, run_process
from workers.pipeline.write import DENOISED_DIR, RESULT_NAME, SR_NAME

pytestmark = pytest.mark.slow

_CROP = 4
_NEMA = SHARED_DATA / "pet-nema-iec-real"


def _crop(files: list[Path]) -> list[Path]:
    """``_CROP`` consecutive files from the middle of a series whose file names sort in slice order."""
    middle = len(files) // 2
    return files[middle : middle + _CROP]


def _attributes(files: list[Path]) -> dict[BaseTag, str]:
    """Every top-level attribute of ``files`` (file meta excluded), tag → keyword (the tag for private ones)."""
    return {element.tag: element.keyword or str(element.tag) for path in files for element in pydicom.dcmread(path)}


def _mutated(files: list[Path], *, tag: BaseTag, empty: bool, directory: Path) -> Path:
    """Copies of ``files`` in ``directory`` with attribute ``tag`` deleted (or emptied) on every slice."""
    directory.mkdir(parents=True)
    for index, path in enumerate(files):
        dataset = pydicom.dcmread(path)
        if tag in dataset:
            if empty:
                dataset[tag].value = [] if dataset[tag].VR == "SQ" else None
            else:
                del dataset[tag]
        dataset.save_as(directory / f"{index:03d}.dcm")
    return directory


def _run(series: Path, *, bundle: BundleInfo) -> dict[str, object]:
    out = series.parent / f"{series.name}-out"
    request = ProcessRequest(
        input_dir=series, out_dir=out, weights_dir=bundle.directory, adapt=AdaptMode.OFF, score=False, ensemble=1
    )
    return run_process(request=request)


def _assert_valid_output(series: Path, result: dict[str, object]) -> None:
    out = series.parent / f"{series.name}-out"
    assert json.loads((out / RESULT_NAME).read_text()) == result
    derived = read_pet_series(source=out / DENOISED_DIR)
    assert derived.volume.shape[0] == len(list(series.glob("*.dcm")))
    sr = pydicom.dcmread(out / SR_NAME)
    assert sr.SOPInstanceUID == result["output"]["sr_uid"]  # type: ignore[index]


def _walk(files: list[Path], *, bundle: BundleInfo, work: Path, empty: bool) -> Iterator[str]:
    """Run the job for each attribute; yields a line for each outcome that breaks the rule."""
    for tag, keyword in sorted(_attributes(files).items()):
        series = _mutated(files, tag=tag, empty=empty, directory=work / f"{tag:08X}" / "series")
        try:
            result = _run(series, bundle=bundle)
        except InputError as error:
            line = str(error)
            if keyword not in line or "\n" in line:
                yield f"{keyword}: refused without naming it: {line}"
        except Exception as error:  # the point of the walk: nothing else may escape
            yield f"{keyword}: {type(error).__name__}: {error}"
        else:
            _assert_valid_output(series, result)
        shutil.rmtree(series.parent)


@pytest.fixture(scope="module")
def ge_crop(real_ge_dir: Path) -> list[Path]:
    return _crop(sorted(real_ge_dir.glob("*.dcm")))


@pytest.fixture(scope="module")
def simulated_crop(small_series_dir: Path) -> list[Path]:
    return _crop(sorted(small_series_dir.glob("*.dcm")))


@pytest.mark.parametrize("empty", [False, True], ids=["deleted", "emptied"])
def test_every_attribute_of_the_real_ge_series(
    ge_crop: list[Path], random_bundle_info: BundleInfo, tmp_path: Path, empty: bool
) -> None:
    problems = list(_walk(ge_crop, bundle=random_bundle_info, work=tmp_path, empty=empty))
    assert problems == []


@pytest.mark.parametrize("empty", [False, True], ids=["deleted", "emptied"])
def test_every_attribute_of_a_simulated_series(
    simulated_crop: list[Path], random_bundle_info: BundleInfo, tmp_path: Path, empty: bool
) -> None:
    problems = list(_walk(simulated_crop, bundle=random_bundle_info, work=tmp_path, empty=empty))
    assert problems == []


def _without_type2(files: list[Path], *, directory: Path) -> Path:
    """Copies of ``files`` without any Type 2 attribute of the PET Image IOD."""
    directory.mkdir(parents=True)
    for index, path in enumerate(files):
        dataset: Dataset = pydicom.dcmread(path)
        for keyword in PET_IMAGE_TYPE2:
            if keyword in dataset:
                del dataset[keyword]
        dataset.save_as(directory / f"{index:03d}.dcm")
    return directory


@requires_dciodvfy
def test_a_series_without_any_type2_attribute_gives_valid_dicom(
    ge_crop: list[Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    """The derived series adds no dciodvfy error its source did not have, and lacks none of the Type 2 attributes;
    the SR has no error."""
    series = _without_type2(ge_crop, directory=tmp_path / "stripped")
    result = _run(series, bundle=random_bundle_info)
    out = series.parent / f"{series.name}-out"
    source_errors = dciodvfy_errors(sorted(series.glob("*.dcm"))[0])
    derived_file = sorted((out / DENOISED_DIR).glob("*.dcm"))[0]
    added = dciodvfy_errors(derived_file) - source_errors
    assert added == set()
    missing = {line for line in dciodvfy_errors(derived_file) if "Type 2 Required" in line}
    # not added beside the source's Patient Position, which the standard forbids beside it (C.7.3.1)
    assert missing == {
        "Error - Missing attribute Type 2 Required Element=<PatientOrientationCodeSequence> "
        "Module=<NMPETPatientOrientation>"
    }
    assert dciodvfy_errors(out / SR_NAME) == set()
    assert result["output"]["scores"] is None  # type: ignore[index]


@pytest.fixture(scope="module")
def nema_dir() -> Path:
    if not _NEMA.is_dir():
        pytest.skip(f"real NEMA scan not found at {_NEMA}")
    return _NEMA


@requires_dciodvfy
def test_the_real_nema_scan_processes_without_suv(
    nema_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    """The NEMA IEC reconstruction as published (no Units, no Type 2 patient/study attributes, MONOCHROME1)."""
    series = tmp_path / "nema"
    shutil.copytree(nema_dir, series)  # the output goes beside its input: never beside the shared data
    result = _run(series, bundle=random_bundle_info)
    assert result["qc"]["suv_factor"] is None  # type: ignore[index]
    notes = result["notes"]
    assert isinstance(notes, list)
    assert any("SUV" in note and "Units" in note for note in notes)
    out = series.parent / f"{series.name}-out"
    source_errors = dciodvfy_errors(sorted(series.glob("*.dcm"))[0])
    derived_errors = dciodvfy_errors(sorted((out / DENOISED_DIR).glob("*.dcm"))[0])
    assert derived_errors - source_errors == set()
    assert dciodvfy_errors(out / SR_NAME) == set()
