"""Weight bundles: files, sha256 checks, DeviceUID that follows the weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from imaging.errors import InputError, OutputError
from models.bundle import (
    METADATA_NAME,
    ONNX_NAME,
    STATE_NAME,
    device_uid,
    load_bundle_info,
    load_torch_model,
    reexport_bundle,
    save_bundle,
)
from models.strength import LEVELS, blend_weight
from tests.models.factories import random_dncnn, write_bundle


def test_bundle_round_trips_the_network(tmp_path: Path) -> None:
    model = random_dncnn()
    info = write_bundle(model=model, directory=tmp_path)
    again = load_torch_model(info=info, device=torch.device("cpu"))
    x = torch.rand(1, 3, 16, 16)
    assert torch.equal(again(x), model(x))
    assert info.config == model.config and info.name == "test-dncnn"


def test_a_noise_map_network_round_trips_and_bundles_older_than_it_load_without(tmp_path: Path) -> None:
    model = random_dncnn(noise_map=True)
    info = write_bundle(model=model, directory=tmp_path / "nm")
    x = torch.rand(1, 3, 24, 24)
    assert info.config.noise_map and torch.equal(load_torch_model(info=info, device=torch.device("cpu"))(x), model(x))
    old = write_bundle(model=random_dncnn(), directory=tmp_path / "old")
    metadata = json.loads((old.directory / METADATA_NAME).read_text())
    del metadata["config"]["noise_map"]
    (old.directory / METADATA_NAME).write_text(json.dumps(metadata))
    assert not load_bundle_info(directory=old.directory).config.noise_map


def test_device_uid_is_a_valid_uid_that_changes_with_the_weights(tmp_path: Path) -> None:
    first = write_bundle(model=random_dncnn(seed=1), directory=tmp_path / "a")
    second = write_bundle(model=random_dncnn(seed=2), directory=tmp_path / "b")
    same = write_bundle(model=random_dncnn(seed=1), directory=tmp_path / "c")
    assert first.device_uid != second.device_uid and first.device_uid == same.device_uid
    uid = first.device_uid
    assert uid.startswith("2.25.") and len(uid) <= 64 and uid[5:].isdigit() and not uid[5:].startswith("0")
    assert device_uid(sha256="0" * 31 + "1" + "f" * 32) == "2.25.1"


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    write_bundle(model=random_dncnn(), directory=tmp_path)
    (tmp_path / STATE_NAME).write_bytes(b"changed")
    with pytest.raises(InputError, match="do not match the sha256"):
        load_bundle_info(directory=tmp_path)


def test_missing_or_foreign_bundles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="incomplete or unreadable"):
        load_bundle_info(directory=tmp_path)
    write_bundle(model=random_dncnn(), directory=tmp_path)
    metadata = json.loads((tmp_path / METADATA_NAME).read_text())
    metadata["normalisation"] = "percentile/0"
    (tmp_path / METADATA_NAME).write_text(json.dumps(metadata))
    with pytest.raises(InputError, match="normalisation"):
        load_bundle_info(directory=tmp_path)


def test_an_export_that_disagrees_with_torch_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import bundle

    monkeypatch.setattr(bundle, "export_max_abs_diff", lambda *, model, onnx_bytes: 1e-3)
    with pytest.raises(OutputError, match="differs from torch"):
        write_bundle(model=random_dncnn(), directory=tmp_path / "b")
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_the_export_difference_is_recorded(tmp_path: Path) -> None:
    info = write_bundle(model=random_dncnn(), directory=tmp_path)
    assert 0.0 <= info.metadata["onnx_max_abs_diff_vs_torch"] <= 1e-4


def test_a_reexported_bundle_keeps_weights_and_record_and_gets_this_exporters_graph(tmp_path: Path) -> None:
    model = random_dncnn(noise_map=True)
    first = save_bundle(model=model, directory=tmp_path, name="test-dncnn", version="t1", extra={"training": {"a": 1}})
    (tmp_path / ONNX_NAME).write_bytes(b"an older export")  # as if written by another exporter ...
    metadata = json.loads((tmp_path / METADATA_NAME).read_text())
    metadata["sha256"][ONNX_NAME] = hashlib.sha256(b"an older export").hexdigest()  # ... and recorded
    (tmp_path / METADATA_NAME).write_text(json.dumps(metadata))
    again = reexport_bundle(directory=tmp_path)
    assert again.onnx_sha256 == first.onnx_sha256 and again.state_sha256 == first.state_sha256
    assert again.metadata["training"] == {"a": 1} and (again.name, again.version) == ("test-dncnn", "t1")


def test_a_bundle_without_strengths_uses_the_default_blend_weights(tmp_path: Path) -> None:
    info = write_bundle(model=random_dncnn(), directory=tmp_path)
    assert "strengths" not in json.loads((tmp_path / METADATA_NAME).read_text()) and info.strengths is None
    assert [blend_weight(strengths=info.strengths, strength=level) for level in LEVELS] == [0.5, 0.75, 1.0]


def test_calibrated_strengths_are_written_read_and_kept_by_a_reexport(tmp_path: Path) -> None:
    levels = {"low": 0.4, "medium": 0.7, "high": 0.95}
    info = save_bundle(model=random_dncnn(), directory=tmp_path, name="n", version="v", extra={}, strengths=levels)
    assert json.loads((tmp_path / METADATA_NAME).read_text())["strengths"] == levels
    assert info.strengths == levels and load_bundle_info(directory=tmp_path).strengths == levels
    assert blend_weight(strengths=info.strengths, strength="low") == 0.4
    assert reexport_bundle(directory=tmp_path).strengths == levels


def test_malformed_strengths_are_refused_when_read_and_never_written(tmp_path: Path) -> None:
    write_bundle(model=random_dncnn(), directory=tmp_path / "read")
    metadata = json.loads((tmp_path / "read" / METADATA_NAME).read_text())
    metadata["strengths"] = {"low": 0.5, "medium": 0.4, "high": 1.0}
    (tmp_path / "read" / METADATA_NAME).write_text(json.dumps(metadata))
    with pytest.raises(InputError, match="grow from low to high") as caught:
        load_bundle_info(directory=tmp_path / "read")
    assert caught.value.check == "strengths"
    with pytest.raises(InputError, match="Nothing was written: 'strengths' should map exactly") as written:
        save_bundle(
            model=random_dncnn(), directory=tmp_path / "new", name="n", version="v", extra={}, strengths={"low": 0.5}
        )
    assert written.value.check == "strengths" and not (tmp_path / "new").exists()
