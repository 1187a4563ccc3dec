"""A denoiser's weights on disk: ``dncnn.pt`` (torch state dict), ``dncnn.onnx`` and ``dncnn.json`` (metadata).

``dncnn.json`` holds ``name``, ``version``, the architecture (``config``), the normalisation, the training
settings and figures given by whoever saved it, and the sha256 of both weight files. The DeviceUID of the
network (DICOM ContributingEquipment) is derived from the ONNX file's sha256, so it changes exactly when the
weights do.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from imaging.atomic import write_atomic, write_json_atomic
from imaging.errors import InputError, OutputError
from models.dncnn import DnCNN, DnCNNConfig
from models.onnx_export import EXPORT_TOLERANCE, dncnn_to_onnx, export_max_abs_diff

__all__ = [
    "METADATA_NAME",
    "NORMALISATION",
    "ONNX_NAME",
    "STATE_NAME",
    "BundleInfo",
    "device_uid",
    "load_bundle_info",
    "load_torch_model",
    "reexport_bundle",
    "save_bundle",
]

STATE_NAME = "dncnn.pt"
ONNX_NAME = "dncnn.onnx"
METADATA_NAME = "dncnn.json"
NORMALISATION = "activity_scale/1"
"""Inputs are divided by :func:`imaging.intensity.activity_scale` of the whole input volume, outputs multiplied."""


@dataclass(frozen=True, kw_only=True)
class BundleInfo:
    """What ``dncnn.json`` says about a bundle in ``directory``."""

    directory: Path
    name: str
    version: str
    config: DnCNNConfig
    onnx_sha256: str
    state_sha256: str
    metadata: dict[str, Any]

    @property
    def device_uid(self) -> str:
        """The network's DeviceUID, from the ONNX sha256."""
        return device_uid(sha256=self.onnx_sha256)


def device_uid(*, sha256: str) -> str:
    """A DICOM UID ``2.25.<decimal>`` from the first 128 bits of a hex sha256 (PS3.5 B.2 UUID-derived form)."""
    return f"2.25.{int(sha256[:32], 16)}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_bundle(*, model: DnCNN, directory: Path, name: str, version: str, extra: dict[str, Any]) -> BundleInfo:
    """Write the three files of ``model`` into ``directory`` (each atomically; metadata last) and return its info.

    The ONNX export is first run against torch (:func:`~models.onnx_export.export_max_abs_diff`); OutputError and
    nothing written when it is off by more than :data:`~models.onnx_export.EXPORT_TOLERANCE`.
    """
    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu() for key, value in model.state_dict().items()}, buffer)
    state, onnx_bytes = buffer.getvalue(), dncnn_to_onnx(model=model)
    difference = export_max_abs_diff(model=model, onnx_bytes=onnx_bytes)
    if difference is not None and difference > EXPORT_TOLERANCE:
        raise OutputError(
            f"The ONNX export differs from torch by {difference:.2e} (> {EXPORT_TOLERANCE:g} of the input scale); "
            "nothing was written.",
            check="onnx_export",
            path=str(directory),
        )
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(path=directory / STATE_NAME, write=lambda handle: handle.write(state))
    write_atomic(path=directory / ONNX_NAME, write=lambda handle: handle.write(onnx_bytes))
    metadata = {
        **extra,  # first: what save_bundle writes itself always wins over a stale copy in extra
        "name": name,
        "version": version,
        "config": model.config.to_json(),
        "normalisation": NORMALISATION,
        "onnx_max_abs_diff_vs_torch": difference,
        "sha256": {STATE_NAME: _sha256(state), ONNX_NAME: _sha256(onnx_bytes)},
    }
    write_json_atomic(path=directory / METADATA_NAME, value=metadata)
    return load_bundle_info(directory=directory)


def load_bundle_info(*, directory: Path) -> BundleInfo:
    """Read and check ``directory/dncnn.json`` against the weight files; InputError when anything is off."""
    path = directory / METADATA_NAME
    try:
        metadata = json.loads(path.read_text())
        onnx_sha = _sha256((directory / ONNX_NAME).read_bytes())
        state_sha = _sha256((directory / STATE_NAME).read_bytes())
    except (OSError, ValueError) as error:
        raise InputError(
            f"Denoiser weights in {directory} are incomplete or unreadable: {error}.", path=str(path)
        ) from error
    recorded = metadata.get("sha256", {})
    if recorded.get(ONNX_NAME) != onnx_sha or recorded.get(STATE_NAME) != state_sha:
        raise InputError(
            f"Denoiser weights in {directory} do not match the sha256 in {METADATA_NAME}.",
            check="weights_sha256",
            path=str(directory),
        )
    if metadata.get("normalisation") != NORMALISATION:
        raise InputError(
            f"Denoiser weights in {directory} use normalisation {metadata.get('normalisation')!r}, "
            f"this petiq uses {NORMALISATION!r}.",
            check="normalisation",
            path=str(path),
        )
    return BundleInfo(
        directory=directory,
        name=str(metadata["name"]),
        version=str(metadata["version"]),
        config=DnCNNConfig(**metadata["config"]),
        onnx_sha256=onnx_sha,
        state_sha256=state_sha,
        metadata=metadata,
    )


def reexport_bundle(*, directory: Path) -> BundleInfo:
    """Rewrite the bundle in ``directory`` from its own state dict with this petiq's ONNX exporter (same weights,
    name, version and training record; a new ONNX sha256 and so a new DeviceUID). For an exporter change that
    computes the same function faster, such as the separable noise-map pools."""
    info = load_bundle_info(directory=directory)
    return save_bundle(
        model=load_torch_model(info=info, device=torch.device("cpu")),
        directory=directory,
        name=info.name,
        version=info.version,
        extra=dict(info.metadata),  # the keys save_bundle writes itself are written anew
    )


def load_torch_model(*, info: BundleInfo, device: torch.device) -> DnCNN:
    """The bundle's network in eval mode on ``device``."""
    model = DnCNN(config=info.config)
    state = torch.load(info.directory / STATE_NAME, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()
