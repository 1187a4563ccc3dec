"""Stage ``write``: the derived DICOM series, and the job's output folder written all or nothing.

The output folder ``OUT`` is staged in a hidden sibling ``OUT.parent/.OUT.name.<random>.tmp``: the derived series
(``denoised/``), the scores SR (``scores-sr.dcm``, :mod:`workers.pipeline.report_sr`) and ``result.json`` are
written there, then the folder is renamed to ``OUT`` in one step. On any
failure the staging folder (and any parent folder created for it) is removed, so ``OUT`` either appears complete
or not at all. ``OUT`` may exist beforehand only as an empty folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydicom import Dataset

from imaging.dicom.derived import AlgorithmIdentity, derive_series
from imaging.dicom.reader import PetSeries
from imaging.errors import InputError, OutputError
from imaging.volume import PetVolume
from models.bundle_info import BundleInfo
from workers.pipeline.result import software_version

__all__ = [
    "ALGORITHM_NAME",
    "DENOISED_DIR",
    "RESULT_NAME",
    "SR_NAME",
    "algorithm_identity",
    "check_output_free",
    "derived_datasets",
    "staged_output",
]

ALGORITHM_NAME = "petiq DnCNN denoiser"
DENOISED_DIR = "denoised"
RESULT_NAME = "result.json"
SR_NAME = "scores-sr.dcm"
_FOLDER_MODE = 0o755


def algorithm_identity(*, bundle: BundleInfo) -> AlgorithmIdentity:
    """The contributing equipment of the denoised series: the bundle's name, version, weights and DeviceUID."""
    return AlgorithmIdentity(
        name=ALGORITHM_NAME,
        version=bundle.version,
        software_version=software_version(),
        device_uid=bundle.device_uid,
        manufacturer="petiq",
        description=f"2.5D DnCNN {bundle.name} {bundle.version}, weights sha256 {bundle.onnx_sha256[:12]}",
    )


def derived_datasets(*, series: PetSeries, denoised: PetVolume, bundle: BundleInfo) -> list[Dataset]:
    """The DERIVED series of ``denoised`` (``(z, y, x) float32`` on the grid of ``series``), one dataset a slice."""
    return derive_series(volume=denoised, sources=series.datasets, algorithm=algorithm_identity(bundle=bundle))


def check_output_free(*, out_dir: Path) -> None:
    """Raise :class:`InputError` (check ``output_exists``) unless ``out_dir`` is absent or an empty folder."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(
            f"Argument 'out_dir' should be a new or empty folder; {out_dir} exists and is not empty.",
            check="output_exists",
            path=str(out_dir),
        )


def _make_parents(path: Path) -> list[Path]:
    """Create the missing parents of ``path``; returns those created, innermost first."""
    missing = [parent for parent in path.parents if not parent.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _remove(*, staging: Path | None, parents: list[Path]) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for parent in parents:
        with contextlib.suppress(OSError):
            parent.rmdir()


@contextlib.contextmanager
def staged_output(*, out_dir: Path) -> Iterator[Path]:
    """Yield a hidden staging folder next to ``out_dir``; rename it to ``out_dir`` when the block succeeds.

    Raises:
        InputError: ``out_dir`` is not absent or empty (check ``output_exists``).
        OutputError: the folder could not be created or renamed; nothing is left behind.
    """
    out_dir = Path(out_dir).absolute()
    check_output_free(out_dir=out_dir)
    parents: list[Path] = []
    staging: Path | None = None
    try:
        parents = _make_parents(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
        os.chmod(staging, _FOLDER_MODE)  # mkdtemp makes it private; the result is an ordinary folder
        yield staging
        for folder in (path for path in staging.iterdir() if path.is_dir()):
            os.chmod(folder, _FOLDER_MODE)
        os.rename(staging, out_dir)  # atomic; replaces an empty folder on POSIX
    except OSError as error:
        _remove(staging=staging, parents=parents)
        raise OutputError(f"Could not write the output folder: {error}.", path=str(out_dir)) from error
    except BaseException:
        _remove(staging=staging, parents=parents)
        raise
