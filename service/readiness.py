"""Readiness checks of the gateway: the broker answers, the storage is writable, the weights are there, and the
DICOM storage SCP listens when one is configured (``dimse_port``).

The storage passes when its volume is not mounted read-only, has at least ``min_free_bytes`` free (``statvfs``:
a full volume would refuse what STOW-RS receives, with 507) and a file can be created in it; the detail gives the
free bytes and the threshold.

The weights are checked without loading them (the gateway never imports torch): the bundle's metadata
``dncnn.json`` parses and lists a sha256 for each of its files, and those files exist and are not empty; when
jobs are scored by default, the scorer's ``iqa.json`` parses with a sha256 and its ``iqa.pt`` is not empty.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass

from core.jobs.queue import JobQueue
from core.logs import safe_error
from core.settings import Settings
from core.storage.space import volume_space
from core.weights import denoiser_weights_dir, scorer_weights_dir
from service.dimse.server import StorageScp

__all__ = [
    "BUNDLE_FILES",
    "Check",
    "check_broker",
    "check_dimse",
    "check_scorer",
    "check_storage",
    "check_weights",
]

BUNDLE_FILES = ("dncnn.json", "dncnn.onnx", "dncnn.pt")
"""The files of a weight bundle (``models.bundle``'s METADATA_NAME, ONNX_NAME, STATE_NAME)."""


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and a one-line detail."""

    name: str
    ok: bool
    detail: str


def check_broker(*, queue: JobQueue) -> Check:
    """The broker accepts a connection; the detail of a failure masks any URL's credentials."""
    try:
        queue.ping()
    except Exception as error:
        return Check("broker", False, f"unreachable: {safe_error(error)}")
    return Check("broker", True, "reachable")


def check_storage(*, settings: Settings) -> Check:
    """The storage volume is writable and has ``min_free_bytes`` free (module docstring)."""
    threshold = settings.min_free_bytes
    try:
        settings.storage_dir.mkdir(parents=True, exist_ok=True)
        space = volume_space(path=settings.storage_dir)
    except OSError as error:
        return Check("storage", False, f"not writable: {error.strerror or error}")
    if space.read_only:
        return Check("storage", False, "not writable: the volume is mounted read-only")
    if space.free_bytes < threshold:
        detail = f"{space.free_bytes} bytes free, below the threshold min_free_bytes ({threshold} bytes)"
        return Check("storage", False, detail)
    try:
        with tempfile.NamedTemporaryFile(dir=settings.storage_dir, prefix=".ready-") as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as error:
        return Check("storage", False, f"not writable: {error.strerror or error}")
    return Check("storage", True, f"writable, {space.free_bytes} bytes free (min_free_bytes {threshold} bytes)")


def check_weights(*, settings: Settings) -> Check:
    """The denoiser bundle is present (module docstring)."""
    directory = denoiser_weights_dir(settings=settings)
    metadata, *files = (directory / name for name in BUNDLE_FILES)
    try:
        recorded = json.loads(metadata.read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return Check("weights", False, f"no readable {metadata.name} with sha256 entries in the bundle folder")
    missing = [
        path.name for path in files if path.name not in recorded or not path.is_file() or not path.stat().st_size
    ]
    if missing:
        return Check("weights", False, f"bundle files missing or unrecorded: {', '.join(missing)}")
    return Check("weights", True, f"bundle present in {directory}")


def check_scorer(*, settings: Settings) -> Check:
    """The quality scorer is present (module docstring); passes without looking when jobs are not scored."""
    if not settings.default_score:
        return Check("scorer", True, "jobs are not scored by default")
    directory = scorer_weights_dir(settings=settings)
    try:
        recorded = json.loads((directory / "iqa.json").read_text())["sha256"]
        ok = isinstance(recorded, str) and (directory / "iqa.pt").stat().st_size > 0
    except (OSError, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        return Check("scorer", False, "no readable iqa.json with a sha256 and iqa.pt in the scorer folder")
    return Check("scorer", True, f"scorer present in {directory}")


def check_dimse(*, settings: Settings, scp: StorageScp | None) -> Check:
    """The storage SCP of ``settings`` listens (``scp`` is the one the app's lifespan started, None when none
    was); the detail names its AE title and address, e.g. ``AE PETIQ on 0.0.0.0:11112``."""
    address = f"AE {settings.dimse_ae_title} on {settings.dimse_host}:{settings.dimse_port}"
    if scp is None or not scp.listening:
        return Check("dimse", False, f"not listening: {address}")
    return Check("dimse", True, scp.detail)
