"""Training: a tiny network lowers its loss; runs are reproducible and resumable; bad settings are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from imaging.errors import InputError
from imaging.simulation.shard_store import MANIFEST_NAME, run_shards
from imaging.simulation.shards import ShardConfig
from models.bundle import load_bundle_info
from models.training.checkpoint import CHECKPOINT_NAME, load_checkpoint
from models.training.config import Target, TrainConfig
from models.training.data import load_patch_sets, sample_batch
from models.training.loop import train_denoiser


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    config = ShardConfig(
        studies=3, seed=11, shape=(6, 32, 32), spacing_mm=(4.0, 8.0, 8.0), patch=16, patches_per_level=6
    )
    run_shards(out=out, config=config, log=lambda line: None)
    return out


def _config(shards: Path, **overrides: object) -> TrainConfig:
    values: dict[str, object] = {
        "shards": (str(shards),),
        "width": 8,
        "steps": 60,
        "batch": 16,
        "lr": 3e-3,
        "warmup": 5,
        "val_every_nth_study": 3,
        "eval_every": 20,
        "seed": 4,
    }
    return TrainConfig(**(values | overrides))  # type: ignore[arg-type]


def test_patch_sets_hold_out_whole_studies_and_normalise(shard_dir: Path) -> None:
    train, val = load_patch_sets(config=_config(shard_dir))
    per_study = 6 * 6  # patches per level × levels
    assert (len(train), len(val)) == (2 * per_study, per_study)
    assert train.x.shape[1:] == (3, 16, 16) and train.y.shape[1:] == (1, 16, 16)
    assert 0.05 < float(train.y.mean()) < 20.0  # activity over the volume's activity scale, not Bq/ml


def test_full_count_target_differs_from_the_clean_one(shard_dir: Path) -> None:
    clean, _ = load_patch_sets(config=_config(shard_dir))
    full, _ = load_patch_sets(config=_config(shard_dir, target=Target.FULL))
    assert torch.equal(clean.x, full.x) and not torch.equal(clean.y, full.y)


def test_batches_are_determined_by_the_generator(shard_dir: Path) -> None:
    train, _ = load_patch_sets(config=_config(shard_dir))
    first = sample_batch(patches=train, batch=5, gain_range=1.25, rng=np.random.default_rng(1))
    again = sample_batch(patches=train, batch=5, gain_range=1.25, rng=np.random.default_rng(1))
    assert torch.equal(first.x, again.x) and torch.equal(first.y, again.y)
    assert first.x.shape == (5, 3, 16, 16)


def test_a_tiny_network_lowers_its_loss_and_leaves_a_bundle(shard_dir: Path, tmp_path: Path) -> None:
    result = train_denoiser(config=_config(shard_dir), out=tmp_path, log=lambda line: None)
    losses = [entry["val_loss"] for entry in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    info = load_bundle_info(directory=tmp_path)
    assert info.config.width == 8 and json.loads((tmp_path / "train-config.json").read_text())["seed"] == 4


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_same_weights(shard_dir: Path, tmp_path: Path) -> None:
    whole = train_denoiser(config=_config(shard_dir, steps=40), out=tmp_path / "whole", log=lambda line: None)
    rewind = tmp_path / "rewind"
    config = _config(shard_dir, steps=40)
    _stop_after(config=config, out=rewind, steps=20)
    checkpoint = load_checkpoint(directory=rewind)
    assert checkpoint is not None and checkpoint.step == 20
    resumed = train_denoiser(config=config, out=rewind, log=lambda line: None)
    assert resumed.bundle.onnx_sha256 == whole.bundle.onnx_sha256


def _stop_after(*, config: TrainConfig, out: Path, steps: int) -> None:
    """Run ``config`` but stop (as a crash would) right after the checkpoint of ``steps``."""

    class Stop(Exception):
        pass

    def log(line: str) -> None:
        if line.startswith(f"step {steps}/"):
            raise Stop

    with pytest.raises(Stop):
        train_denoiser(config=config, out=out, log=log)
    assert (out / CHECKPOINT_NAME).exists()


def test_a_folder_with_another_run_is_refused(shard_dir: Path, tmp_path: Path) -> None:
    train_denoiser(config=_config(shard_dir, steps=20), out=tmp_path, log=lambda line: None)
    with pytest.raises(InputError, match="differing: steps"):
        train_denoiser(config=_config(shard_dir, steps=30), out=tmp_path, log=lambda line: None)


def test_shards_of_an_old_format_are_refused(shard_dir: Path, tmp_path: Path) -> None:
    manifest = json.loads((shard_dir / MANIFEST_NAME).read_text())
    manifest["format"] = "petiq-shards/1"
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="petiq-shards/1"):
        load_patch_sets(config=_config(tmp_path))


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    config = TrainConfig(shards=("x",), steps=100, warmup=10, lr=1e-3, lr_min=1e-5)
    assert config.lr_at(step=0) == pytest.approx(1e-4)
    assert config.lr_at(step=9) == pytest.approx(1e-3)
    assert config.lr_at(step=99) == pytest.approx(1e-5, rel=0.05)
    assert TrainConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("overrides", [{"steps": 0}, {"shards": ()}, {"lr_min": 1.0}])
def test_impossible_settings_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InputError, match="Argument"):
        TrainConfig(**({"shards": ("x",)} | overrides))  # type: ignore[arg-type]


def test_level_balance_is_an_exponent_and_older_runs_wrote_a_bool() -> None:
    assert TrainConfig.from_json({"shards": ["x"], "level_balance": True}).level_balance == 1.0
    assert TrainConfig.from_json({"shards": ["x"], "level_balance": False}).level_balance == 0.0
    with pytest.raises(InputError, match="level_balance"):
        TrainConfig(shards=("x",), level_balance=1.5)


def test_a_fine_tune_starts_from_its_init_bundle_and_records_it(shard_dir: Path, tmp_path: Path) -> None:
    base = train_denoiser(config=_config(shard_dir, steps=20), out=tmp_path / "base", log=lambda line: None)
    frozen = _config(shard_dir, steps=1, lr=1e-12, lr_min=1e-12, warmup=1, init=str(tmp_path / "base"))
    tuned = train_denoiser(config=frozen, out=tmp_path / "tuned", log=lambda line: None)
    before = torch.load(tmp_path / "base" / "dncnn.pt", weights_only=True)
    after = torch.load(tmp_path / "tuned" / "dncnn.pt", weights_only=True)
    for key in (k for k in before if k.endswith("weight")):  # one step of lr 1e-12: the init's weights
        torch.testing.assert_close(after[key], before[key], atol=1e-8, rtol=0)
    assert tuned.bundle.metadata["init_sha256"] == base.bundle.onnx_sha256
    assert (base.bundle.version, tuned.bundle.version) == ("w8-s4", "w8-s4-ft")
    fresh = train_denoiser(
        config=_config(shard_dir, steps=1, lr=1e-12, lr_min=1e-12, warmup=1), out=tmp_path / "f", log=lambda line: None
    )
    fresh_state = torch.load(tmp_path / "f" / "dncnn.pt", weights_only=True)
    assert not torch.equal(fresh_state["convs.0.weight"], before["convs.0.weight"])
    assert "init_sha256" not in fresh.bundle.metadata


def test_an_init_bundle_of_another_architecture_is_refused_before_anything_is_written(
    shard_dir: Path, tmp_path: Path
) -> None:
    train_denoiser(config=_config(shard_dir, steps=20), out=tmp_path / "base", log=lambda line: None)
    wider = _config(shard_dir, width=12, init=str(tmp_path / "base"))
    with pytest.raises(InputError, match="another architecture"):
        train_denoiser(config=wider, out=tmp_path / "tuned", log=lambda line: None)
    assert not (tmp_path / "tuned").exists()


def test_a_sparse_run_idles_its_target_share_pins_it_and_ships_pruned(shard_dir: Path, tmp_path: Path) -> None:
    from models.bundle import load_adaptable_model, load_torch_model

    config = _config(shard_dir, steps=40, sparsity=50.0, sparsity_ramp=20, sparsity_target=0.3, eval_every=10)
    result = train_denoiser(config=config, out=tmp_path, log=lambda line: None)
    history = result.history
    assert [entry["idle_share"] >= 0.3 for entry in history][-1]
    sparsity = result.bundle.metadata["sparsity"]
    assert sparsity["pinned_at"] is not None and sparsity["idle_share"] >= 0.3
    widths = result.bundle.config.widths
    assert widths is not None and sum(widths) <= 0.7 * 7 * 8 and "-sp-" in result.bundle.version
    pruned = load_torch_model(info=result.bundle, device=torch.device("cpu"))
    full = load_adaptable_model(info=result.bundle, device=torch.device("cpu"))
    x = torch.rand((1, 3, 16, 16)) + 0.5
    assert full.config.widths is None and torch.allclose(pruned(x), full(x), atol=1e-5)
    again = _config(shard_dir, steps=10, sparsity=1.0, sparsity_target=0.3, init=str(tmp_path))
    second = train_denoiser(config=again, out=tmp_path / "stage2", log=lambda line: None)  # from its sparse network
    assert second.bundle.metadata["init_sha256"] == result.bundle.onnx_sha256
    assert second.bundle.metadata["sparsity"]["pinned_at"] == 1  # its idle channels already meet the target


def test_lesion_training_reads_the_labels_and_oversamples_lesion_patches(tmp_path: Path) -> None:
    from imaging.simulation.phantom import PhantomKind
    from models.training.data import lesion_draw_weights

    shards = tmp_path / "shards"
    lesion_config = ShardConfig(
        studies=3,
        seed=20,
        kinds=(PhantomKind.TORSO,),
        protocols=("v1",),
        levels=(0.1, 0.5),
        patch=16,
        patches_per_level=6,
        shape=(16, 96, 96),
        spacing_mm=(4.0, 5.0, 5.0),
        lesion_fraction=0.5,
        lesions=(4, 6),
        lesion_diameter_mm=(25.0, 30.0),
    )
    run_shards(out=shards, config=lesion_config, log=lambda line: None)
    config = _config(shards, steps=10, lesion_oversample=4.0, lesion_weight=1.0, eval_every=10)
    train, _ = load_patch_sets(config=config)
    assert train.lesion is not None and train.lesion.shape == (len(train), 1, 16, 16)
    draw = lesion_draw_weights(patches=train, oversample=4.0)
    present = (train.lesion.flatten(1).amax(dim=1) > 0).numpy()
    assert draw is not None and present.any() and (~present).any()
    assert np.isclose(draw[present][0] / draw[~present][0], 4.0)
    result = train_denoiser(config=config, out=tmp_path / "run", log=lambda line: None)
    assert np.isfinite(result.history[-1]["train_loss"])


def test_lesion_training_refuses_shards_without_labels(shard_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(shard_dir, copy)
    for path in copy.glob("shard-*.npz"):
        with np.load(path) as arrays:
            kept = {key: arrays[key] for key in arrays.files if key != "lesion"}
        np.savez(path, **kept)
    load_patch_sets(config=_config(copy))  # without lesion options: still readable
    with pytest.raises(InputError, match="lesion labels"):
        load_patch_sets(config=_config(copy, lesion_weight=1.0))


def test_a_selective_sparse_run_idles_exactly_the_chosen_share_of_each_layer(shard_dir: Path, tmp_path: Path) -> None:
    config = _config(
        shard_dir, steps=40, sparsity=50.0, sparsity_ramp=20, sparsity_target=0.5, sparsity_select=True, eval_every=10
    )
    result = train_denoiser(config=config, out=tmp_path, log=lambda line: None)
    record = result.bundle.metadata["sparsity"]
    assert record["pinned_at"] is not None and record["selected"] is not None
    assert result.bundle.config.widths == (4,) * 7  # half of width 8 in every hidden layer
    assert [sum(mask) for mask in record["pinned"]] == [4] * 7
