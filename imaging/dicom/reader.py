"""The PET series reader: DICOM files → :class:`PetVolume` plus the headers, validated on the way.

Stages: read the files (:mod:`imaging.dicom.sources`) → one series, PT, PET Image Storage, pixel data
decodable, one grid (:mod:`imaging.dicom.checks`) → sort by position along the slice normal, uniform spacing
(:mod:`imaging.dicom.slices`) → rescale per slice (:mod:`imaging.dicom.decode`) → SUVbw factor
(:mod:`imaging.dicom.suv`). Every failure is an :class:`imaging.errors.InputError` naming its check and, once
the series is known, its UID:

==================  ===================  ==================================================================
check               error                when
==================  ===================  ==================================================================
source              InputError           no such directory or file, no DICOM file, paths mixed with bytes
not_dicom           NotDicomError        a file without the DICM prefix (or a ``*.dcm`` file that is not DICOM)
truncated           NotDicomError        a file cut short or unparseable
single_series       MixedSeriesError     more than one SeriesInstanceUID (the message lists ``uid: n files``)
series_uid          SeriesError          no SeriesInstanceUID
modality            SeriesError          Modality is not PT
sop_class           UnsupportedError     Enhanced / Legacy Converted Enhanced PET (SeriesError: any other class)
pixel_data          SeriesError          no PixelData, or data a decoder rejects
transfer_syntax     UnsupportedError     a compressed syntax with no decoder installed
limits              UnsupportedError     Rows/Columns/image bytes, a Deflated stream or encapsulated data too large
consistent_grid     SeriesError          Rows, Columns, PixelSpacing or ImageOrientationPatient differ
attribute           SeriesError          a required attribute missing or malformed (e.g. StudyInstanceUID,
                                         SOPInstanceUID, PixelSpacing, ImagePositionPatient, RescaleSlope)
duplicate_instance  SeriesError          one SOPInstanceUID on two files
consistent_units    SeriesError          Units differ between slices (absent on some counts; absent on all is fine)
consistent_radio…   SeriesError          ``consistent_radionuclide``: radionuclide code, name or half-life differ
consistent_decay…   SeriesError          ``consistent_decay_correction``: DecayCorrection differs
image_orientation   SeriesError          direction cosines not orthonormal
duplicate_slice     SeriesError          two slices at one position
slice_spacing       SeriesError          a gap off the median spacing by more than 5% (a missing slice)
radionuclide        SeriesError          not a positron emitter, e.g. Tc-99m, Lu-177, Y-90 (``positron_only``)
==================  ===================  ==================================================================

A missing or invalid SUV input is not an error: ``volume.suv`` then has ``factor=None`` and the reason. Nor is an
unidentified radionuclide or a tracer other than FDG: :attr:`PetSeries.radionuclide` then carries the notes
(:mod:`imaging.dicom.radionuclide`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from imaging.dicom import checks
from imaging.dicom.decode import decode_volume
from imaging.dicom.radionuclide import RadionuclideInfo, radionuclide_info, require_positron_emitter
from imaging.dicom.slices import series_geometry, sort_slices
from imaging.dicom.sources import SeriesSource, SourceFile, read_source_files
from imaging.dicom.suv import suv_factor, suv_inputs
from imaging.volume import PetVolume, SeriesUids, Units

__all__ = ["PetSeries", "parse_units", "read_pet_series", "series_uids", "validate_series"]


@dataclass(frozen=True, kw_only=True)
class PetSeries:
    """A PET series as read.

    Attributes:
        volume: the voxels (``(z, y, x) float32`` in the series' units), geometry, units, SUV factor and UIDs.
        datasets: the headers in z order (one per slice), PixelData removed.
    """

    volume: PetVolume
    datasets: tuple[Dataset, ...]

    @property
    def manufacturer(self) -> str | None:
        """Manufacturer (0008,0070) of the first slice, None when absent or empty."""
        value = self.datasets[0].get("Manufacturer")
        return str(value) if value else None

    @property
    def radionuclide(self) -> RadionuclideInfo:
        """The radionuclide and tracer (from the first slice's RadiopharmaceuticalInformationSequence) and notes."""
        return radionuclide_info(dataset=self.datasets[0])

    @property
    def modality(self) -> str:
        """Modality (0008,0060): always ``PT`` for a series that was read."""
        return str(self.datasets[0].Modality)


def parse_units(*, value: object) -> tuple[Units, str]:
    """Units (0054,1001) as the :class:`Units` petiq names and the raw value (kept only for ``Units.OTHER``)."""
    raw = "" if value is None else str(value).strip()
    try:
        return Units(raw), ""
    except ValueError:
        return Units.OTHER, raw


def series_uids(*, datasets: Sequence[Dataset], series_uid: str) -> SeriesUids:
    """The study, series, frame of reference and instance UIDs of ``datasets`` (in z order)."""
    first = datasets[0]
    frame = first.get("FrameOfReferenceUID")
    return SeriesUids(
        study_uid=str(first.get("StudyInstanceUID", "")),
        series_uid=series_uid,
        frame_of_reference_uid=str(frame) if frame else None,
        sop_class_uid=str(first.get("SOPClassUID", "")),
        sop_instance_uids=tuple(str(ds.get("SOPInstanceUID", "")) for ds in datasets),
    )


def _strip_units(*, datasets: Sequence[Dataset]) -> None:
    """Units written with padding (``" BQML"``, kept by pydicom) as the value petiq reads (``"BQML"``), so the
    headers carried into a derived series agree with the volume's units."""
    for dataset in datasets:
        value = dataset.get("Units")
        if isinstance(value, str) and value != value.strip():
            dataset.Units = value.strip()


def validate_series(*, files: Sequence[SourceFile]) -> str:
    """Run the header checks on ``files`` (one series); returns its SeriesInstanceUID."""
    uid = checks.single_series(files=files)
    checks.check_modality(files=files, uid=uid)
    checks.check_sop_class(files=files, uid=uid)
    checks.check_instance_uids(files=files, uid=uid)
    checks.check_image_pixel(files=files, uid=uid)
    checks.check_pixel_data(files=files, uid=uid)
    checks.check_consistent_grid(files=files, uid=uid)
    checks.check_consistent_units(files=files, uid=uid)
    checks.check_consistent_radionuclide(files=files, uid=uid)
    checks.check_consistent_decay_correction(files=files, uid=uid)
    return uid


def read_pet_series(*, source: SeriesSource, positron_only: bool = True) -> PetSeries:
    """Read one PET series from a directory, a sequence of file paths or a sequence of in-memory files.

    Returns the volume (``(z, y, x) float32``, Bq/ml for BQML; z increasing along the slice normal) and the
    headers in the same z order with PixelData removed. With ``positron_only`` (the default) a series whose
    radionuclide is not a positron emitter is refused before its pixels are decoded; ``petiq inspect`` turns it
    off to show what the series is.

    Raises:
        InputError: (a subclass of) for any input that is not one valid, decodable PET Image Storage series.
    """
    files = read_source_files(source=source)
    uid = validate_series(files=files)
    if positron_only:
        require_positron_emitter(info=radionuclide_info(dataset=files[0].dataset), series_uid=uid)
    ordered, positions = sort_slices(files=files, uid=uid)
    geometry = series_geometry(files=ordered, positions_mm=positions, uid=uid)
    voxels = decode_volume(files=ordered, uid=uid)
    datasets = tuple(file.dataset for file in ordered)
    for dataset in datasets:
        del dataset.PixelData
    _strip_units(datasets=datasets)
    units, units_raw = parse_units(value=datasets[0].get("Units"))
    volume = PetVolume(
        voxels=voxels,
        geometry=geometry,
        units=units,
        units_raw=units_raw,
        suv=suv_factor(inputs=suv_inputs(datasets=datasets)),
        uids=series_uids(datasets=datasets, series_uid=uid),
    )
    return PetSeries(volume=volume, datasets=datasets)
