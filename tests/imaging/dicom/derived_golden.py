"""Golden fingerprints of the derived series writer: what :func:`imaging.dicom.derived.derive_series` and
:func:`imaging.dicom.files.write_series` put in every file, element by element, for fixed inputs.

The committed fingerprints (``data/derived_golden.json``) were made by the writer as it was before the header
template (commit f7fe2e0), so ``test_derived_golden.py`` proves the current writer's files carry the same DICOM
content. Regenerate them only on purpose (an intended change of the output), with the code whose output is the
reference first on the path, from that checkout's root::

    cd REFERENCE_CHECKOUT && PYTHONPATH=$PWD python -P THIS_REPO/tests/imaging/dicom/derived_golden.py \\
        --write THIS_REPO/tests/imaging/dicom/data/derived_golden.json

(``-P`` keeps this file's folder off ``sys.path``, so ``imaging`` and ``tests`` are the reference checkout's.)

A fingerprint lists every element of a file at every depth (file meta and the preamble included) in tag order:
its path, VR, whether its length is undefined and the SHA-256 of its encoded value; a sequence gives its item
count and each item whether its length is undefined. Only the values that differ from run to run by design are
left out (kept as ``<varies>``): Series and SOP Instance UIDs, the Media Storage SOP Instance UID and the file
meta group length that depends on its length. Dates and times are fixed by ``created``, the algorithm's Device
UID by :data:`ALGORITHM`, the voxels by :func:`processed_voxels` (exact float32 arithmetic, no random numbers).

Cases: the real GE series and the real NEMA IEC series of ``../shared/data`` (when present) and a small simulated
series (always).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element

from imaging.dicom.derived import AlgorithmIdentity, derive_series
from imaging.dicom.files import write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units
from tests.conftest import SHARED_DATA
from tests.imaging.dicom.writer_helpers import read_datasets, volume_from_datasets

__all__ = [
    "ALGORITHM",
    "CASES",
    "CREATED",
    "GOLDEN_PATH",
    "case_fingerprint",
    "file_fingerprint",
    "processed_voxels",
]

GOLDEN_PATH = Path(__file__).resolve().parent / "data" / "derived_golden.json"
CREATED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone(timedelta(hours=1)))
ALGORITHM = AlgorithmIdentity(
    name="petiq DnCNN denoiser",
    version="1.0.0",
    software_version="0.0.0+golden",
    device_uid="1.2.826.0.1.3680043.10.511.3.12345",
    description="golden fingerprint of the derived series writer",
)
VARIES = "<varies>"
_VARYING_TOP_LEVEL = frozenset({0x0020000E, 0x00080018, 0x00020003, 0x00020000})
_SIMULATED_SHAPE = (6, 9, 8)
_UNDEFINED_LENGTH = 0xFFFFFFFF


def processed_voxels(voxels: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The fixed "denoised" voxels of a case: ``0.75 v - 3 (i mod 7)`` (i the flat index), exact in float32."""
    pattern = (np.arange(voxels.size, dtype=np.float32) % np.float32(7)).reshape(voxels.shape) * np.float32(3)
    return (voxels * np.float32(0.75) - pattern).astype(np.float32)


def _headers(paths: Sequence[Path]) -> list[Dataset]:
    """The series' datasets read with pydicom (every value decoded, as the reader leaves them), in z order."""
    return read_datasets(paths)


def _real(directory: Path) -> tuple[PetVolume, list[Dataset]]:
    datasets = _headers(sorted(path for path in directory.iterdir() if path.suffix.lower() == ".dcm"))
    volume = volume_from_datasets(datasets)
    for dataset in datasets:
        del dataset.PixelData
    return volume, datasets


def _simulated_volume() -> PetVolume:
    """A small deterministic BQML volume with fixed UIDs (a hot spot, an empty slice)."""
    z, y, x = _SIMULATED_SHAPE
    voxels = (np.arange(z * y * x, dtype=np.float32).reshape(_SIMULATED_SHAPE) % np.float32(13)) * np.float32(250)
    voxels[1, 3:6, 4:7] *= np.float32(40)
    voxels[-1] = 0
    geometry = Geometry(
        origin_mm=(-150.25, -120.5, -40.0),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=(3.27, 4.6875, 4.6875),
        slice_positions_mm=tuple(-40.0 + 3.27 * index for index in range(z)),
        slice_thickness_mm=3.27,
    )
    root = "1.2.826.0.1.3680043.10.511.9"
    uids = SeriesUids(
        study_uid=f"{root}.1",
        series_uid=f"{root}.2",
        frame_of_reference_uid=f"{root}.3",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.128",
        sop_instance_uids=tuple(f"{root}.4.{index + 1}" for index in range(z)),
    )
    return PetVolume(voxels=voxels, geometry=geometry, units=Units.BQML, suv=SuvFactor(factor=None), uids=uids)


