"""Stage ``write``, second part: the scores SR (``scores-sr.dcm``) beside the derived series.

The SR is built from the job's result document (so it holds exactly what result.json says), which therefore
names the SR's SOP Instance UID before the SR exists: :func:`new_sr_uid` allocates it first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import highdicom as hd
from pydicom import Dataset, dcmwrite

from imaging.atomic import write_atomic
from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.reader import PetSeries
from imaging.dicom.sr import build_scores_sr
from workers.pipeline.write import SR_NAME

__all__ = ["new_sr_uid", "scores_sr", "write_scores_sr"]


def new_sr_uid() -> str:
    """A new SOP Instance UID for the scores SR."""
    return str(hd.UID())


def scores_sr(
    *, series: PetSeries, derived: Sequence[Dataset], result: Mapping[str, Any], algorithm: AlgorithmIdentity
) -> Dataset:
    """The scores SR of the job: input ``series``, its ``derived`` series, the ``result`` document (whose
    ``output.sr_uid`` becomes the SR's SOP Instance UID) and the denoiser that made ``derived``, as
    :func:`workers.pipeline.write.algorithm_identity` names it (its strength level among the parameters)."""
    return build_scores_sr(
        sources=series.datasets,
        derived=derived,
        result=result,
        algorithm=algorithm,
        instance_uid=result["output"]["sr_uid"],
    )


def write_scores_sr(
    *,
    series: PetSeries,
    derived: Sequence[Dataset],
    result: Mapping[str, Any],
    algorithm: AlgorithmIdentity,
    directory: Path,
) -> Path:
    """Build the scores SR (:func:`scores_sr`) and write it as ``directory / SR_NAME`` (atomically, mode 0644, like
    result.json); returns the path.

    Raises:
        OutputError: the file could not be written.
    """
    dataset = scores_sr(series=series, derived=derived, result=result, algorithm=algorithm)
    path = Path(directory) / SR_NAME
    write_atomic(path=path, write=lambda handle: dcmwrite(handle, dataset, enforce_file_format=True))
    return path
