"""A denoiser's weights on disk, the torch side: writing a bundle and loading its network.

The bundle format (``dncnn.pt``, ``dncnn.onnx``, ``dncnn.json``) and reading its metadata are in
:mod:`models.bundle_info`, which never imports torch; its names are re-exported here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from imaging.atomic import write_atomic, write_json_atomic
from imaging.errors import InputError, OutputError
from models.bundle_info import (
    METADATA_NAME,
    NORMALISATION,
    ONNX_NAME,
    SPARSE_NAME,
    STATE_NAME,
    BundleInfo,
    device_uid,
    file_sha256,
    load_bundle_info,
)
from models.dncnn import DnCNN, DnCNNConfig
from models.onnx_export import EXPORT_TOLERANCE, dncnn_to_onnx, export_max_abs_diff
from models.strength import parse_strengths

__all__ = [
    "METADATA_NAME",
    "NORMALISATION",
    "ONNX_NAME",
    "STATE_NAME",
    "BundleInfo",
    "device_uid",
    "load_adaptable_model",
    "load_bundle_info",
    "load_torch_model",
    "reexport_bundle",
    "save_bundle",
]


def _state_bytes(model: DnCNN) -> bytes:
    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu() for key, value in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def save_bundle(
    *,
    model: DnCNN,
    directory: Path,
    name: str,
    version: str,
    extra: dict[str, Any],
    strengths: Mapping[str, float] | None = None,
    sparse: DnCNN | None = None,
) -> BundleInfo:
    """Write the three files of ``model`` into ``directory`` (each atomically; metadata last) and return its info.
    With ``sparse`` (the full-width network a pruned ``model`` was cut from) also :data:`SPARSE_NAME`, whose
    config is recorded as ``sparse_config``.

    ``strengths``: the blend weight α of each strength level calibrated for this network (``{"low": a, "medium":
    b, "high": c}``, :func:`models.strength.parse_strengths`), written as the metadata's ``strengths``; None keeps
    the one ``extra`` holds, if any (a bundle without it uses :data:`models.strength.DEFAULT_BLEND`).

    The ONNX export is first run against torch (:func:`~models.onnx_export.export_max_abs_diff`); OutputError and
    nothing written when it is off by more than :data:`~models.onnx_export.EXPORT_TOLERANCE`. InputError (check
    ``strengths``) and nothing written when the strengths are malformed.
    """
    try:
        levels = parse_strengths(value=strengths if strengths is not None else extra.get("strengths"))
    except ValueError as error:
        raise InputError(f"Nothing was written: {error}", check="strengths", path=str(directory)) from error
    state, onnx_bytes = _state_bytes(model), dncnn_to_onnx(model=model)
    sparse_state = None if sparse is None else _state_bytes(sparse)
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
    hashes = {STATE_NAME: file_sha256(state), ONNX_NAME: file_sha256(onnx_bytes)}
    extra = {key: value for key, value in extra.items() if key != "sparse_config"}
    if sparse is not None and sparse_state is not None:
        write_atomic(path=directory / SPARSE_NAME, write=lambda handle: handle.write(sparse_state))
        hashes[SPARSE_NAME] = file_sha256(sparse_state)
        extra["sparse_config"] = sparse.config.to_json()
    else:
        (directory / SPARSE_NAME).unlink(missing_ok=True)
    metadata = {
        **extra,  # first: what save_bundle writes itself always wins over a stale copy in extra
        **({"strengths": levels} if levels is not None else {}),
        "name": name,
        "version": version,
        "config": model.config.to_json(),
        "normalisation": NORMALISATION,
        "onnx_max_abs_diff_vs_torch": difference,
        "sha256": hashes,
    }
    write_json_atomic(path=directory / METADATA_NAME, value=metadata)
    return load_bundle_info(directory=directory)


def reexport_bundle(*, directory: Path) -> BundleInfo:
    """Rewrite the bundle in ``directory`` from its own state dict with this petiq's ONNX exporter (same weights,
    name, version and training record; a new ONNX sha256 and so a new DeviceUID). For an exporter change that
    computes the same function faster, such as the separable noise-map pools."""
    info = load_bundle_info(directory=directory)
    cpu = torch.device("cpu")
    return save_bundle(
        model=load_torch_model(info=info, device=cpu),
        directory=directory,
        name=info.name,
        version=info.version,
        extra=dict(info.metadata),  # the keys save_bundle writes itself are written anew
        sparse=load_adaptable_model(info=info, device=cpu) if info.sparse_path is not None else None,
    )


def load_torch_model(*, info: BundleInfo, device: torch.device) -> DnCNN:
    """The bundle's network in eval mode on ``device``."""
    model = DnCNN(config=info.config)
    state = torch.load(info.directory / STATE_NAME, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()


def load_adaptable_model(*, info: BundleInfo, device: torch.device) -> DnCNN:
    """The network targeted gradient descent adapts, in eval mode on ``device``: the full sparse network of a
    pruned bundle (:data:`SPARSE_NAME`, its idle channels exactly 0), else the bundle's own network."""
    if info.sparse_path is None:
        return load_torch_model(info=info, device=device)
    model = DnCNN(config=DnCNNConfig(**info.metadata["sparse_config"]))
    model.load_state_dict(torch.load(info.sparse_path, map_location="cpu", weights_only=True))
    return model.to(device).eval()
