"""Training shards: the plan, 2.5D sampling, and the atomic, resumable store (tiny 8 × 32 × 32 phantoms)."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from imaging.errors import InputError, OutputError
from imaging.intensity import activity_scale
from imaging.simulation import shard_store, shards
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.phantoms.torso import TORSO_VARIANTS
from imaging.simulation.shard_store import run_shards, shard_path, write_atomic
from imaging.simulation.shards import ShardConfig, StudyPlan
from imaging.simulation.study import StudyRequest, simulate_study

TINY = {"shape": (8, 32, 32), "spacing_mm": (4.0, 8.0, 8.0), "patch": 16, "patches_per_level": 5}


def _config(**changes: Any) -> ShardConfig:
    values: dict[str, Any] = {"studies": 3, "seed": 40, "levels": (0.05, 0.25), **TINY, **changes}
    return ShardConfig(**values)


def _load(path: Path) -> dict[str, npt.NDArray[Any]]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


# --- configuration and plan -----------------------------------------------------------------------------------


def test_nema_is_refused_for_training() -> None:
    with pytest.raises(InputError, match="evaluation only") as caught:
        _config(kinds=(PhantomKind.TORSO, PhantomKind.NEMA))
    assert caught.value.check == "shard_kinds"


@pytest.mark.parametrize(
    ("changes", "argument"),
    [
        ({"levels": (0.05, 1.0)}, "levels"),
        ({"levels": (0.05, 0.05)}, "levels"),
        ({"protocols": ("v3",)}, "protocols"),
        ({"patch": 0}, "patch"),
        ({"studies": 0}, "studies"),
        ({"shape": (1, 32, 32)}, "shape"),
        ({"lesion_fraction": 1.5}, "lesion_fraction"),
        ({"lesions": (4, 2)}, "lesions"),
    ],
)
def test_unusable_settings_name_their_argument(changes: dict[str, Any], argument: str) -> None:
    with pytest.raises(InputError, match=f"Argument '{argument}'"):
        _config(**changes)


def test_plan_is_seeded_recorded_and_stable_under_more_studies() -> None:
    config = _config(studies=12, kinds=(PhantomKind.BRAIN, PhantomKind.TORSO))
    plans = shards.plan_studies(config=config)
    assert plans == shards.plan_studies(config=config)
    assert [plan.seed for plan in plans] == [40 + i for i in range(12)]
    assert shards.plan_studies(config=_config(studies=5, kinds=config.kinds)) == plans[:5]
    assert {plan.kind for plan in plans} == {PhantomKind.BRAIN, PhantomKind.TORSO}
    assert {plan.protocol for plan in plans} == {"v1", "v2"}
    for plan in plans:
        assert plan.variant in (TORSO_VARIANTS if plan.kind is PhantomKind.TORSO else ("normal",))
    assert shards.plan_studies(config=_config(studies=12, seed=41)) != plans


# --- 2.5D sampling --------------------------------------------------------------------------------------------


def test_triplet_order_and_reflection_at_the_ends() -> None:
    volume = np.broadcast_to(np.arange(5, dtype=np.float32)[:, None, None], (5, 2, 3)).copy()
    assert shards.slice_triplet(volume=volume, z=2)[:, 0, 0].tolist() == [1, 2, 3]
    assert shards.slice_triplet(volume=volume, z=0)[:, 0, 0].tolist() == [1, 0, 1]
    assert shards.slice_triplet(volume=volume, z=4)[:, 0, 0].tolist() == [3, 4, 3]
    assert shards.slice_triplet(volume=volume, z=4).shape == (3, 2, 3)
    with pytest.raises(ValueError, match="Argument 'z'"):
        shards.slice_triplet(volume=volume[:1], z=0)


def test_centres_lie_in_the_body_and_the_patch_fits() -> None:
    body = np.random.default_rng(3).random((6, 40, 30)) < 0.2
    centres = shards.sample_centres(body=body, patch=10, n=200, rng=np.random.default_rng(9))
    assert centres.shape == (200, 3)
    assert body[tuple(centres.T)].all()
    assert (centres[:, 1] >= 5).all() and (centres[:, 1] - 5 + 10 <= 40).all()
    assert (centres[:, 2] >= 5).all() and (centres[:, 2] - 5 + 10 <= 30).all()
    again = shards.sample_centres(body=body, patch=10, n=200, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(centres, again)
    with pytest.raises(InputError, match="Argument 'patch'"):
        shards.sample_centres(body=body, patch=31, n=1, rng=np.random.default_rng(9))


def test_lesion_zone_surrounds_lesions_on_their_slices() -> None:
    body = np.ones((6, 40, 40), dtype=bool)
    lesion = np.zeros_like(body)
    lesion[2, 20, 20] = True
    zone = shards.lesion_zone(masks={"body": body, "lesion:a": lesion}, body=body, patch=16)
    assert zone is not None
    assert zone[2].sum() == 9 * 9 and zone[2, 16:25, 16:25].all()  # ± patch // 4 in-plane
    assert not zone[[0, 1, 3, 4, 5]].any()  # the same slice only
    assert shards.lesion_zone(masks={"body": body}, body=body, patch=16) is None


def test_lesion_patches_come_first_and_hold_a_lesion() -> None:
    shape, spacing = (8, 48, 48), (4.0, 6.0, 6.0)  # room for lesions (seed 11 places 2)
    config = _config(lesion_fraction=0.6, lesions=(3, 3), patches_per_level=5, shape=shape, spacing_mm=spacing)
    plan = StudyPlan(index=0, seed=11, kind=PhantomKind.TORSO, variant="low_bmi", protocol="v1")
    phantom = make_phantom(
        kind=plan.kind, seed=plan.seed, variant=plan.variant, shape=shape, spacing_mm=spacing, n_lesions=(3, 3)
    )
    arrays = shards.simulate_shard(plan=plan, config=config)
    lesions = np.logical_or.reduce([m for name, m in phantom.masks.items() if name.startswith("lesion:")])
    half = config.patch // 2
    held = [
        bool(lesions[z, y - half : y - half + config.patch, x - half : x - half + config.patch].any())
        for z, y, x in arrays["centre"]
    ]
    assert len(phantom.lesions) >= 1
    per_level = np.asarray(held).reshape(len(config.levels), 5)
    assert per_level[:, :3].all()  # round(0.6 * 5) = 3 lesion patches per level, first


@pytest.fixture(scope="module")
def torso_study() -> tuple[StudyPlan, ShardConfig, Any]:
    config = _config()
    plan = StudyPlan(index=0, seed=7, kind=PhantomKind.TORSO, variant="high_bmi", protocol="v2")
    phantom = make_phantom(
        kind=plan.kind, seed=plan.seed, variant=plan.variant, shape=(8, 32, 32), spacing_mm=(4, 8, 8)
    )
    request = StudyRequest(kind=plan.kind, seed=7, levels=(1.0, 0.05, 0.25), protocol="v2", variant="high_bmi")
    return plan, config, simulate_study(request=request, phantom=phantom)


def test_shard_contents_match_the_study(torso_study: tuple[StudyPlan, ShardConfig, Any]) -> None:
    plan, config, study = torso_study
    arrays = shards.sample_study(study=study, plan=plan, config=config)
    n, p = 10, 16
    assert arrays["inputs"].shape == (n, 3, p, p) and arrays["inputs"].dtype == np.float32
    for key in ("target", "clean"):
        assert arrays[key].shape == (n, p, p) and arrays[key].dtype == np.float32
    assert arrays["level"].tolist() == pytest.approx([0.05] * 5 + [0.25] * 5)
    assert set(arrays["protocol"]) == {"v2"} and set(arrays["kind"]) == {"torso"}
    assert set(arrays["variant"]) == {"high_bmi"} and set(arrays["study_seed"]) == {7}
    volumes = {series.level: series.volume.voxels for series in study.series}
    body = study.phantom.masks["body"]
    for j in range(n):
        (z, y, x), level = arrays["centre"][j], float(arrays["level"][j])
        rows, cols = slice(y - p // 2, y - p // 2 + p), slice(x - p // 2, x - p // 2 + p)
        assert body[z, y, x]
        near = shards.slice_triplet(volume=volumes[_level(volumes, level)], z=z)
        np.testing.assert_array_equal(arrays["inputs"][j], near[:, rows, cols])
        np.testing.assert_array_equal(arrays["target"][j], volumes[1.0][z, rows, cols])
        np.testing.assert_array_equal(arrays["clean"][j], study.reference[z, rows, cols])
        scale = activity_scale(voxels=volumes[_level(volumes, level)])
        assert arrays["scale"][j] == np.float32(scale)


def _level(volumes: dict[float, Any], level: float) -> float:
    return min(volumes, key=lambda known: abs(known - level))


def test_same_seed_same_shard() -> None:
    plan = shards.plan_studies(config=_config())[1]
    first = shards.simulate_shard(plan=plan, config=_config())
    second = shards.simulate_shard(plan=plan, config=_config())
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    other = shards.simulate_shard(plan=StudyPlan(**{**plan.__dict__, "seed": plan.seed + 100}), config=_config())
    assert not np.array_equal(first["inputs"], other["inputs"])


# --- the store ------------------------------------------------------------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = shards.simulate_shard

    def counted(*, plan: StudyPlan, config: ShardConfig) -> dict[str, npt.NDArray[Any]]:
        calls.append(plan.index)
        return real(plan=plan, config=config)

    monkeypatch.setattr(shards, "simulate_shard", counted)
    return calls


def test_run_writes_every_shard_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    lines: list[str] = []
    summary = run_shards(out=tmp_path, config=_config(), log=lines.append)
    assert (summary.written, summary.skipped, summary.total) == (3, 0, 3) and calls == [0, 1, 2]
    assert sum(line.startswith("shard ") for line in lines) == 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 40 and len(manifest["studies"]) == 3
    before = _load(shard_path(out=tmp_path, index=1))
    shard_path(out=tmp_path, index=1).unlink()
    calls.clear()
    summary = run_shards(out=tmp_path, config=_config(), log=lines.append)
    assert (summary.written, summary.skipped) == (1, 2) and calls == [1]
    after = _load(shard_path(out=tmp_path, index=1))
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_manifest_from_before_lesion_settings_still_resumes(tmp_path: Path) -> None:
    run_shards(out=tmp_path, config=_config(studies=1), log=lambda line: None)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["config"]["lesion_fraction"], manifest["config"]["lesions"]
    path.write_text(json.dumps(manifest))
    assert run_shards(out=tmp_path, config=_config(studies=1), log=lambda line: None).skipped == 1
    with pytest.raises(InputError, match="differing: lesion_fraction"):
        run_shards(out=tmp_path, config=_config(studies=1, lesion_fraction=0.5), log=lambda line: None)


def test_another_configuration_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_shards(out=tmp_path, config=_config(studies=1), log=lambda line: None)
    calls = _counting(monkeypatch)
    with pytest.raises(InputError, match="differing: levels, patch") as caught:
        run_shards(out=tmp_path, config=_config(studies=1, patch=8, levels=(0.1,)), log=lambda line: None)
    assert caught.value.check == "shard_config" and calls == []


def test_a_concurrent_run_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another run"):
            run_shards(out=tmp_path, config=_config(studies=1), log=lambda line: None)
    assert not shard_path(out=tmp_path, index=0).exists()


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")

    def fail(handle: Any) -> None:
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OutputError, match="disk full"):
        write_atomic(path=target, write=fail)
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["x.bin"]


def test_public_names() -> None:
    for module in (shards, shard_store):
        assert all(hasattr(module, name) for name in module.__all__)
