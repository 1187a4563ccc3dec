"""Per-study adaptation inside ``run_process``: modes, split checks, a new device, frozen kernels kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.adapt import AdaptMode
from core.strength import Strength
from imaging.dicom.reader import read_pet_series
from imaging.errors import InputError
from models.adaptation.online import AdaptationSettings
from models.bundle import BundleInfo, load_torch_model
from models.tgd.masks import parameter_masks, tgd_masks
from tests.workers.builders import random_bundle
from workers.pipeline.adapt import SINGLE_APPROXIMATION, adapt_denoiser, effective_mode
from workers.pipeline.job import ProcessRequest, run_process

QUICK = AdaptationSettings(steps=4, batch=2, patch=16, phi=0.5, seed=3)
A, B = Path("a"), Path("b")


@pytest.mark.parametrize(
    ("mode", "splits", "expected"),
    [
        (AdaptMode.AUTO, (A, B), AdaptMode.N2N_SPLIT),
        (AdaptMode.AUTO, (None, None), None),
        (AdaptMode.OFF, (A, B), None),
        (AdaptMode.SINGLE, (None, None), AdaptMode.SINGLE),
        (AdaptMode.N2N_SPLIT, (A, B), AdaptMode.N2N_SPLIT),
    ],
)
def test_effective_mode(mode: AdaptMode, splits: tuple[Path | None, Path | None], expected: AdaptMode | None) -> None:
    assert effective_mode(mode=mode, split_a=splits[0], split_b=splits[1]) is expected


@pytest.mark.parametrize(("mode", "splits"), [(AdaptMode.N2N_SPLIT, (None, None)), (AdaptMode.AUTO, (A, None))])
def test_incomplete_splits_are_refused(mode: AdaptMode, splits: tuple[Path | None, Path | None]) -> None:
    with pytest.raises(InputError, match="split"):
        effective_mode(mode=mode, split_a=splits[0], split_b=splits[1])


def test_n2n_split_adaptation_makes_a_new_device_and_keeps_frozen_kernels(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series, split_a, split_b = split_study_dirs
    saved = tmp_path / "adapted.pt"
    request = ProcessRequest(
        input_dir=series,
        out_dir=tmp_path / "out",
        weights_dir=random_bundle_info.directory,
        split_a=split_a,
        split_b=split_b,
        adaptation=QUICK,
        save_adapted_model=saved,
        score=False,
    )
    result = run_process(request=request)
    section = result["adaptation"]
    assert section["mode"] == "n2n-split" and section["steps"] == 4 and section["phi"] == 0.5
    assert section["seed"] == 3 and 0 < section["trainable_kernel_fraction"] < 1 and section["approximation"] is None
    assert section["base"]["device_uid"] == random_bundle_info.device_uid != result["provenance"]["device_uid"]
    assert result["timings_s"]["adapt"] > 0
    derived = read_pet_series(source=tmp_path / "out" / "denoised").datasets[0]
    assert derived.ContributingEquipmentSequence[-1].DeviceUID == result["provenance"]["device_uid"]
    base = torch.load(random_bundle_info.directory / "dncnn.pt", weights_only=True)
    adapted = torch.load(saved, weights_only=True)
    assert adapted.keys() == base.keys()
    model = load_torch_model(info=random_bundle_info, device=torch.device("cpu"))
    for key, trainable in parameter_masks(model=model, masks=tgd_masks(model=model, phi=0.5)).items():
        assert torch.equal(adapted[key][~trainable], base[key][~trainable]), key


def test_a_focused_two_round_adaptation_records_its_focus_and_rounds(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series, split_a, split_b = split_study_dirs
    settings = replace(QUICK, steps=2, focus_share=0.5, focus_weight=4.0, rounds=2)
    request = ProcessRequest(
        input_dir=series,
        out_dir=tmp_path / "out",
        weights_dir=random_bundle_info.directory,
        split_a=split_a,
        split_b=split_b,
        adaptation=settings,
        score=False,
    )
    section = run_process(request=request)["adaptation"]
    assert section["steps"] == 4 and [entry["steps"] for entry in section["rounds"]] == [2, 2]
    assert section["settings"]["focus_share"] == 0.5 and section["settings"]["focus_weight"] == 4.0
    focus = section["focus"]
    assert 0.0 <= focus["flagged_body_pct"] <= 100.0 and focus["margin"] == 3.0 and len(focus["sigma_voxels"]) == 3
    plain = replace(QUICK, focus_share=0.0, focus_weight=0.0)
    unfocused = run_process(request=replace(request, out_dir=tmp_path / "plain", adaptation=plain))["adaptation"]
    assert unfocused.get("focus") is None and len(unfocused["rounds"]) == 1


def test_single_series_adaptation_says_it_is_an_approximation(
    small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=tmp_path / "out",
        weights_dir=random_bundle_info.directory,
        adapt=AdaptMode.SINGLE,
        adaptation=QUICK,
        score=False,
    )
    result = run_process(request=request)
    assert result["adaptation"]["mode"] == "single"
    assert result["adaptation"]["approximation"] == SINGLE_APPROXIMATION and SINGLE_APPROXIMATION in result["notes"]


def test_the_adapted_network_is_blended_by_the_base_bundles_strength_levels(
    small_series_dir: Path, tmp_path: Path
) -> None:
    calibrated = {"low": 0.3, "medium": 0.6, "high": 0.9}
    bundle = random_bundle(directory=tmp_path / "calibrated", strengths=calibrated)
    volume = read_pet_series(source=small_series_dir).volume
    adapted = adapt_denoiser(
        bundle=bundle, mode=AdaptMode.SINGLE, volume=volume, splits=None, settings=QUICK, workdir=tmp_path / "work"
    )
    assert adapted.bundle.strengths == calibrated and adapted.bundle.device_uid != bundle.device_uid
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=tmp_path / "out",
        weights_dir=bundle.directory,
        adapt=AdaptMode.SINGLE,
        adaptation=QUICK,
        score=False,
        strength=Strength.LOW,
    )
    result = run_process(request=request)
    assert result["adaptation"]["mode"] == "single"
    assert (result["provenance"]["denoiser"]["strength"], result["provenance"]["denoiser"]["blend"]) == ("low", 0.3)
    derived = read_pet_series(source=tmp_path / "out" / "denoised").datasets[0]
    assert derived.DerivationDescription.endswith("; strength=low; blend=0.3")


def test_a_split_on_another_grid_is_refused_and_nothing_is_written(
    split_study_dirs: tuple[Path, Path, Path], random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    series, split_a, _ = split_study_dirs
    request = ProcessRequest(
        input_dir=series,
        out_dir=tmp_path / "out",
        weights_dir=random_bundle_info.directory,
        split_a=split_a,
        split_b=_shifted_copy(source=split_a, directory=tmp_path / "shifted"),
        adaptation=QUICK,
        score=False,
    )
    with pytest.raises(InputError, match="grid") as caught:
        run_process(request=request)
    assert caught.value.check == "split_geometry"
    assert not (tmp_path / "out").exists()


def _shifted_copy(*, source: Path, directory: Path) -> Path:
    """The series in ``source`` moved 5 mm along x (ImagePositionPatient), written to ``directory``."""
    import pydicom

    directory.mkdir(parents=True)
    for path in sorted(source.glob("*.dcm")):
        dataset = pydicom.dcmread(path)
        position = [float(v) for v in dataset.ImagePositionPatient]
        dataset.ImagePositionPatient = [position[0] + 5.0, position[1], position[2]]
        dataset.save_as(directory / path.name)
    return directory
