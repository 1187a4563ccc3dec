"""The denoiser benchmarks' held-out studies: which phantoms, seeds and (``--quick``) grids.

Seeds far from the training seeds 1000–1089 and 2000–2089: a low-BMI torso (90001), a high-BMI torso (90002) and
the NEMA IEC body phantom (90003), then ``+ 3``, ``+ 6``, ... for more studies of each. Both
:mod:`bench.denoise.quality` and :mod:`bench.denoise.width_compare` score these, so their figures compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom

__all__ = ["BASE_SEED", "QUICK_SHAPES", "Case", "held_out_cases", "held_out_phantom"]

BASE_SEED = 90001
QUICK_SHAPES: dict[PhantomKind, tuple[tuple[int, int, int], tuple[float, float, float]]] = {
    PhantomKind.TORSO: ((32, 64, 64), (8.0, 8.0, 8.0)),
    PhantomKind.NEMA: ((40, 64, 64), (5.0, 5.25, 5.25)),
}


@dataclass(frozen=True, kw_only=True)
class Case:
    """One held-out study: ``name``, phantom ``kind``, ``seed`` and ``variant`` (None for NEMA)."""

    name: str
    kind: PhantomKind
    seed: int
    variant: str | None


def held_out_cases(*, studies: int) -> list[Case]:
    """``studies`` studies of each of low-BMI torso, high-BMI torso and NEMA, seeds ``90001 + 3·i + {0, 1, 2}``."""
    cases = []
    for index in range(studies):
        seed = BASE_SEED + 3 * index
        cases += [
            Case(name=f"torso-low_bmi-{seed}", kind=PhantomKind.TORSO, seed=seed, variant="low_bmi"),
            Case(name=f"torso-high_bmi-{seed + 1}", kind=PhantomKind.TORSO, seed=seed + 1, variant="high_bmi"),
            Case(name=f"nema-{seed + 2}", kind=PhantomKind.NEMA, seed=seed + 2, variant=None),
        ]
    return cases


def held_out_phantom(*, case: Case, quick: bool) -> Phantom:
    """The phantom of held-out ``case``, on its default grid or (``quick``) the small one of :data:`QUICK_SHAPES`."""
    shape, spacing = QUICK_SHAPES[case.kind] if quick else (None, None)
    return make_phantom(kind=case.kind, seed=case.seed, variant=case.variant, shape=shape, spacing_mm=spacing)
