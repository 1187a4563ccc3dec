"""The simulated studies of the TGD experiments (:mod:`bench.tgd.experiments`): who they are and how to make them.

Seeds are apart from every training seed (v1 shards 1000–1089 and 2000–2089; the v2-net's shards
:data:`V2_SHARD_SEED` …; the quality bench's held-out 90001 …):

* kernel drop: held-out v1 studies, a low-BMI torso, a high-BMI torso and a brain, seeds ``95101 + 3·i``;
* fine-tuning: the 7 low-BMI v2 torso studies FT and TGD train on, seeds ``4000 + i``; the held-out v2 torso
  studies they are scored on, low and high BMI, seeds ``95001 + 2·i``;
* online learning: held-out v1 torso studies with an out-of-distribution catheter (95201) and hot bladder (95202).

``quick`` grids are a quarter of the voxels per slice (torso 32×64×64 of 8 mm, brain 24×64×64 of 6×4×4 mm) with
the same field of view, for tests and smoke runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import SimulatedStudy, StudyRequest, simulate_study

__all__ = [
    "FT_TRAIN_SEED",
    "QUICK_GRIDS",
    "V2_SHARD_SEED",
    "Case",
    "evaluation_cases",
    "finetune_cases",
    "kernel_drop_cases",
    "online_cases",
    "phantom_of",
    "simulate_case",
]

V2_SHARD_SEED = 3000
"""Base seed of the v2-net's training shards (study i: 3000 + i)."""

FT_TRAIN_SEED = 4000
"""Seed of the first low-BMI v2 torso study FT-net and TGD-net train on."""

QUICK_GRIDS: dict[PhantomKind, tuple[tuple[int, int, int], tuple[float, float, float]]] = {
    PhantomKind.TORSO: ((32, 64, 64), (8.0, 8.0, 8.0)),
    PhantomKind.BRAIN: ((24, 64, 64), (6.0, 4.0, 4.0)),
}


@dataclass(frozen=True, kw_only=True)
class Case:
    """One simulated study: ``name``, phantom ``kind``, ``seed``, ``variant``, reconstruction ``protocol`` and
    out-of-distribution features ``ood``."""

    name: str
    kind: PhantomKind
    seed: int
    variant: str | None
    protocol: str
    ood: tuple[str, ...] = ()


def _check_count(count: int, name: str) -> None:
    if count < 1:
        raise ValueError(f"Argument '{name}' should be at least 1, got {count}.")


def kernel_drop_cases(*, studies: int) -> list[Case]:
    """``studies`` held-out v1 studies of each of low-BMI torso, high-BMI torso and brain."""
    _check_count(studies, "studies")
    cases = []
    for index in range(studies):
        seed = 95101 + 3 * index
        cases += [
            Case(name=f"torso-low_bmi-{seed}", kind=PhantomKind.TORSO, seed=seed, variant="low_bmi", protocol="v1"),
            Case(
                name=f"torso-high_bmi-{seed + 1}",
                kind=PhantomKind.TORSO,
                seed=seed + 1,
                variant="high_bmi",
                protocol="v1",
            ),
            Case(name=f"brain-{seed + 2}", kind=PhantomKind.BRAIN, seed=seed + 2, variant="normal", protocol="v1"),
        ]
    return cases


def finetune_cases(*, count: int) -> list[Case]:
    """The ``count`` low-BMI v2 torso studies FT-net and TGD-net are trained on (the paper: 7)."""
    _check_count(count, "count")
    return [
        Case(name=f"ft-torso-low_bmi-{seed}", kind=PhantomKind.TORSO, seed=seed, variant="low_bmi", protocol="v2")
        for seed in range(FT_TRAIN_SEED, FT_TRAIN_SEED + count)
    ]


def evaluation_cases(*, studies: int) -> list[Case]:
    """``studies`` held-out v2 torso studies of each BMI variant, low first."""
    _check_count(studies, "studies")
    cases = []
    for index in range(studies):
        seed = 95001 + 2 * index
        for offset, variant in enumerate(("low_bmi", "high_bmi")):
            name = f"v2-torso-{variant}-{seed + offset}"
            cases.append(Case(name=name, kind=PhantomKind.TORSO, seed=seed + offset, variant=variant, protocol="v2"))
    return cases


def online_cases() -> list[Case]:
    """Held-out v1 low-BMI torso studies with an out-of-distribution catheter, and with a hot bladder."""
    return [
        Case(
            name=f"torso-{feature}-{seed}",
            kind=PhantomKind.TORSO,
            seed=seed,
            variant="low_bmi",
            protocol="v1",
            ood=(feature,),
        )
        for seed, feature in ((95201, "catheter"), (95202, "bladder"))
    ]


def phantom_of(*, case: Case, quick: bool) -> Phantom:
    """The phantom of ``case``, on its family's default grid or the quick one."""
    shape, spacing = QUICK_GRIDS[case.kind] if quick else (None, None)
    return make_phantom(
        kind=case.kind, seed=case.seed, variant=case.variant, ood=case.ood, shape=shape, spacing_mm=spacing
    )


def simulate_case(
    *, case: Case, levels: tuple[float, ...], realisations: int, split: bool, quick: bool
) -> SimulatedStudy:
    """Simulate ``case`` at ``levels`` with ``realisations`` noise realisations (and half-count splits)."""
    request = StudyRequest(
        kind=case.kind,
        seed=case.seed,
        levels=levels,
        split=split,
        protocol=case.protocol,
        ood=case.ood,
        realizations=realisations,
        variant=case.variant,
    )
    return simulate_study(request=request, phantom=phantom_of(case=case, quick=quick))
