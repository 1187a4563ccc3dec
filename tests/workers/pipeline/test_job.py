"""``run_process``: the whole job on a small simulated study with tiny bundles; all-or-nothing output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom.sr.codedict import codes

from core.adapt import AdaptMode
from core.strength import Strength
from imaging.dicom.reader import read_pet_series
from imaging.dicom.sr.codes import INPUT_GROUP, OUTPUT_GROUP, QC_GROUP, QC_MEASURES
from imaging.errors import InputError, NotDicomError, OutputError
from models.bundle import BundleInfo
from models.inference import DEFAULT_ENSEMBLE
from models.iqa.bundle import ScorerInfo
from tests.imaging.dicom.sr_helpers import (
    algorithm_parameters,
    group_of,
    qc_values,
    read_sr,
    referenced_uids,
    score_values,
    text_value,
    uncertainty_values,
)
from workers.pipeline import job
from workers.pipeline.job import ProcessRequest, run_process
from workers.pipeline.qc import body_mask
from workers.pipeline.result import STAGES
from workers.pipeline.write import DENOISED_DIR, SR_NAME


def _request(*, series: Path, out: Path, bundle: BundleInfo, score: bool = False) -> ProcessRequest:
    return ProcessRequest(input_dir=series, out_dir=out, weights_dir=bundle.directory, score=score)


def test_identity_network_preserves_the_series(
    small_series_dir: Path, identity_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_process(request=_request(series=small_series_dir, out=out, bundle=identity_bundle_info))
    source = read_pet_series(source=small_series_dir).volume
    derived = read_pet_series(source=out / "denoised").volume
    assert derived.geometry == source.geometry
    assert derived.uids.series_uid == result["output"]["series_uid"] != source.uids.series_uid
    assert derived.uids.study_uid == source.uids.study_uid
    body = body_mask(voxels=source.voxels)
    ratio = float(derived.voxels[body].sum(dtype=np.float64) / source.voxels[body].sum(dtype=np.float64))
    assert ratio == pytest.approx(1.0, abs=0.02)
    assert result["qc"]["suvmean_ratio_body"] == pytest.approx(ratio, abs=1e-3)
    assert json.loads((out / "result.json").read_text()) == result


def test_random_network_writes_a_valid_series(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    stages: list[tuple[str, float]] = []
    result = run_process(
        request=_request(series=small_series_dir, out=out, bundle=random_bundle_info),
        progress=lambda stage, fraction: stages.append((stage, fraction)),
    )
    derived = read_pet_series(source=out / "denoised")
    assert derived.volume.geometry == read_pet_series(source=small_series_dir).volume.geometry
    assert derived.datasets[0].ContributingEquipmentSequence[-1].DeviceUID == random_bundle_info.device_uid
    assert random_bundle_info.onnx_sha256[:12] in derived.datasets[0].DerivationDescription
    assert sorted(path.name for path in out.iterdir()) == ["denoised", "result.json", "scores-sr.dcm"]
    assert list(dict.fromkeys(stage for stage, _ in stages)) == ["load", "denoise", "qc", "write"]
    assert dict(stages) == {"load": 1.0, "denoise": 1.0, "qc": 1.0, "write": 1.0}  # each one's last report
    assert 0.0 < [f for stage, f in stages if stage == "denoise"][1] <= 1.0  # per batch of slices
    assert all(0.0 <= fraction <= 1.0 for _, fraction in stages)
    assert result["provenance"]["denoiser"]["sha256"] == random_bundle_info.onnx_sha256
    # an untrained network changes the body's total a lot; the output keeps it, and says by what factor
    assert abs(result["qc"]["activity_factor"] - 1.0) > 0.02
    assert result["qc"]["suvmean_ratio_body"] == pytest.approx(1.0, abs=1e-4)


def test_result_keys_and_types(
    small_series_dir: Path, random_bundle_info: BundleInfo, random_scorer_info: ScorerInfo, tmp_path: Path
) -> None:
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=tmp_path / "o",
        weights_dir=random_bundle_info.directory,
        scorer_dir=random_scorer_info.directory,
    )
    stages: list[str] = []
    result = run_process(request=request, progress=lambda stage, _: stages.append(stage))
    assert list(result) == ["input", "output", "qc", "adaptation", "uncertainty", "provenance", "timings_s", "notes"]
    assert result["uncertainty"] is None  # not asked for
    assert result["input"]["n_slices"] == 12 and isinstance(result["output"]["sr_uid"], str)
    for side in ("input", "output"):
        scores = result[side]["scores"]
        assert set(scores) == {"gqr", "pr", "dc", "raw", "uncertainty", "calibration", "n_patches", "seed"}
        assert scores["calibration"] == random_scorer_info.calibration and scores["n_patches"] > 0
    assert result["adaptation"] is None and "score" in stages
    document = read_sr(tmp_path / "o" / SR_NAME)
    for label, side in ((INPUT_GROUP, "input"), (OUTPUT_GROUP, "output")):
        group = group_of(document, label=label)
        assert score_values(group) == {m: result[side]["scores"][m] for m in ("gqr", "pr", "dc")}
        assert uncertainty_values(group) == pytest.approx(result[side]["scores"]["uncertainty"], abs=1e-6)
        assert text_value(group) == random_scorer_info.calibration
    provenance = result["provenance"]
    assert provenance["scorer"] == random_scorer_info.provenance()
    assert provenance["device_uid"] == random_bundle_info.device_uid
    assert set(provenance["denoiser"]) == {"name", "version", "sha256", "engine", "ensemble", "strength", "blend"}
    assert provenance["denoiser"]["ensemble"] == DEFAULT_ENSEMBLE
    assert (provenance["denoiser"]["strength"], provenance["denoiser"]["blend"]) == ("medium", 0.75)  # the default
    assert isinstance(provenance["software_version"], str) and provenance["software_version"]
    assert list(result["timings_s"]) == list(STAGES)
    assert result["timings_s"]["adapt"] == 0.0 and result["timings_s"]["score"] > 0.0
    assert result["timings_s"]["denoise"] > 0.0
    for key in ("suvmax_in", "suvmax_out", "suvmean_ratio_body", "activity_factor", "noise_cov_in", "noise_cov_out"):
        assert isinstance(result["qc"][key], float), key
    assert result["notes"] == []


def test_the_strength_level_blends_the_output_and_is_recorded_in_result_series_and_sr(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    source = read_pet_series(source=small_series_dir).volume.voxels
    body = body_mask(voxels=source)
    change: dict[Strength, float] = {}
    for level, blend in ((Strength.LOW, 0.5), (Strength.HIGH, 1.0)):
        out = tmp_path / str(level)
        request = ProcessRequest(
            input_dir=small_series_dir,
            out_dir=out,
            weights_dir=random_bundle_info.directory,
            score=False,
            strength=level,
        )
        result = run_process(request=request)
        denoiser = result["provenance"]["denoiser"]
        assert (denoiser["strength"], denoiser["blend"]) == (str(level), blend)
        derived = read_pet_series(source=out / DENOISED_DIR)
        description = derived.datasets[0].DerivationDescription
        assert description.endswith(f"; strength={level}; blend={blend:g}") and len(description) <= 1024
        qc = group_of(read_sr(out / SR_NAME), label=QC_GROUP)
        assert [f"strength={level}", f"blend={blend:g}"] == algorithm_parameters(qc)[1:3]
        change[level] = float(np.abs(derived.volume.voxels - source)[body].mean())
    # half of the untrained network's change is kept at low (each output is then scaled to the body's total)
    assert 0.3 * change[Strength.HIGH] < change[Strength.LOW] < 0.7 * change[Strength.HIGH]


def test_a_missing_scorer_is_refused_before_reading(random_bundle_info: BundleInfo, tmp_path: Path) -> None:
    request = ProcessRequest(
        input_dir=tmp_path / "no-such-series",
        out_dir=tmp_path / "out",
        weights_dir=random_bundle_info.directory,
        scorer_dir=tmp_path / "no-scorer",
    )
    with pytest.raises(InputError) as caught:
        run_process(request=request)
    assert caught.value.check == "scorer_weights" and not (tmp_path / "out").exists()


def test_scores_sr_holds_the_result_and_references_both_series(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_process(request=_request(series=small_series_dir, out=out, bundle=random_bundle_info, score=False))
    document = read_sr(out / SR_NAME)
    assert (out / SR_NAME).stat().st_mode & 0o777 == 0o644  # readable like result.json, not a private temp file
    assert document.SOPInstanceUID == result["output"]["sr_uid"]
    source_uids = {str(ds.SOPInstanceUID) for ds in read_pet_series(source=small_series_dir).datasets}
    derived_uids = {str(ds.SOPInstanceUID) for ds in read_pet_series(source=out / DENOISED_DIR).datasets}
    qc = group_of(document, label=QC_GROUP)
    assert referenced_uids(qc) == source_uids | derived_uids
    expected = {
        measure.key: pytest.approx(result["qc"][measure.key] * measure.factor)
        for measure in QC_MEASURES
        if result["qc"].get(measure.key) is not None
    }
    assert {key: value for key, (value, _) in qc_values(qc).items()} == expected
    assert len(expected) >= 5  # SUVmax in/out, Bq/ml max in/out, body ratio, CoV in/out of the small study
    (study,) = document.CurrentRequestedProcedureEvidenceSequence
    assert {str(item.SeriesInstanceUID) for item in study.ReferencedSeriesSequence} == {
        result["input"]["series_uid"],
        result["output"]["series_uid"],
    }


def test_no_score_leaves_scores_null_and_adapt_off_is_accepted(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=tmp_path / "o",
        weights_dir=random_bundle_info.directory,
        adapt=AdaptMode.OFF,
        score=False,
    )
    result = run_process(request=request)
    assert result["notes"] == [] and result["adaptation"] is None
    assert result["input"]["scores"] is None and result["output"]["scores"] is None
    assert result["provenance"]["scorer"] is None and result["timings_s"]["score"] == 0.0


def test_failure_while_writing_leaves_nothing(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise OutputError("disk full")

    monkeypatch.setattr(job, "write_series", broken)
    out = tmp_path / "deeper" / "out"
    with pytest.raises(OutputError, match="disk full"):
        run_process(request=_request(series=small_series_dir, out=out, bundle=random_bundle_info))
    assert list(tmp_path.iterdir()) == []  # no OUT, no staging folder, no parent created for them


def test_failure_after_the_series_leaves_an_empty_out_as_it_was(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(job, "write_json_atomic", broken)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError):
        run_process(request=_request(series=small_series_dir, out=out, bundle=random_bundle_info))
    assert [path.name for path in tmp_path.iterdir()] == ["out"] and list(out.iterdir()) == []


def test_an_empty_out_folder_is_used(small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run_process(request=_request(series=small_series_dir, out=out, bundle=random_bundle_info))
    assert (out / "result.json").is_file()


def test_non_empty_out_is_refused_before_reading(random_bundle_info: BundleInfo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    request = _request(series=tmp_path / "no-such-series", out=out, bundle=random_bundle_info)
    with pytest.raises(InputError) as caught:
        run_process(request=request)
    assert caught.value.check == "output_exists"
    assert [path.name for path in out.iterdir()] == ["mine.txt"]


def test_bad_input_writes_nothing(random_bundle_info: BundleInfo, tmp_path: Path) -> None:
    series = tmp_path / "series"
    series.mkdir()
    (series / "a.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(NotDicomError):
        run_process(request=_request(series=series, out=tmp_path / "out", bundle=random_bundle_info))
    assert [path.name for path in tmp_path.iterdir()] == ["series"]


def test_bad_weights_are_input_errors(small_series_dir: Path, tmp_path: Path) -> None:
    request = ProcessRequest(input_dir=small_series_dir, out_dir=tmp_path / "out", weights_dir=tmp_path / "none")
    with pytest.raises(InputError, match="incomplete or unreadable"):
        run_process(request=request)
    assert not (tmp_path / "out").exists()


def test_a_volume_the_scorer_cannot_sample_keeps_its_denoised_series(
    small_series_dir: Path, random_bundle_info: BundleInfo, random_scorer_info: ScorerInfo, tmp_path: Path
) -> None:
    """Four 48 x 48 slices have no coronal patch above the threshold: no scores, the reason, everything else."""
    series = tmp_path / "crop"
    series.mkdir()
    for path in sorted(small_series_dir.glob("*.dcm"))[4:8]:
        shutil.copy(path, series)
    request = ProcessRequest(
        input_dir=series,
        out_dir=tmp_path / "o",
        weights_dir=random_bundle_info.directory,
        scorer_dir=random_scorer_info.directory,
    )
    result = run_process(request=request)
    assert result["input"]["scores"] is None and result["output"]["scores"] is None
    (note,) = result["notes"]
    assert note.startswith("No quality scores: the scorer could not sample this 4 × 48 × 48 (z, y, x) volume")
    assert "coronal patch" in note
    assert read_pet_series(source=tmp_path / "o" / DENOISED_DIR).volume.shape == (4, 48, 48)
    document = read_sr(tmp_path / "o" / SR_NAME)
    report = document.content
    labels = [group.tracking_identifier for group in report.get_image_measurement_groups()]
    assert labels == [QC_GROUP]
    assert text_value(group_of(document, label=QC_GROUP), code=codes.DCM.Comment) == note
    assert result["provenance"]["scorer"] == random_scorer_info.provenance()
