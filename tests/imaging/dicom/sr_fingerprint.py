"""A fingerprint of the scores SR that any version of the builder can make, to prove two versions write the same SR.

The SR is built by :func:`imaging.dicom.sr.build_scores_sr` from fixed inputs (:func:`small_case`: a 6-slice
synthetic series, seed 11; :func:`real_case`: a series folder such as the real GE series), written to bytes and read
back. Each element, file meta included, becomes a row ``(tag path, VR, sha256 of the value)``; the path names every
sequence item by its index, so order and nesting count. What must differ between two runs is kept out of the value:

- the instance creation date and time and the contribution date and time of highdicom (their rows say
  ``varies``);
- the UIDs the builder mints (the SR's series UID, the tracking UIDs): every UID that is neither one of the inputs'
  nor a registered DICOM UID is replaced by its rank of first appearance, so the rows still show where each one
  is used. Every UID of the inputs (each instance referenced, the study) is kept as it is.

The golden file (``sr_fingerprint.json`` beside this module) holds, per case (``small``, ``small-unscored``,
``real-ge``), the number of rows and a digest per top-level element. It was made with the code before issue 25
(commit f7fe2e0), running this script by its path from the root of a checkout of that commit, so that every import
(the builder included) resolves in the old code; with the checkouts of this repository's workspace::

    cd /work/wt25-base && PYTHONPATH=$PWD /work/main/.venv/bin/python \\
        /work/wt25-sr/tests/imaging/dicom/sr_fingerprint.py --real ../shared/data/pet-real-ge-sts001 \\
        --write /work/wt25-sr/tests/imaging/dicom/sr_fingerprint.json

``--rows CASE`` prints one case's rows instead, to diff two versions line by line.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom import Dataset
from pydicom.uid import UID_dictionary, generate_uid

from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.reader import read_pet_series
from imaging.dicom.sr import build_scores_sr
from tests.imaging.dicom.factories import make_pet_series
from tests.imaging.dicom.sr_helpers import make_result

__all__ = ["ALGORITHM", "GOLDEN", "SrCase", "fingerprint", "main", "real_case", "small_case", "sr_bytes", "summary"]

GOLDEN = Path(__file__).with_name("sr_fingerprint.json")
CREATED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=1)))
_VARYING = frozenset({"InstanceCreationDate", "InstanceCreationTime", "ContributionDateTime"})
ALGORITHM = AlgorithmIdentity(
    name="DnCNN-2.5D",
    version="1.2",
    software_version="0.1.0",
    device_uid="2.25.1234567890123456789",
    description="2.5D DnCNN test 1.2, weights sha256 0123456789ab",
)


def _uid(*parts: object) -> str:
    return str(generate_uid(entropy_srcs=["petiq-sr-fingerprint", *(str(part) for part in parts)]))


@dataclass(frozen=True, kw_only=True)
class SrCase:
    """The inputs of one SR: the source headers, a derived series of them, the result document, the SR's UID."""

    sources: list[Dataset]
    derived: list[Dataset]
    result: dict[str, Any]
    instance_uid: str

    def input_uids(self) -> frozenset[str]:
        """Every UID value of the inputs' top-level elements and of the result document."""
        found = {str(e.value) for ds in (*self.sources, *self.derived) for e in ds if e.VR == "UI" and e.value}
        return frozenset({*found, self.instance_uid, ALGORITHM.device_uid})


def _derived(sources: Sequence[Dataset]) -> list[Dataset]:
    """A DERIVED series of ``sources``: their headers with a new series and new instances (UIDs from the sources')."""
    series_uid = _uid("derived", sources[0].SeriesInstanceUID)
    derived = []
    for source in sources:
        header = copy.deepcopy(source)
        header.SeriesInstanceUID, header.SOPInstanceUID = series_uid, _uid("derived", source.SOPInstanceUID)
        header.SeriesNumber, header.ImageType = 1001, ["DERIVED", "SECONDARY"]
        derived.append(header)
    return derived


