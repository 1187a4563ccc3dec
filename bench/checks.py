"""One benchmark target checked on one number: the record every subject's targets return and its tables print.

The denoiser's quality targets (:mod:`bench.denoise.targets`) and the TGD experiments' (:mod:`bench.tgd.targets`)
both return :class:`TargetCheck`; their reports print PASS/FAIL with the ``margin``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TargetCheck"]


@dataclass(frozen=True, kw_only=True)
class TargetCheck:
    """One target checked on one phantom, level and (where it applies) lesion or sphere.

    Attributes:
        target: which target (e.g. ``"psnr"``, ``"lesion_bias"`` of the denoiser; ``"tgd_bias"`` of the TGD runs).
        case: the held-out study's name.
        level: count level, fraction of full counts.
        item: the lesion or sphere, ``""`` when the target is per image.
        value: petiq's figure (dB or percent).
        compared_with: what it is compared with, same unit (best classical PSNR; Gaussian CR at matched BV;
            the bias limit).
        margin: distance from failing, same unit; the check passes when it is ≥ 0.
        passed: ``margin ≥ 0`` and the comparison is valid.
        note: caveats (e.g. the matched noise lies outside the Gaussian's sweep).
    """

    target: str
    case: str
    level: float
    item: str
    value: float
    compared_with: float
    margin: float
    passed: bool
    note: str = ""
