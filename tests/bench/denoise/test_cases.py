"""The held-out studies of the denoiser benchmarks: distinct seeds, none of them a training seed."""

from __future__ import annotations

from bench.denoise.cases import held_out_cases
from imaging.simulation.phantom import PhantomKind

TRAINING_SEEDS = set(range(1000, 1090)) | set(range(2000, 2090))


def test_held_out_studies_have_distinct_seeds_outside_the_training_seeds() -> None:
    cases = held_out_cases(studies=3)
    seeds = [case.seed for case in cases]
    assert len(set(seeds)) == len(seeds) == 9
    assert not set(seeds) & TRAINING_SEEDS
    assert [case.kind for case in cases[:3]] == [PhantomKind.TORSO, PhantomKind.TORSO, PhantomKind.NEMA]
    assert [case.variant for case in cases[:2]] == ["low_bmi", "high_bmi"]
    assert len({case.name for case in cases}) == 9