def _case(sources: list[Dataset], *, scored: bool = True) -> SrCase:
    derived = _derived(sources)
    instance_uid = _uid("sr", sources[0].SeriesInstanceUID)
    result = make_result(sources=sources, derived=derived, scored=scored, sr_uid=instance_uid)
    result["notes"] = ["The note of a job."]
    return SrCase(sources=sources, derived=derived, result=result, instance_uid=instance_uid)


def small_case(*, scored: bool = True, n_slices: int = 6) -> SrCase:
    """A synthetic series of ``n_slices`` (seed 11, no Pixel Data), fixed scores and QC."""
    sources = make_pet_series(rng=np.random.default_rng(11), shape=(n_slices, 5, 4)).datasets
    for source in sources:
        del source.PixelData
    return _case(sources, scored=scored)


def real_case(directory: Path) -> SrCase:
    """The series in ``directory`` as the pipeline reads it (headers in z order), fixed scores and QC."""
    return _case(list(read_pet_series(source=directory).datasets))


def sr_bytes(case: SrCase) -> bytes:
    """The SR of ``case`` as the bytes of a DICOM file."""
    dataset = build_scores_sr(
        sources=case.sources,
        derived=case.derived,
        result=case.result,
        algorithm=ALGORITHM,
        instance_uid=case.instance_uid,
        created=CREATED,
    )
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def _rows(dataset: Dataset, *, prefix: str, uids: dict[str, str], stable: frozenset[str]) -> Iterator[list[str]]:
    for element in dataset:
        path = f"{prefix}{element.tag}"
        if element.VR == "SQ":
            yield [path, "SQ", f"{len(element.value)} items"]
            for index, item in enumerate(element.value):
                yield from _rows(item, prefix=f"{path}[{index}]/", uids=uids, stable=stable)
            continue
        value: object = element.value
        if element.keyword in _VARYING:
            value = "varies"
        elif element.VR == "UI" and value and str(value) not in stable and str(value) not in UID_dictionary:
            value = uids.setdefault(str(value), f"minted UID #{len(uids)}")
        text = value.hex() if isinstance(value, bytes) else repr(value)
        yield [path, element.VR, hashlib.sha256(text.encode()).hexdigest()]


def fingerprint(data: bytes, *, stable: frozenset[str]) -> list[list[str]]:
    """The rows ``[tag path, VR, sha256 of the value]`` of the DICOM file ``data`` (module docstring), sorted."""
    dataset = pydicom.dcmread(io.BytesIO(data))
    uids: dict[str, str] = {}
    rows = [
        *_rows(dataset.file_meta, prefix="meta/", uids=uids, stable=stable),
        *_rows(dataset, prefix="", uids=uids, stable=stable),
    ]
    return sorted(rows)


def summary(rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The compact form kept in the golden file: the row count and a sha256 per top-level element."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        top = row[0].split("[", 1)[0] if row[0].startswith("meta/") else row[0].split("[", 1)[0].split("/", 1)[0]
        groups.setdefault(top, []).append("\t".join(row))
    digests = {top: hashlib.sha256("\n".join(lines).encode()).hexdigest() for top, lines in sorted(groups.items())}
    return {"rows": len(rows), "elements": digests}


def _cases(real: Path | None) -> dict[str, SrCase]:
    cases = {"small": small_case(), "small-unscored": small_case(scored=False)}
    if real is not None:
        cases["real-ge"] = real_case(real)
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    """Write the golden file (``--write PATH``) or print one case's rows (``--rows CASE``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, help="a real series folder (case 'real-ge')")
    parser.add_argument("--write", type=Path, help="write the golden JSON here")
    parser.add_argument("--rows", help="print the rows of this case instead")
    args = parser.parse_args(argv)
    cases = _cases(args.real)
    prints = {name: fingerprint(sr_bytes(case), stable=case.input_uids()) for name, case in cases.items()}
    if args.rows is not None:
        sys.stdout.write("".join("\t".join(row) + "\n" for row in prints[args.rows]))
    if args.write is not None:
        golden = {name: summary(rows) for name, rows in prints.items()}
        args.write.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
