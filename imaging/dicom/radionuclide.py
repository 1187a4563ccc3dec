"""Which radionuclide and tracer a PET series was acquired with, and whether petiq may process it.

petiq processes PET only. :func:`radionuclide_info` reads the first item of RadiopharmaceuticalInformationSequence
(0054,0016) and identifies the nuclide (table: :mod:`imaging.dicom.nuclides`) from, in this order:

1. RadionuclideCodeSequence (0054,0300): the code value (any scheme: SNOMED CT, SNOMED-RT, GE's ``99SDM``), else
   its CodeMeaning read as a name;
2. the names: Radiopharmaceutical (0018,0031), RadiopharmaceuticalCodeSequence (0054,0304) (an FDG code or name
   means F-18);
3. RadionuclideHalfLife (0018,1075), within 2 % (a half-life matching nuclides of both kinds identifies none).

The first source that identifies a nuclide wins; a later one that disagrees adds a note. Every attribute may be
absent or empty (Type 2/3), the sequence too: reading never raises.

What becomes of a series (:func:`require_positron_emitter` refuses, the notes go into the result):

=========================================  ===========================================================
radionuclide                               outcome
=========================================  ===========================================================
a positron emitter, tracer FDG             processed
a positron emitter, another tracer         processed, note :func:`non_fdg_note` (networks trained on FDG)
F-18, tracer not named                     processed, note :data:`TRACER_NOT_NAMED`
not identified (absent, unknown)           processed, note from :func:`no_nuclide_note`
SPECT or therapy (Tc-99m, Lu-177, Y-90)    refused: SeriesError, check ``radionuclide``
=========================================  ===========================================================
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from imaging.dicom.nuclides import HALF_LIFE_TOLERANCE, Nuclide, by_code, by_half_life, by_name, is_nuclide_only
from imaging.dicom.tolerant import first_item, positive_number, text
from imaging.errors import SeriesError

__all__ = [
    "TRACER_NOT_NAMED",
    "RadionuclideInfo",
    "TracerKind",
    "no_nuclide_note",
    "non_fdg_note",
    "radionuclide_info",
    "require_positron_emitter",
]

TRACER_NOT_NAMED = (
    "The radiopharmaceutical is not named (Radiopharmaceutical, RadiopharmaceuticalCodeSequence): the denoising "
    "and scoring networks were trained on FDG simulations; if the tracer is not FDG, check the result against "
    "the original."
)

_FDG_CODES = frozenset({"35321007", "C-B1031", "Y-X1743"})  # SCT, SRT (PS3.16 CID 4021), GE's 99SDM
_FDG_NAME = re.compile(r"\bFDG\b|fluoro-?\s*deoxy-?\s*glucose|fludeoxyglucose", re.IGNORECASE)
_F18 = by_code(value="77004003")


class TracerKind(enum.StrEnum):
    """What is known of the radiopharmaceutical."""

    FDG = "FDG"
    OTHER = "other"
    UNKNOWN = "unknown"


def no_nuclide_note(*, reason: str) -> str:
    """The note of a series whose radionuclide is not identified (``reason``: what was found)."""
    return f"The radionuclide could not be identified ({reason}): processed as PET from a positron emitter, unchecked."


def non_fdg_note(*, tracer: str) -> str:
    """The note of a positron tracer other than FDG."""
    return (
        f"The radiopharmaceutical {tracer} is not FDG: the denoising and scoring networks were trained on FDG "
        "simulations; check the result against the original."
    )


@dataclass(frozen=True, kw_only=True)
class RadionuclideInfo:
    """The radionuclide and tracer of a series, as identified.

    Attributes:
        nuclide: the nuclide, None when not identified.
        source: the attribute it was identified from (e.g. ``"RadionuclideCodeSequence"``), None when not.
        tracer: FDG, another radiopharmaceutical or unknown.
        tracer_name: the radiopharmaceutical as written (``tracer`` OTHER), else None.
        notes: remarks for the result (``notes`` of result.json), empty when there is nothing to say.
    """

    nuclide: Nuclide | None
    source: str | None
    tracer: TracerKind
    tracer_name: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether the nuclide is known and is not a positron emitter petiq processes."""
        return self.nuclide is not None and not self.nuclide.positron

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{name, identified_from, positron_emitter, tracer}`` (nulls where unknown)."""
        nuclide = self.nuclide
        return {
            "name": nuclide.name if nuclide else None,
            "identified_from": self.source,
            "positron_emitter": nuclide.positron if nuclide else None,
            "tracer": self.tracer_name if self.tracer is TracerKind.OTHER else self.tracer.value,
        }


def _is_fdg(*, code: str, names: Sequence[str]) -> bool:
    return code in _FDG_CODES or any(_FDG_NAME.search(name) for name in names)


def _named(drug: Dataset) -> list[tuple[str, Nuclide | None]]:
    """(source, nuclide or None) from each source that gives something, in the order of the module docstring."""
    nuclide_code = first_item(drug, "RadionuclideCodeSequence")
    drug_code = first_item(drug, "RadiopharmaceuticalCodeSequence")
    code_value, meaning = text(nuclide_code, "CodeValue"), text(nuclide_code, "CodeMeaning")
    drug_name, drug_meaning = text(drug, "Radiopharmaceutical"), text(drug_code, "CodeMeaning")
    found: list[tuple[str, Nuclide | None]] = []
    if code_value or meaning:
        found.append(("RadionuclideCodeSequence", by_code(value=code_value) or by_name(text=meaning)))
    if drug_name:
        fdg = _is_fdg(code="", names=[drug_name])
        found.append(("Radiopharmaceutical", by_name(text=drug_name) or (_F18 if fdg else None)))
    if drug_meaning or text(drug_code, "CodeValue"):
        fdg = _is_fdg(code=text(drug_code, "CodeValue"), names=[drug_meaning])
        found.append(("RadiopharmaceuticalCodeSequence", by_name(text=drug_meaning) or (_F18 if fdg else None)))
    return found


def _identify(drug: Dataset) -> tuple[Nuclide | None, str | None, list[str]]:
    """The nuclide, its source, and the notes on what disagrees or is missing."""
    named = _named(drug)
    half_life = positive_number(drug, "RadionuclideHalfLife")
    candidates = by_half_life(seconds=half_life) if half_life is not None else ()
    chosen = next(((nuclide, source) for source, nuclide in named if nuclide is not None), None)
    if chosen is None:
        if candidates and len({nuclide.positron for nuclide in candidates}) == 1:
            return candidates[0], "RadionuclideHalfLife", []
        return (
            None,
            None,
            [no_nuclide_note(reason=_unidentified(named=named, half_life=half_life, candidates=candidates))],
        )
    nuclide, source = chosen
    notes = [
        f"{other_source} names {other.name}, {source} {nuclide.name}: {nuclide.name} used."
        for other_source, other in named
        if other is not None and other != nuclide
    ]
    if half_life is not None and abs(half_life / nuclide.half_life_s - 1.0) > HALF_LIFE_TOLERANCE:
        notes.append(
            f"RadionuclideHalfLife {half_life:g} s is not the half-life of {nuclide.name} "
            f"({nuclide.half_life_s:g} s, from {source}): SUV decay correction uses the written value."
        )
    return nuclide, source, notes


def _unidentified(
    *, named: list[tuple[str, Nuclide | None]], half_life: float | None, candidates: Sequence[Nuclide]
) -> str:
    if len(candidates) > 1:
        names = " and ".join(nuclide.name for nuclide in candidates)
        return f"RadionuclideHalfLife {half_life:g} s matches {names} within {HALF_LIFE_TOLERANCE:.0%}"
    given = [source for source, _ in named] + (["RadionuclideHalfLife"] if half_life is not None else [])
    if given:
        return f"{', '.join(given)} name no radionuclide petiq knows"
    return "RadiopharmaceuticalInformationSequence gives no radionuclide code, name or half-life"


def _tracer(drug: Dataset, *, nuclide: Nuclide | None) -> tuple[TracerKind, str | None, list[str]]:
    """The tracer kind, its name (OTHER), and the note it needs."""
    drug_code = first_item(drug, "RadiopharmaceuticalCodeSequence")
    names = [name for name in (text(drug, "Radiopharmaceutical"), text(drug_code, "CodeMeaning")) if name]
    tracer_names = [name for name in names if not is_nuclide_only(text=name)]
    is_f18 = nuclide is None or nuclide == _F18
    if is_f18 and _is_fdg(code=text(drug_code, "CodeValue"), names=tracer_names):
        return TracerKind.FDG, None, []
    if tracer_names:
        label = f"'{tracer_names[0]}'" + (f" ({nuclide.name})" if nuclide is not None else "")
        return TracerKind.OTHER, tracer_names[0], [non_fdg_note(tracer=label)]
    if nuclide is not None and nuclide != _F18:
        return TracerKind.OTHER, nuclide.name, [non_fdg_note(tracer=f"labelled with {nuclide.name}")]
    return TracerKind.UNKNOWN, None, [TRACER_NOT_NAMED] if nuclide is not None else []


def radionuclide_info(*, dataset: Dataset) -> RadionuclideInfo:
    """Identify the radionuclide and tracer from one instance's headers (module docstring); never raises."""
    drug = first_item(dataset, "RadiopharmaceuticalInformationSequence")
    nuclide, source, notes = _identify(drug)
    tracer, tracer_name, tracer_notes = _tracer(drug, nuclide=nuclide)
    if nuclide is not None and not nuclide.positron:
        notes, tracer_notes = [], []  # refused: nothing to note
    return RadionuclideInfo(
        nuclide=nuclide, source=source, tracer=tracer, tracer_name=tracer_name, notes=(*notes, *tracer_notes)
    )


def require_positron_emitter(*, info: RadionuclideInfo, series_uid: str | None) -> None:
    """Nothing when the nuclide is a positron emitter or not identified; else SeriesError (check ``radionuclide``).

    Raises:
        SeriesError: e.g. "Radionuclide Lu-177 (from RadionuclideCodeSequence) is not a positron emitter: petiq
            processes PET only."
    """
    if info.nuclide is not None and not info.nuclide.positron:
        raise SeriesError(
            f"Radionuclide {info.nuclide.name} (from {info.source}) is not a positron emitter: "
            "petiq processes PET only.",
            check="radionuclide",
            uid=series_uid,
        )
