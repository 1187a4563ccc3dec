"""``run_process`` and the radionuclide: notes in result.json for an unknown nuclide or a tracer other than FDG;
a SPECT nuclide refused at load, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imaging.errors import SeriesError
from models.bundle import BundleInfo
from tests.imaging.dicom.nuclide_helpers import LU177, relabel_files
from workers.pipeline.job import ProcessRequest, run_process


def _relabelled(source: Path, directory: Path, **changes: object) -> Path:
    shutil.copytree(source, directory)
    relabel_files(directory.glob("*.dcm"), **changes)
    return directory


def _notes(series: Path, out: Path, bundle: BundleInfo) -> list[str]:
    request = ProcessRequest(input_dir=series, out_dir=out, weights_dir=bundle.directory, score=False)
    notes: list[str] = run_process(request=request)["notes"]
    return notes


def test_fdg_has_no_radionuclide_note(small_series_dir: Path, identity_bundle_info: BundleInfo, tmp_path: Path) -> None:
    assert _notes(small_series_dir, tmp_path / "out", identity_bundle_info) == []


def test_no_radionuclide_information_is_processed_with_a_note(
    small_series_dir: Path, identity_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series = _relabelled(small_series_dir, tmp_path / "bare", code=None, name=None, drug_code=None, half_life=None)
    assert _notes(series, tmp_path / "out", identity_bundle_info) == [
        "The radionuclide could not be identified (RadiopharmaceuticalInformationSequence gives no radionuclide "
        "code, name or half-life): processed as PET from a positron emitter, unchecked.",
        "No SUV: RadionuclideHalfLife is absent.",  # the decay needs it
    ]


def test_a_gallium_psma_study_is_processed_with_a_note(
    small_series_dir: Path, identity_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series = _relabelled(
        small_series_dir,
        tmp_path / "psma",
        code=("35337001", "SCT", "^68^Gallium"),
        name="Ga-68 PSMA-11",
        drug_code=None,
        half_life="4062.6",
    )
    assert _notes(series, tmp_path / "out", identity_bundle_info) == [
        "The radiopharmaceutical 'Ga-68 PSMA-11' (Ga-68) is not FDG: the denoising and scoring networks were "
        "trained on FDG simulations; check the result against the original."
    ]


def test_a_lutetium_study_is_refused_at_load(
    small_series_dir: Path, identity_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series = _relabelled(small_series_dir, tmp_path / "lu177", **LU177)
    request = ProcessRequest(input_dir=series, out_dir=tmp_path / "out", weights_dir=identity_bundle_info.directory)
    with pytest.raises(SeriesError, match=r"Radionuclide Lu-177 .* is not a positron emitter") as caught:
        run_process(request=request)
    assert caught.value.check == "radionuclide" and not (tmp_path / "out").exists()
