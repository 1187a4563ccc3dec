"""The run plan: unit times × work, sections that do nothing left out, and a timed measurement."""

from __future__ import annotations

import pytest
import torch

from bench.tgd.cases import evaluation_cases
from bench.tgd.plan import UnitTimes, Workload, estimate_plan, measure_units
from models.dncnn import DnCNN, DnCNNConfig

UNITS = UnitTimes(phantom_s=1.0, recon_s=2.0, train_step_s=0.5, adapt_step_s=0.1, slice_s=0.01)


def test_each_piece_is_its_count_times_its_unit() -> None:
    work = Workload(
        drop_studies=3,
        drop_networks=4,
        v2_shards=10,
        v2_steps=100,
        shard_levels=6,
        ft_studies=7,
        ft_steps=50,
        eval_studies=2,
        eval_realisations=10,
        eval_networks=4,
        online_studies=2,
        online_realisations=10,
        adapt_steps=300,
        slices=64,
    )
    items = {(item.section, item.item): item.seconds for item in estimate_plan(work=work, units=UNITS)}
    assert items[("kernel-drop", "simulate")] == pytest.approx(3 * (1 + 2 * 2))
    assert items[("kernel-drop", "denoise (base + dropped nets)")] == pytest.approx(3 * 5 * 64 * 0.01)
    assert items[("fine-tuning", "v2 shards")] == pytest.approx(10 * (1 + 8 * 2))
    assert items[("fine-tuning", "v2-net training")] == pytest.approx(50.0)
    assert items[("fine-tuning", "FT-net + TGD-net")] == pytest.approx(50.0)
    assert items[("fine-tuning", "simulate held-out")] == pytest.approx(2 * (1 + 20 * 2))
    assert items[("fine-tuning", "denoise held-out")] == pytest.approx(2 * 10 * 4 * 0.64)
    assert items[("online", "simulate (with splits)")] == pytest.approx(2 * (1 + 40 * 2))
    assert items[("online", "TGD-N2N, its second round, N2N adaptation")] == pytest.approx(2 * 3 * 300 * 0.1)
    assert items[("online", "denoise")] == pytest.approx(2 * 10 * 4 * 0.64)


def test_a_finished_v2_net_and_unselected_sections_cost_nothing() -> None:
    work = Workload(online_studies=2, online_realisations=2, adapt_steps=3, slices=8)
    sections = {item.section for item in estimate_plan(work=work, units=UNITS)}
    assert sections == {"online"}
    assert estimate_plan(work=Workload(), units=UNITS) == []


def test_measured_units_are_positive() -> None:
    torch.manual_seed(0)
    base = DnCNN(config=DnCNNConfig(width=4, depth=3))
    units = measure_units(
        base=base,
        case=evaluation_cases(studies=1)[0],
        quick=True,
        train_batch=2,
        train_patch=16,
        adapt_batch=2,
        adapt_patch=16,
    )
    assert min(units.phantom_s, units.recon_s, units.train_step_s, units.adapt_step_s, units.slice_s) > 0
