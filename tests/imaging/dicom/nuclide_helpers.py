"""Helpers of the radionuclide tests: rewrite a series' RadiopharmaceuticalInformationSequence; a real GE crop."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

__all__ = ["LU177", "drug_item", "ge_crop", "relabel", "relabel_files"]

LU177 = {"code": ("447553000", "SCT", "^177^Lutetium"), "name": "Lu-177 PSMA-617", "half_life": "574300"}
"""A Siemens xSPECT Lu-177 reconstruction as petiq would receive it (stored as PET Image Storage)."""


def drug_item(
    *,
    code: tuple[str, str, str] | None = None,
    name: str | None = None,
    drug_code: tuple[str, str, str] | None = None,
    half_life: str | None = None,
) -> Dataset:
    """A RadiopharmaceuticalInformationSequence item with only the attributes given (code: value, scheme, meaning)."""
    item = Dataset()
    if name is not None:
        item.Radiopharmaceutical = name
    if half_life is not None:
        item.RadionuclideHalfLife = half_life
    for keyword, value in (("RadionuclideCodeSequence", code), ("RadiopharmaceuticalCodeSequence", drug_code)):
        if value is not None:
            entry = Dataset()
            entry.CodeValue, entry.CodingSchemeDesignator, entry.CodeMeaning = value
            setattr(item, keyword, DicomSequence([entry]))
    return item


def relabel(dataset: Dataset, **changes: object) -> None:
    """Set ``changes`` (keywords of :func:`drug_item`: ``code``, ``name``, ``drug_code``, ``half_life``) on the
    first item of ``dataset``'s sequence, keeping its other attributes (dose, injection time); None removes one."""
    item = dataset.RadiopharmaceuticalInformationSequence[0]
    keywords = {
        "code": "RadionuclideCodeSequence",
        "name": "Radiopharmaceutical",
        "drug_code": "RadiopharmaceuticalCodeSequence",
        "half_life": "RadionuclideHalfLife",
    }
    fresh = drug_item(**changes)  # type: ignore[arg-type]
    for key in changes:
        keyword = keywords[key]
        if keyword in item:
            delattr(item, keyword)
        if keyword in fresh:
            setattr(item, keyword, fresh[keyword].value)


def relabel_files(paths: Iterable[Path], **changes: object) -> None:
    """:func:`relabel` each DICOM file of ``paths`` in place."""
    for path in paths:
        dataset = pydicom.dcmread(path)
        relabel(dataset, **changes)
        dataset.save_as(path)


def ge_crop(real_ge_dir: Path, directory: Path, *, n_slices: int = 3) -> Path:
    """The first ``n_slices`` files of the real GE series copied into ``directory`` (consecutive slices)."""
    directory.mkdir(parents=True)
    for path in sorted(real_ge_dir.glob("*.dcm"))[:n_slices]:
        shutil.copy(path, directory / path.name)
    return directory
