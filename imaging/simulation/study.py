"""A whole simulated study: phantom → acquisition at several count levels (and splits) → PET volumes.

This is the simulator's library API: :func:`simulate_study` returns every reconstructed series as a
:class:`~imaging.volume.PetVolume` (Bq/ml, with geometry, UIDs and the SUVbw factor) without touching disk;
:mod:`imaging.simulation.export` writes them as DICOM. Same request, same seed → the same study, UIDs included.

Timing convention: the phantom's activity is the activity at scan start; the header's injected dose is the
phantom's dose decayed back over :data:`UPTAKE_S` (60 min) of F-18 decay, so that the SUVbw computed from a
DecayCorrection START header equals the phantom's SUV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydicom.uid import PositronEmissionTomographyImageStorage, generate_uid

from imaging.simulation.acquisition import DEFAULT_LEVELS, ScannerModel
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.protocols import ReconProtocol, get_protocol
from imaging.simulation.realization import Reconstructions, acquire_and_reconstruct
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units

__all__ = [
    "F18_HALF_LIFE_S",
    "UPTAKE_S",
    "SimulatedSeries",
    "SimulatedStudy",
    "StudyRequest",
    "header_injected_dose_bq",
    "level_label",
    "scanner_for",
    "simulate_study",
]

F18_HALF_LIFE_S = 6586.2
"""Half-life of F-18, s."""

UPTAKE_S = 3600.0
"""Time from injection to scan start written to the headers, s."""

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, kw_only=True)
class StudyRequest:
    """What to simulate.

    Attributes:
        kind: the phantom family (NEMA is for evaluation only).
        seed: seeds the phantom and the noise; recorded everywhere.
        levels: count levels as fractions of the full clinical count level (1.0 = 100 %).
        split: also make two independent half-count splits of every level.
        protocol: reconstruction protocol name, ``"v1"`` or ``"v2"``.
        ood: out-of-distribution features (torso): ``"catheter"``, ``"bladder"``.
        realizations: independent noise realisations R of the same phantom.
        variant: phantom variant (torso ``low_bmi``/``high_bmi``, brain hypometabolism pattern), None for default.
    """

    kind: PhantomKind
    seed: int
    levels: tuple[float, ...] = DEFAULT_LEVELS
    split: bool = False
    protocol: str = "v1"
    ood: tuple[str, ...] = ()
    realizations: int = 1
    variant: str | None = None

    def __post_init__(self) -> None:
        if not self.levels or any(not 0 < level <= 1 for level in self.levels):
            raise ValueError(f"Argument 'levels' should be fractions in (0, 1], got {self.levels}.")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"Argument 'levels' should not repeat a level, got {self.levels}.")
        if self.realizations < 1:
            raise ValueError(f"Argument 'realizations' should be at least 1, got {self.realizations}.")


@dataclass(frozen=True, kw_only=True)
class SimulatedSeries:
    """One reconstructed series of a simulated study.

    Attributes:
        name: folder-safe label, e.g. ``"count-5pct"`` or ``"count-5pct-split-a"``.
        level: count level of the data it was reconstructed from (a split holds half of it).
        split: ``"A"`` or ``"B"`` for a half-count split, None otherwise.
        realization: index of the noise realisation, 0-based.
        volume: ``(z, y, x) float32`` Bq/ml with geometry, UIDs and SUV factor.
    """

    name: str
    level: float
    split: str | None
    realization: int
    volume: PetVolume

    @property
    def counted_fraction(self) -> float:
        """Fraction of the full-count data this series was reconstructed from."""
        return self.level / 2 if self.split else self.level


@dataclass(frozen=True, kw_only=True)
class SimulatedStudy:
    """A simulated study: the truth, the noise-free reference and every reconstructed series.

    Attributes:
        request: what was asked for.
        phantom: the true activity (Bq/ml), attenuation (1/mm) and ROIs.
        protocol: the reconstruction protocol.
        reference: ``(z, y, x) float32`` Bq/ml, noise-free reconstruction with the same protocol.
        series: every series, realisation-major then level (descending) then split.
        study_uid: StudyInstanceUID shared by every series.
        frame_of_reference_uid: FrameOfReferenceUID shared by every series.
    """

    request: StudyRequest
    phantom: Phantom
    protocol: ReconProtocol
    reference: FloatArray
    series: tuple[SimulatedSeries, ...]
    study_uid: str
    frame_of_reference_uid: str


def scanner_for(*, kind: PhantomKind) -> ScannerModel:
    """The acquisition of a family at the 100 % count level: whole-body beds of 150 s (torso, NEMA); a single
    600 s bed with a lower scatter fraction for the brain, as clinical FDG brain scans are acquired."""
    if kind is PhantomKind.BRAIN:
        return ScannerModel(duration_s=600.0, scatter_fraction=0.25)
    return ScannerModel()


def level_label(*, level: float) -> str:
    """Folder-safe label of a count level: ``1.0 → "count-100pct"``, ``0.005 → "count-0.5pct"``."""
    return f"count-{level * 100:g}pct"


def header_injected_dose_bq(*, phantom: Phantom) -> float:
    """Injected dose (Bq at injection) to write, so the dose decayed to scan start is the phantom's dose."""
    return float(phantom.injected_dose_bq * 2.0 ** (UPTAKE_S / F18_HALF_LIFE_S))