def _simulated(directory: Path) -> tuple[PetVolume, list[Dataset]]:
    """The simulated series written by original.py and read back (as a scanner's series would be)."""
    info = AcquisitionInfo(series_number=3, series_description="WB FDG 3D OSEM")
    paths = write_series(
        datasets=create_original_series(volume=_simulated_volume(), info=info), directory=directory / "source"
    )
    return _real(paths[0].parent)


def _shared(name: str) -> Callable[[Path], tuple[PetVolume, list[Dataset]]] | None:
    directory = SHARED_DATA / name
    return (lambda _: _real(directory)) if directory.is_dir() else None


CASES: dict[str, Callable[[], Callable[[Path], tuple[PetVolume, list[Dataset]]] | None]] = {
    "simulated": lambda: _simulated,
    "pet-nema-iec-real": lambda: _shared("pet-nema-iec-real"),
    "pet-real-ge-sts001": lambda: _shared("pet-real-ge-sts001"),
}
"""Case name → a function giving the case's maker (``work_dir`` → source volume and headers), None when the
case's data is absent."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encoded_value(element: RawDataElement | pydicom.DataElement) -> bytes:
    """The value bytes of ``element`` as in the file (a decoded element is encoded again, explicit VR LE)."""
    if isinstance(element, RawDataElement):
        return bytes(element.value or b"")
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_data_element(buffer, element)
    return buffer.getvalue()


def _walk(dataset: Dataset, prefix: str, *, top: bool) -> Iterator[tuple[str, str]]:
    for tag in sorted(dataset.keys()):
        element = dataset.get_item(tag)
        path = f"{prefix}{int(tag):08X}"
        undefined = (
            element.is_undefined_length if not isinstance(element, RawDataElement) else element.length == 0xFFFFFFFF
        )
        if top and int(tag) in _VARYING_TOP_LEVEL:
            yield path, f"{element.VR} {VARIES}"
        elif element.VR == "SQ":
            items = dataset[tag].value
            yield path, f"SQ undefined={undefined} items={len(items)}"
            for index, item in enumerate(items):
                item_undefined = bool(getattr(item, "is_undefined_length_sequence_item", False))
                yield f"{path}[{index}]", f"item undefined={item_undefined}"
                yield from _walk(item, f"{path}[{index}].", top=False)
        else:
            yield path, f"{element.VR} undefined={undefined} {_sha(_encoded_value(element))}"


def file_fingerprint(path: Path) -> dict[str, str]:
    """Every element of the DICOM file at ``path`` (file meta and preamble included): path → description."""
    dataset = pydicom.dcmread(path, force=False)
    entries = {"preamble": _sha(dataset.preamble or b"")}
    entries.update(_walk(dataset.file_meta, "meta:", top=True))
    entries.update(_walk(dataset, "", top=True))
    return entries


def _digest(entries: dict[str, str]) -> str:
    return _sha(json.dumps(entries, sort_keys=True).encode())


def case_fingerprint(
    *,
    maker: Callable[[Path], tuple[PetVolume, list[Dataset]]],
    work_dir: Path,
    change: Callable[[list[Dataset]], None] | None = None,
) -> dict[str, object]:
    """Derive and write the case's series (``change`` edits the derived datasets before they are written); its
    fingerprint: file names, one digest per file, file 1 in full."""
    volume, sources = maker(work_dir)
    processed = dataclasses.replace(volume, voxels=processed_voxels(volume.voxels))
    datasets = derive_series(volume=processed, sources=sources, algorithm=ALGORITHM, created=CREATED)
    if change is not None:
        change(datasets)
    paths = write_series(datasets=datasets, directory=work_dir / "derived")
    fingerprints = [file_fingerprint(path) for path in paths]
    return {
        "names": [path.name for path in paths],
        "digests": [_digest(entries) for entries in fingerprints],
        "first_file": fingerprints[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, default=GOLDEN_PATH, help="where the JSON goes")
    target = parser.parse_args().write
    golden: dict[str, object] = {}
    for name, find in CASES.items():
        maker = find()
        if maker is None:
            raise SystemExit(f"case {name}: its data is missing; the golden file needs every case")
        with tempfile.TemporaryDirectory() as work:
            golden[name] = case_fingerprint(maker=maker, work_dir=Path(work))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
