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
    STATE_NAME,
    BundleInfo,
    device_uid,
    file_sha256,
    load_bundle_info,
)
from models.dncnn import DnCNN
from models.onnx_export import EXPORT_TOLERANCE, dncnn_to_onnx, export_max_abs_diff
from models.strength import parse_strengths

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


def save_bundle(
    *,
    model: DnCNN,
    directory: Path,
    name: str,
    version: str,
    extra: dict[str, Any],
    strengths: Mapping[str, float] | None = None,
) -> BundleInfo:
    """Write the three files of ``model`` into ``directory`` (each atomically; metadata last) and return its info.

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
        **({"strengths": levels} if levels is not None else {}),
        "name": name,
        "version": version,
        "config": model.config.to_json(),
        "normalisation": NORMALISATION,
        "onnx_max_abs_diff_vs_torch": difference,
        "sha256": {STATE_NAME: file_sha256(state), ONNX_NAME: file_sha256(onnx_bytes)},
    }
    write_json_atomic(path=directory / METADATA_NAME, value=metadata)
    return load_bundle_info(directory=directory)


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
