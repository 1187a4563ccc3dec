"""Radionuclides as DICOM names them: the codes, the spellings, the half-lives, and whether petiq may process them.

petiq processes PET only: a series is processed when its radionuclide is a positron emitter used for PET imaging
(:attr:`Nuclide.positron`). SPECT and therapy nuclides are not; Y-90 is refused although it has a positron branch
(3.2e-5 per decay; it is listed in CID 4020 for post-radioembolisation imaging): it is a therapy nuclide whose images
look nothing like the FDG simulations the networks learnt from.

Codes (PS3.16 CID 4020 "PET Radionuclide" and CID 18 "Isotopes in Radiopharmaceuticals"), each nuclide with its
SNOMED CT code (scheme ``SCT``; ``DCM`` or ``NCIt`` where the standard uses those) and, where one exists, the legacy
SNOMED-RT code (``SRT``; GE writes it with scheme ``99SDM``, e.g. ``C-111A1`` for F-18). Both were taken from the
standard's tables as pydicom ships them (``pydicom.sr._concepts_dict``, ``pydicom.sr._snomed_dict``); a test
checks them against those tables. Codes are matched on their value alone, whatever the scheme written.

Half-lives (s) after the NNDC / DDEP evaluations (F-18 109.77 min, C-11 20.36 min, N-13 9.965 min, O-15 122.2 s,
Ga-68 67.71 min, Rb-82 1.2575 min, Cu-62 9.67 min, Cu-64 12.70 h, Zr-89 78.4 h, I-124 4.176 d, Sc-44 4.042 h,
Tc-94m 52.0 min, Y-86 14.74 h, Ge-68 270.9 d, Na-22 2.602 y, Tc-99m 6.007 h, Lu-177 6.647 d, I-131 8.02 d,
In-111 2.805 d, Y-90 64.0 h, I-123 13.22 h, Tl-201 72.8 h, Ga-67 78.24 h, Ra-223 11.43 d, Sm-153 46.28 h,
Ho-166 26.8 h). Scanners write rounded values (GE: 6588 s for F-18): a half-life identifies a nuclide within
:data:`HALF_LIFE_TOLERANCE` (2 %). Zr-89 (PET) and Ga-67 (SPECT) lie 0.2 % apart: a half-life near theirs
identifies neither (:func:`by_half_life` returns the candidates, the caller decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "HALF_LIFE_TOLERANCE",
    "NUCLIDES",
    "Nuclide",
    "by_code",
    "by_half_life",
    "by_name",
    "is_nuclide_only",
]

HALF_LIFE_TOLERANCE = 0.02
"""Relative difference within which a written RadionuclideHalfLife matches a nuclide's half-life."""


@dataclass(frozen=True, kw_only=True)
class Nuclide:
    """One radionuclide.

    Attributes:
        symbol: element symbol, e.g. ``"Lu"``.
        element: element name in English, e.g. ``"Lutetium"``.
        mass: mass number.
        metastable: a metastable isomer (the ``m`` of Tc-99m).
        half_life_s: half-life, s.
        positron: a positron emitter petiq processes (False for SPECT and therapy nuclides).
        codes: ``(scheme, value)`` of its codes in PS3.16 (SNOMED CT first, then SNOMED-RT where there is one).
    """

    symbol: str
    element: str
    mass: int
    metastable: bool = False
    half_life_s: float
    positron: bool
    codes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        """The name petiq writes, e.g. ``"F-18"``, ``"Tc-99m"``."""
        return f"{self.symbol}-{self.mass}{'m' if self.metastable else ''}"


def _nuclide(
    symbol: str, element: str, mass: int, half_life_s: float, *, positron: bool, codes: str, m: bool = False
) -> Nuclide:
    """A table row; ``codes`` as ``"SCHEME:value SCHEME:value"``."""
    pairs = tuple((scheme, value) for scheme, _, value in (item.partition(":") for item in codes.split()))
    return Nuclide(
        symbol=symbol, element=element, mass=mass, metastable=m, half_life_s=half_life_s, positron=positron, codes=pairs
    )