def _uid(request: StudyRequest, *parts: object) -> str:
    """A UID derived from the request and ``parts``: deterministic, so a seed reproduces the study's UIDs."""
    sources = ["petiq-sim", request.kind, request.seed, request.variant, request.protocol, *request.ood, *parts]
    return str(generate_uid(entropy_srcs=[str(source) for source in sources]))


def _geometry(*, phantom: Phantom) -> Geometry:
    """Head-first supine axial geometry centred on the isocentre; z index increases towards the head."""
    nz, ny, nx = phantom.shape
    dz, dy, dx = phantom.spacing_mm
    origin = (-(nx - 1) * dx / 2, -(ny - 1) * dy / 2, -(nz - 1) * dz / 2)
    return Geometry(
        origin_mm=origin,
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=(dz, dy, dx),
        slice_positions_mm=tuple(origin[2] + k * dz for k in range(nz)),
        slice_thickness_mm=dz,
    )


def _volume(*, request: StudyRequest, phantom: Phantom, image: FloatArray, name: str, realization: int) -> PetVolume:
    series_uid = _uid(request, "series", name, realization)
    study_uid = _uid(request, "study")
    return PetVolume(
        voxels=np.ascontiguousarray(image, dtype=np.float32),
        geometry=_geometry(phantom=phantom),
        units=Units.BQML,
        suv=SuvFactor(factor=phantom.patient_weight_kg * 1000.0 / phantom.injected_dose_bq),
        uids=SeriesUids(
            study_uid=study_uid,
            series_uid=series_uid,
            frame_of_reference_uid=_uid(request, "frame-of-reference"),
            sop_class_uid=PositronEmissionTomographyImageStorage,
            sop_instance_uids=tuple(_uid(request, "sop", name, realization, k) for k in range(phantom.shape[0])),
        ),
    )


def _series_of(
    *, request: StudyRequest, phantom: Phantom, recons: Reconstructions, realization: int
) -> list[SimulatedSeries]:
    found: list[SimulatedSeries] = []
    for level in sorted(request.levels, reverse=True):
        images: Sequence[tuple[str | None, FloatArray]] = [(None, recons.levels[level])]
        if request.split:
            images = [*images, ("A", recons.split_a[level]), ("B", recons.split_b[level])]
        for split, image in images:
            name = level_label(level=level) + (f"-split-{split.lower()}" if split else "")
            volume = _volume(request=request, phantom=phantom, image=image, name=name, realization=realization)
            found.append(SimulatedSeries(name=name, level=level, split=split, realization=realization, volume=volume))
    return found


def simulate_study(*, request: StudyRequest, phantom: Phantom | None = None) -> SimulatedStudy:
    """Simulate ``request``: draw the phantom (unless given), acquire R realisations at every level, reconstruct.

    The noise of realisation r is drawn from ``SeedSequence([seed, r])``; the phantom from ``seed``.
    """
    if phantom is None:
        phantom = make_phantom(kind=request.kind, seed=request.seed, variant=request.variant, ood=request.ood)
    protocol = get_protocol(name=request.protocol)
    scanner = scanner_for(kind=request.kind)
    series: list[SimulatedSeries] = []
    reference: FloatArray | None = None
    for realization in range(request.realizations):
        rng = np.random.default_rng(np.random.SeedSequence([request.seed, realization]))
        recons = acquire_and_reconstruct(
            phantom=phantom, protocol=protocol, rng=rng, levels=request.levels, split=request.split, scanner=scanner
        )
        reference = recons.noise_free if reference is None else reference
        series.extend(_series_of(request=request, phantom=phantom, recons=recons, realization=realization))
    assert reference is not None  # realizations >= 1
    return SimulatedStudy(
        request=request,
        phantom=phantom,
        protocol=protocol,
        reference=reference,
        series=tuple(series),
        study_uid=_uid(request, "study"),
        frame_of_reference_uid=_uid(request, "frame-of-reference"),
    )
