"""Writing training shards to a folder: a manifest, one ``.npz`` per study, resumable and atomic.

Layout of ``DIR``::

    manifest.json        format, the ShardConfig and the per-study plan; written first, atomically
    shard-00000.npz      study 0's samples (see imaging.simulation.shards); each written to a temp file, then
    shard-00001.npz      renamed into place, so an existing shard is always complete
    shards.log           one line per shard (``shard 3/40 torso high_bmi v2 11.2 s``)
    .lock                held (flock) while a run writes; a second run on the same folder is refused

Rerunning on the same folder with the same configuration skips the shards already there and writes the rest; a
different configuration is refused with the differing keys named (shards of two configurations never mix).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.atomic import write_atomic
from imaging.errors import InputError, OutputError
from imaging.simulation import shards
from imaging.simulation.shards import ShardConfig, StudyPlan

__all__ = [
    "LOG_NAME",
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "ShardRun",
    "append_log",
    "check_unlocked",
    "make_directory",
    "prepare_directory",
    "run_shards",
    "shard_path",
    "write_atomic",
]

MANIFEST_NAME = "manifest.json"
LOG_NAME = "shards.log"
LOCK_NAME = ".lock"
MANIFEST_FORMAT = "petiq-shards/2"


@dataclass(frozen=True, kw_only=True)
class ShardRun:
    """What one run did: shards written now, shards found already written, and the total."""

    written: int
    skipped: int
    total: int


def shard_path(*, out: Path, index: int) -> Path:
    """``out/shard-{index:05d}.npz``."""
    return out / f"shard-{index:05d}.npz"


def _manifest(*, config: ShardConfig, plans: tuple[StudyPlan, ...]) -> dict[str, Any]:
    studies = [
        {"index": p.index, "seed": p.seed, "kind": str(p.kind), "variant": p.variant, "protocol": p.protocol}
        for p in plans
    ]
    return {"format": MANIFEST_FORMAT, "config": config.to_json(), "studies": studies}


_ADDED_SETTINGS: Mapping[str, Any] = {
    "lesion_fraction": 0.0,
    "lesions": None,
    "lesion_hosts": None,
    "lesion_diameter_mm": None,
}
"""Settings added to the manifest after its format was fixed, with the value older manifests meant."""


def _differing_keys(*, found: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    return sorted(key for key in set(found) | set(wanted) if found.get(key) != wanted.get(key))


def make_directory(*, out: Path) -> None:
    """Create ``out`` (and its parents); OutputError if it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"Argument 'out' could not be created: {error}.", path=str(out)) from error


def append_log(*, out: Path, line: str) -> None:
    """Append ``line`` to ``out/shards.log``, prefixed with the local time."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        with open(out / LOG_NAME, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {line}\n")
    except OSError as error:
        raise OutputError(f"Could not append to {LOG_NAME}: {error}.", path=str(out / LOG_NAME)) from error


def prepare_directory(*, out: Path, config: ShardConfig) -> tuple[StudyPlan, ...]:
    """Write the manifest of ``config`` into ``out`` (which must exist), or check an existing one holds
    ``config``; returns the plan.

    InputError naming the differing keys if ``out`` already holds shards of another configuration.
    """
    plans = shards.plan_studies(config=config)
    manifest = _manifest(config=config, plans=plans)
    path = out / MANIFEST_NAME
    try:
        found = json.loads(path.read_text()) if path.exists() else None
    except (OSError, ValueError) as error:
        raise InputError(f"Argument 'out' holds an unreadable {MANIFEST_NAME}: {error}.", path=str(path)) from error
    if found is None:
        text = json.dumps(manifest, indent=2).encode()
        write_atomic(path=path, write=lambda handle: handle.write(text))
        return plans
    wanted = {"format": MANIFEST_FORMAT, **manifest["config"]}
    found_config = {**_ADDED_SETTINGS, **found.get("config", {})}
    differing = _differing_keys(found={"format": found.get("format"), **found_config}, wanted=wanted)
    if differing:
        raise InputError(
            f"Argument 'out' holds shards of another configuration (differing: {', '.join(differing)}); "
            "use a new folder or the same settings.",
            check="shard_config",
            path=str(path),
        )
    return plans


@contextlib.contextmanager
def _locked(*, out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` exclusively; InputError if another run holds it."""
    with open(out / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"Argument 'out' is being written by another run ({out / LOCK_NAME} is locked).",
                check="shard_lock",
                path=str(out),
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_unlocked(*, out: Path) -> None:
    """InputError if a run is writing ``out`` now (``out`` must exist)."""
    with _locked(out=out):
        pass


def _save(*, path: Path, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    write_atomic(path=path, write=lambda handle: np.savez(handle, allow_pickle=False, **arrays))


def run_shards(*, out: Path, config: ShardConfig, log: Callable[[str], None]) -> ShardRun:
    """Write every missing shard of ``config`` into ``out`` (see the module docstring); ``log`` gets one line each.

    Raises InputError for a foreign configuration or a concurrent run, OutputError when a write fails.
    """
    make_directory(out=out)
    with _locked(out=out):
        plans = prepare_directory(out=out, config=config)
        total = len(plans)
        missing = [plan for plan in plans if not shard_path(out=out, index=plan.index).exists()]
        log(f"start: {total} studies in {out}, {total - len(missing)} already written, {len(missing)} to go")
        for plan in missing:
            started = time.perf_counter()
            arrays = shards.simulate_shard(plan=plan, config=config)
            _save(path=shard_path(out=out, index=plan.index), arrays=arrays)
            elapsed = time.perf_counter() - started
            log(f"shard {plan.index + 1}/{total} {plan.kind} {plan.variant} {plan.protocol} {elapsed:.1f} s")
        log(f"done: {total} shards in {out}")
    return ShardRun(written=len(missing), skipped=total - len(missing), total=total)