NUCLIDES: tuple[Nuclide, ...] = (
    # positron emitters used in PET (CID 4020)
    _nuclide("F", "Fluorine", 18, 6586.2, positron=True, codes="SCT:77004003 SRT:C-111A1"),
    _nuclide("C", "Carbon", 11, 1221.8, positron=True, codes="SCT:40565003 SRT:C-105A1"),
    _nuclide("N", "Nitrogen", 13, 597.9, positron=True, codes="SCT:21576001 SRT:C-107A1"),
    _nuclide("O", "Oxygen", 15, 122.24, positron=True, codes="SCT:129504001 SRT:C-B1038"),
    _nuclide("Ga", "Gallium", 68, 4062.6, positron=True, codes="SCT:35337001 SRT:C-131A3"),
    _nuclide("Rb", "Rubidium", 82, 75.45, positron=True, codes="SCT:79197006 SRT:C-159A2"),
    _nuclide("Cu", "Copper", 62, 580.2, positron=True, codes="SCT:422934004 SRT:C-127A5"),
    _nuclide("Cu", "Copper", 64, 45720.0, positron=True, codes="SCT:3932008 SRT:C-127A2"),
    _nuclide("Zr", "Zirconium", 89, 282240.0, positron=True, codes="SCT:63360001 SRT:C-168A4"),
    _nuclide("I", "Iodine", 124, 360806.0, positron=True, codes="SCT:40937006 SRT:C-114A5"),
    _nuclide("Sc", "Scandium", 44, 14551.0, positron=True, codes="DCM:126600"),
    _nuclide("Tc", "Technetium", 94, 3120.0, positron=True, codes="SCT:424079002 SRT:C-163AA", m=True),
    _nuclide("Y", "Yttrium", 86, 53064.0, positron=True, codes="SCT:10738001 SRT:C-162A3"),
    _nuclide("Ge", "Germanium", 68, 23410080.0, positron=True, codes="SCT:53315004 SRT:C-128A2"),
    _nuclide("Na", "Sodium", 22, 82108000.0, positron=True, codes="SCT:71633006 SRT:C-155A1"),
    # SPECT and therapy nuclides (CID 18; Y-90 also in CID 4020, refused all the same)
    _nuclide("Tc", "Technetium", 99, 21624.0, positron=False, codes="SCT:72454006 SRT:C-163A8", m=True),
    _nuclide("Lu", "Lutetium", 177, 574300.0, positron=False, codes="SCT:447553000 SRT:C-101ED"),
    _nuclide("I", "Iodine", 131, 692928.0, positron=False, codes="SCT:1368003 SRT:C-114B1"),
    _nuclide("In", "Indium", 111, 242330.0, positron=False, codes="SCT:56609000 SRT:C-145A4"),
    _nuclide("Y", "Yttrium", 90, 230400.0, positron=False, codes="SCT:14691008 SRT:C-162A7"),
    _nuclide("I", "Iodine", 123, 47602.0, positron=False, codes="SCT:21572004 SRT:C-114A4"),
    _nuclide("Tl", "Thallium", 201, 262080.0, positron=False, codes="SCT:60057003 SRT:C-138A9"),
    _nuclide("Ga", "Gallium", 67, 281664.0, positron=False, codes="SCT:2008008 SRT:C-131A2"),
    _nuclide("Ra", "Radium", 223, 987552.0, positron=False, codes="SCT:24853006 SRT:C-136A2"),
    _nuclide("Sm", "Samarium", 153, 166622.0, positron=False, codes="SCT:419804008 SRT:C-B1134"),
    _nuclide("Ho", "Holmium", 166, 96480.0, positron=False, codes="NCIt:C1943"),
)
"""The nuclides petiq knows (module docstring: sources of the codes and half-lives)."""

_BY_CODE = {value: nuclide for nuclide in NUCLIDES for _, value in nuclide.codes}
_BY_KEY = {(nuclide.symbol.upper(), nuclide.mass, nuclide.metastable): nuclide for nuclide in NUCLIDES}
_ELEMENTS = {
    **{nuclide.symbol.upper(): nuclide.symbol.upper() for nuclide in NUCLIDES},
    **{nuclide.element.upper(): nuclide.symbol.upper() for nuclide in NUCLIDES},
}
_TOKENS = re.compile(r"\d+|[A-Za-z]+")


def by_code(*, value: str) -> Nuclide | None:
    """The nuclide whose code (any scheme of the table) is ``value``; None when unknown."""
    return _BY_CODE.get(value.strip())


def _element(token: str) -> tuple[str, bool] | None:
    """``token`` as (element symbol, metastable) when it names an element (``"mTc"``: Tc, metastable)."""
    upper = token.upper()
    if upper in _ELEMENTS:
        return _ELEMENTS[upper], False
    if upper.startswith("M") and upper[1:] in _ELEMENTS:
        return _ELEMENTS[upper[1:]], True
    return None


def by_name(*, text: str) -> Nuclide | None:
    """The one nuclide ``text`` names by element and mass number, whatever the spelling; None otherwise.

    Accepts ``"^18^Fluorine"``, ``"18F"``, ``"F-18"``, ``"Fluorine-18"``, ``"177 Lutetium"``, ``"Lu177"``,
    ``"Tc99m"``, ``"99mTc"``, and such names inside free text (``"Ga-68 PSMA-11"``). A text naming two different
    known nuclides names none.
    """
    tokens = _TOKENS.findall(text)
    found: set[Nuclide] = set()
    for index, token in enumerate(tokens):
        element = None if token.isdigit() else _element(token)
        if element is None:
            continue
        symbol, metastable = element
        before_m = index >= 2 and tokens[index - 1].upper() == "M"  # "^99m^Technetium", "99m Tc"
        for mass_index in (index - 2 if before_m else index - 1, index + 1):  # next to the element: "18F", "F-18"
            if not 0 <= mass_index < len(tokens) or not tokens[mass_index].isdigit():
                continue
            after = tokens[mass_index + 1].upper() if mass_index + 1 < len(tokens) else ""
            isomer = metastable or after == "M"  # "99mTc", "Tc99m", "Tc-99m"
            nuclide = _BY_KEY.get((symbol, int(tokens[mass_index]), isomer))
            if nuclide is not None:
                found.add(nuclide)
    return found.pop() if len(found) == 1 else None


def by_half_life(*, seconds: float) -> tuple[Nuclide, ...]:
    """The nuclides whose half-life is within :data:`HALF_LIFE_TOLERANCE` of ``seconds``, closest first."""
    if not seconds > 0:
        return ()
    close = [nuclide for nuclide in NUCLIDES if abs(seconds / nuclide.half_life_s - 1.0) <= HALF_LIFE_TOLERANCE]
    return tuple(sorted(close, key=lambda nuclide: abs(seconds / nuclide.half_life_s - 1.0)))


def is_nuclide_only(*, text: str) -> bool:
    """Whether ``text`` names a nuclide and nothing else (``"F-18"``, ``"^18^Fluorine"``), not a tracer."""
    tokens = _TOKENS.findall(text)
    plain = all(token.isdigit() or token.upper() == "M" or _element(token) is not None for token in tokens)
    return plain and by_name(text=text) is not None
