"""``run_process`` with ``uncertainty``: the second derived series from the split pair, its summary in result.json,
and what happens without the pair (nothing invented)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes

from core.adapt import AdaptMode
from core.strength import Strength
from imaging.dicom.reader import read_pet_series
from imaging.dicom.sr.codes import QC_GROUP
from imaging.errors import InputError
from imaging.intensity import body_mask
from imaging.uncertainty import split_uncertainty
from models.adaptation.settings import AdaptationSettings
from models.bundle import BundleInfo
from models.strength import blend_weight
from tests.imaging.dicom.dciodvfy import dciodvfy_errors, requires_dciodvfy
from tests.imaging.dicom.sr_helpers import group_of, read_sr, text_value
from workers.pipeline.denoise import denoise, open_denoiser
from workers.pipeline.job import ProcessRequest, run_process
from workers.pipeline.model_output import model_target
from workers.pipeline.result import STAGES
from workers.pipeline.uncertainty import METHOD, NO_SPLITS, unavailable_note
from workers.pipeline.write import DENOISED_DIR, SR_NAME, UNCERTAINTY_DIR

TINY = AdaptationSettings(steps=2, batch=2, patch=24, seed=5)


def _request(*, dirs: tuple[Path, Path, Path], bundle: BundleInfo, out: Path, **options: Any) -> ProcessRequest:
    series, split_a, split_b = dirs
    return ProcessRequest(
        input_dir=series,
        out_dir=out,
        weights_dir=bundle.directory,
        split_a=split_a,
        split_b=split_b,
        score=False,
        **{"uncertainty": True, **options},
    )


@pytest.fixture(scope="module")
def with_splits(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path, list[str]]:
    """A run with the split pair and no adaptation (read-only): its result, output folder and stages reported."""
    out = tmp_path_factory.mktemp("uncertainty") / "out"
    stages: list[str] = []
    request = _request(dirs=split_study_dirs, bundle=random_bundle_info, out=out, adapt=AdaptMode.OFF)
    result = run_process(request=request, progress=lambda stage, _: stages.append(stage))
    return result, out, stages


def _expected_uncertainty(*, dirs: tuple[Path, Path, Path], bundle: BundleInfo) -> np.ndarray:
    """u recomputed here: each split denoised as the output is (default ensemble, medium blend)."""
    denoiser = open_denoiser(info=bundle)
    blend = blend_weight(strengths=bundle.strengths, strength=Strength.MEDIUM)
    a, b = (denoise(volume=read_pet_series(source=d).volume, denoiser=denoiser, blend=blend) for d in dirs[1:])
    return split_uncertainty(denoised_a=a.volume.voxels, denoised_b=b.volume.voxels)


def test_the_uncertainty_series_holds_the_split_estimate(
    with_splits: tuple[dict[str, Any], Path, list[str]],
    split_study_dirs: tuple[Path, Path, Path],
    random_bundle_info: BundleInfo,
) -> None:
    result, out, stages = with_splits
    source = read_pet_series(source=split_study_dirs[0])
    written = read_pet_series(source=out / UNCERTAINTY_DIR)
    expected = _expected_uncertainty(dirs=split_study_dirs, bundle=random_bundle_info)
    peak = np.max(expected, axis=(1, 2))[:, None, None]
    assert np.all(np.abs(written.volume.voxels - expected) <= 1e-4 * peak + 1e-6)  # int16 with per-slice slopes
    assert float(expected.mean()) > 0 and written.volume.geometry == source.volume.geometry
    assert written.volume.suv.factor == pytest.approx(source.volume.suv.factor)  # SUV stays computable
    section = result["uncertainty"]
    body = body_mask(voxels=source.volume.voxels)
    assert section["mean_body"] == pytest.approx(float(expected[body].mean()), rel=1e-4)
    assert result["timings_s"]["uncertainty"] > 0 and list(result["timings_s"]) == list(STAGES)
    assert list(dict.fromkeys(stages)) == ["load", "denoise", "uncertainty", "qc", "write"]
    assert result["notes"] == []


def test_the_uncertainty_series_is_a_second_derived_series_of_the_study(
    with_splits: tuple[dict[str, Any], Path, list[str]], split_study_dirs: tuple[Path, Path, Path]
) -> None:
    result, out, _ = with_splits
    source = read_pet_series(source=split_study_dirs[0]).datasets
    denoised = read_pet_series(source=out / DENOISED_DIR).datasets
    written = read_pet_series(source=out / UNCERTAINTY_DIR).datasets
    first = written[0]
    assert first.SeriesInstanceUID == result["uncertainty"]["series_uid"]
    assert len({first.SeriesInstanceUID, denoised[0].SeriesInstanceUID, source[0].SeriesInstanceUID}) == 3
    assert len({first.SeriesNumber, denoised[0].SeriesNumber, source[0].SeriesNumber}) == 3
    for keyword in ("StudyInstanceUID", "FrameOfReferenceUID", "Units", "PatientID", "DecayCorrection"):
        assert first.get(keyword) == source[0].get(keyword), keyword
    assert first.SeriesDescription == f"{source[0].SeriesDescription} [petiq uncertainty]"
    assert list(first.ImageType)[:2] == ["DERIVED", "PRIMARY"]
    assert first.DerivationCodeSequence[0].CodeMeaning == "Standard Deviation"
    text = first.DerivationDescription
    assert text.startswith("Uncertainty estimated by ") and "standard-deviation estimate" in text
    assert result["output"]["series_uid"] in text and all(uid in text for uid in result["uncertainty"]["split_uids"])
    assert text.endswith("; strength=medium; blend=0.75; sigma_voxels=1")
    assert first.ContributingEquipmentSequence[-1].DeviceUID == result["provenance"]["device_uid"]
    references = [ds.SourceImageSequence[0].ReferencedSOPInstanceUID for ds in written]
    assert references == [ds.SOPInstanceUID for ds in source]


def test_result_json_summarises_it(
    with_splits: tuple[dict[str, Any], Path, list[str]], split_study_dirs: tuple[Path, Path, Path]
) -> None:
    result, _, _ = with_splits
    section = result["uncertainty"]
    assert list(result) == ["input", "output", "qc", "adaptation", "uncertainty", "provenance", "timings_s", "notes"]
    assert section["available"] is True and section["method"] == METHOD
    assert (section["unit"], section["sigma_voxels"]) == ("BQML", 1.0)
    splits = [read_pet_series(source=folder).volume.uids.series_uid for folder in split_study_dirs[1:]]
    assert section["split_uids"] == splits
    lesions = section["lesions"]
    assert 1 <= len(lesions) <= 5
    assert set(lesions[0]) == {"peak_voxel", "voxels", "mean_output", "mean_uncertainty", "percent"}
    for lesion in lesions:
        assert len(lesion["peak_voxel"]) == 3 and lesion["voxels"] > 0 and lesion["mean_uncertainty"] >= 0
        assert lesion["percent"] == pytest.approx(100 * lesion["mean_uncertainty"] / lesion["mean_output"], rel=1e-4)


def test_the_adapted_network_that_made_the_output_makes_the_uncertainty(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    request = _request(dirs=split_study_dirs, bundle=random_bundle_info, out=tmp_path / "out", adaptation=TINY)
    result = run_process(request=request)
    assert result["adaptation"]["mode"] == "n2n-split" and result["uncertainty"]["available"] is True
    device = result["provenance"]["device_uid"]
    assert device != random_bundle_info.device_uid  # the adapted network is a new device
    first = read_pet_series(source=tmp_path / "out" / UNCERTAINTY_DIR).datasets[0]
    assert first.ContributingEquipmentSequence[-1].DeviceUID == device


def test_without_the_split_pair_none_is_invented(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    request = ProcessRequest(
        input_dir=small_series_dir, out_dir=out, weights_dir=random_bundle_info.directory, score=False, uncertainty=True
    )
    result = run_process(request=request)
    assert result["uncertainty"] == {"available": False, "reason": NO_SPLITS}
    assert result["notes"] == [unavailable_note(reason=NO_SPLITS)]
    assert result["timings_s"]["uncertainty"] == 0.0
    assert sorted(path.name for path in out.iterdir()) == ["denoised", "result.json", "scores-sr.dcm"]
    qc = group_of(read_sr(out / SR_NAME), label=QC_GROUP)  # the SR's notes say it too
    assert text_value(qc, code=codes.DCM.Comment) == unavailable_note(reason=NO_SPLITS)


def test_not_asked_for_is_null_and_writes_nothing(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    request = _request(
        dirs=split_study_dirs, bundle=random_bundle_info, out=tmp_path / "out", adapt=AdaptMode.OFF, uncertainty=False
    )
    result = run_process(request=request)
    assert result["uncertainty"] is None and result["timings_s"]["uncertainty"] == 0.0
    assert not (tmp_path / "out" / UNCERTAINTY_DIR).exists()


def test_the_adapted_model_may_not_go_where_the_uncertainty_series_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="uncertainty of the output folder"):
        model_target(path=out / UNCERTAINTY_DIR / "model.pt", out_dir=out, inputs=(), adapts=True)


@pytest.mark.e2e
@requires_dciodvfy
def test_dciodvfy_the_uncertainty_series_adds_no_error(
    with_splits: tuple[dict[str, Any], Path, list[str]], split_study_dirs: tuple[Path, Path, Path]
) -> None:
    _, out, _ = with_splits
    sources = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p for p in split_study_dirs[0].glob("*.dcm")}
    for path in sorted((out / UNCERTAINTY_DIR).glob("*.dcm")):
        reference = pydicom.dcmread(path, stop_before_pixels=True).SourceImageSequence[0].ReferencedSOPInstanceUID
        assert dciodvfy_errors(path) <= dciodvfy_errors(sources[reference]), path.name
