"""Stage ``write``: the derived DICOM series, and the job's output folder written all or nothing.

The output folder ``OUT`` is staged in a hidden sibling ``OUT.parent/.OUT.name.<random>.tmp``: the derived series
(``denoised/``), the uncertainty series when there is one (``uncertainty/``, :mod:`workers.pipeline.uncertainty`),
the scores SR (``scores-sr.dcm``, :mod:`workers.pipeline.report_sr`) and ``result.json`` are
written there, then the folder is renamed to ``OUT`` in one step. On any
failure the staging folder (and any parent folder created for it) is removed, so ``OUT`` either appears complete
or not at all. ``OUT`` may exist beforehand only as an empty folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from pydicom import Dataset

from core.strength import Strength
from core.version import software_version
from imaging.atomic import folder_is_free, staged_directory
from imaging.dicom.derived import AlgorithmIdentity, derive_series
from imaging.dicom.reader import PetSeries
from imaging.errors import InputError, OutputError
from imaging.volume import PetVolume
from models.bundle_info import BundleInfo

__all__ = [
    "ALGORITHM_NAME",
    "DENOISED_DIR",
    "RESULT_NAME",
    "SR_NAME",
    "UNCERTAINTY_DIR",
    "algorithm_identity",
    "check_output_free",
    "derived_datasets",
    "staged_output",
]

ALGORITHM_NAME = "petiq DnCNN denoiser"
DENOISED_DIR = "denoised"
UNCERTAINTY_DIR = "uncertainty"
RESULT_NAME = "result.json"
SR_NAME = "scores-sr.dcm"
_FOLDER_MODE = 0o755


def algorithm_identity(*, bundle: BundleInfo, strength: Strength, blend: float) -> AlgorithmIdentity:
    """The contributing equipment of the denoised series: the bundle's name, version, weights and DeviceUID, with
    the strength level the job ran at and its blend weight α (parameters ``strength=medium``, ``blend=0.75``:
    in the Derivation Description and the scores SR's Algorithm Parameters)."""
    return AlgorithmIdentity(
        name=ALGORITHM_NAME,
        version=bundle.version,
        software_version=software_version(),
        device_uid=bundle.device_uid,
        manufacturer="petiq",
        description=f"2.5D DnCNN {bundle.name} {bundle.version}, weights sha256 {bundle.onnx_sha256[:12]}",
        parameters=(("strength", str(strength)), ("blend", f"{blend:g}")),
    )


def derived_datasets(*, series: PetSeries, denoised: PetVolume, algorithm: AlgorithmIdentity) -> list[Dataset]:
    """The DERIVED series of ``denoised`` (``(z, y, x) float32`` on the grid of ``series``), one dataset a slice,
    made by ``algorithm`` (:func:`algorithm_identity`)."""
    return derive_series(volume=denoised, sources=series.datasets, algorithm=algorithm)


def check_output_free(*, out_dir: Path) -> None:
    """Raise :class:`InputError` (check ``output_exists``) unless ``out_dir`` is absent or an empty folder."""
    out_dir = Path(out_dir)
    if not folder_is_free(out_dir):
        raise InputError(
            f"Argument 'out_dir' should be a new or empty folder; {out_dir} exists and is not empty.",
            check="output_exists",
            path=str(out_dir),
        )


@contextlib.contextmanager
def staged_output(*, out_dir: Path) -> Iterator[Path]:
    """Yield a hidden staging folder next to ``out_dir``; rename it to ``out_dir`` when the block succeeds
    (:func:`imaging.atomic.staged_directory`; the folders get ordinary permissions, 0755).

    Raises:
        InputError: ``out_dir`` is not absent or empty (check ``output_exists``).
        OutputError: the folder could not be created or renamed; nothing is left behind.
    """
    out_dir = Path(out_dir).absolute()
    check_output_free(out_dir=out_dir)
    try:
        with staged_directory(target=out_dir, mode=_FOLDER_MODE) as staging:
            yield staging
    except OSError as error:
        raise OutputError(f"Could not write the output folder: {error}.", path=str(out_dir)) from error
