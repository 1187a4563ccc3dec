"""What a denoiser bundle is, read without torch: ``dncnn.json`` checked against the weight files.

A bundle is a folder with ``dncnn.pt`` (torch state dict), ``dncnn.onnx`` and ``dncnn.json`` (metadata).
``dncnn.json`` holds ``name``, ``version``, the architecture (``config``), the normalisation, the training
settings and figures given by whoever saved it, optionally the blend weight of each strength level
(``"strengths": {"low": a, "medium": b, "high": c}``, :mod:`models.strength`; without it the defaults apply),
and the sha256 of both weight files. The DeviceUID of the network (DICOM ContributingEquipment) is derived from
the ONNX file's sha256, so it changes exactly when the weights do. The ONNX graph maps ``slices``
:data:`INPUT_NAME` to :data:`OUTPUT_NAME`.

Reading a bundle is all the onnxruntime path needs, so this module never imports torch; writing one and loading
its torch network are in :mod:`models.bundle`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.atomic import write_json_atomic
from imaging.errors import InputError
from models.dncnn_config import DnCNNConfig
from models.strength import parse_strengths

__all__ = [
    "INPUT_NAME",
    "METADATA_NAME",
    "NORMALISATION",
    "ONNX_NAME",
    "OUTPUT_NAME",
    "SPARSE_NAME",
    "STATE_NAME",
    "BundleInfo",
    "device_uid",
    "file_sha256",
    "load_bundle_info",
    "write_strengths",
]

STATE_NAME = "dncnn.pt"
SPARSE_NAME = "dncnn-sparse.pt"
"""Optional: the full-width sparse network a pruned bundle was cut from (its idle channels exactly 0), which
targeted gradient descent adapts (it needs the idle channels to put the study's features in)."""
ONNX_NAME = "dncnn.onnx"
METADATA_NAME = "dncnn.json"
NORMALISATION = "activity_scale/1"
"""Inputs are divided by :func:`imaging.intensity.activity_scale` of the whole input volume, outputs multiplied."""
INPUT_NAME = "slices"
"""The ONNX graph's input: ``(n, S, h, w) float32`` normalised slice stacks."""
OUTPUT_NAME = "denoised"
"""The ONNX graph's output: ``(n, 1, h, w) float32`` denoised centre slices."""


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
    strengths: Mapping[str, float] | None = None
    """blend weight α of each strength level (:func:`models.strength.parse_strengths`); None when the bundle has
    none and :data:`models.strength.DEFAULT_BLEND` applies"""
    sparse_sha256: str | None = None
    """sha256 of :data:`SPARSE_NAME` when the bundle ships one (a pruned bundle), else None"""

    @property
    def sparse_path(self) -> Path | None:
        """The full sparse network's state dict (:data:`SPARSE_NAME`), or None when the bundle has none."""
        return self.directory / SPARSE_NAME if self.sparse_sha256 is not None else None

    @property
    def device_uid(self) -> str:
        """The network's DeviceUID, from the ONNX sha256."""
        return device_uid(sha256=self.onnx_sha256)


def device_uid(*, sha256: str) -> str:
    """A DICOM UID ``2.25.<decimal>`` from the first 128 bits of a hex sha256 (PS3.5 B.2 UUID-derived form)."""
    return f"2.25.{int(sha256[:32], 16)}"


def file_sha256(data: bytes) -> str:
    """The hex sha256 of ``data`` (a weight file's bytes)."""
    return hashlib.sha256(data).hexdigest()


def load_bundle_info(*, directory: Path) -> BundleInfo:
    """Read and check ``directory/dncnn.json`` against the weight files; InputError when anything is off."""
    path = directory / METADATA_NAME
    try:
        metadata = json.loads(path.read_text())
        onnx_sha = file_sha256((directory / ONNX_NAME).read_bytes())
        state_sha = file_sha256((directory / STATE_NAME).read_bytes())
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
    sparse_sha = None
    if SPARSE_NAME in recorded:
        try:
            sparse_sha = file_sha256((directory / SPARSE_NAME).read_bytes())
        except OSError as error:
            raise InputError(
                f"Denoiser weights in {directory} name {SPARSE_NAME}, which is unreadable: {error}.",
                path=str(directory),
            ) from error
        if sparse_sha != recorded[SPARSE_NAME]:
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
    try:
        strengths = parse_strengths(value=metadata.get("strengths"))
    except ValueError as error:
        raise InputError(f"Denoiser weights in {directory}: {error}", check="strengths", path=str(path)) from error
    return BundleInfo(
        directory=directory,
        name=str(metadata["name"]),
        version=str(metadata["version"]),
        config=DnCNNConfig(**metadata["config"]),
        onnx_sha256=onnx_sha,
        state_sha256=state_sha,
        metadata=metadata,
        strengths=strengths,
        sparse_sha256=sparse_sha,
    )


def write_strengths(*, directory: Path, strengths: Mapping[str, float], evidence: str) -> BundleInfo:
    """Record the calibrated blend weight of each strength level in the bundle in ``directory`` (its
    ``dncnn.json`` only, atomically: the weight files, their sha256 and so the DeviceUID are unchanged), with
    ``evidence`` (how they were measured) as ``strengths_source``. InputError (check ``strengths``) for malformed
    levels, nothing written."""
    info = load_bundle_info(directory=directory)
    try:
        levels = parse_strengths(value=strengths)
    except ValueError as error:
        raise InputError(f"Nothing was written: {error}", check="strengths", path=str(directory)) from error
    metadata = dict(info.metadata) | {"strengths": levels, "strengths_source": evidence}
    write_json_atomic(path=directory / METADATA_NAME, value=metadata)
    return load_bundle_info(directory=directory)
