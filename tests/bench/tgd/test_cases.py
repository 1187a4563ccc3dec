"""The TGD experiments' studies: seeds apart from every training and held-out set, the right variants."""

from __future__ import annotations

import pytest

from bench.denoise.cases import held_out_cases
from bench.tgd.cases import (
    FT_TRAIN_SEED,
    V2_SHARD_SEED,
    evaluation_cases,
    finetune_cases,
    kernel_drop_cases,
    online_cases,
)
from imaging.simulation.phantom import PhantomKind

V1_TRAINING = set(range(1000, 1090)) | set(range(2000, 2090))
V2_TRAINING = set(range(V2_SHARD_SEED, V2_SHARD_SEED + 200))


def test_every_seed_is_distinct_and_apart_from_training_and_the_quality_bench() -> None:
    held = [*kernel_drop_cases(studies=3), *evaluation_cases(studies=3), *online_cases()]
    fine_tune = finetune_cases(count=7)
    seeds = [case.seed for case in [*held, *fine_tune]]
    assert len(set(seeds)) == len(seeds)
    quality = {case.seed for case in held_out_cases(studies=3)}
    assert not set(seeds) & (V1_TRAINING | V2_TRAINING | quality)
    assert len({case.name for case in [*held, *fine_tune]}) == len(seeds)


def test_each_experiment_gets_the_protocol_and_variants_it_needs() -> None:
    drop = kernel_drop_cases(studies=1)
    assert [(c.kind, c.variant, c.protocol) for c in drop] == [
        (PhantomKind.TORSO, "low_bmi", "v1"),
        (PhantomKind.TORSO, "high_bmi", "v1"),
        (PhantomKind.BRAIN, "normal", "v1"),
    ]
    tune = finetune_cases(count=7)
    assert [c.seed for c in tune] == list(range(FT_TRAIN_SEED, FT_TRAIN_SEED + 7))
    assert {(c.kind, c.variant, c.protocol) for c in tune} == {(PhantomKind.TORSO, "low_bmi", "v2")}
    scored = evaluation_cases(studies=2)
    assert [c.variant for c in scored] == ["low_bmi", "high_bmi"] * 2
    assert {c.protocol for c in scored} == {"v2"}
    assert [c.ood for c in online_cases()] == [("catheter",), ("bladder",)]
    assert {c.protocol for c in online_cases()} == {"v1"}


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError, match="Argument 'studies'"):
        kernel_drop_cases(studies=0)
    with pytest.raises(ValueError, match="Argument 'count'"):
        finetune_cases(count=0)
