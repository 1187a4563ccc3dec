"""The TGD tables: every row has the header's columns (no stray pipes in cells), figures land in their cells."""

from __future__ import annotations

from bench.tgd.metrics import DropFigures, EnsembleFigures
from bench.tgd.results import (
    DropRow,
    FineTuningResult,
    KernelDropResult,
    LayerDropRow,
    NetworkScores,
    OnlineCaseResult,
    OnlineMethod,
    OnlineResult,
)
from bench.tgd.tables import fine_tuning_tables, kernel_drop_table, online_table


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def assert_rectangular(text: str) -> None:
    for block in text.split("\n\n"):
        lines = table_lines(block)
        assert len({line.count("|") for line in lines}) <= 1, block


def test_kernel_drop_table() -> None:
    figures = DropFigures(psnr_base_db=35.0, psnr_dropped_db=30.5, change_pct=2.25, of_correction_pct=40.0)
    result = KernelDropResult(
        level=0.1,
        input_psnr_db={"a": 28.0},
        rows=[DropRow(phi=0.3, kernel_pct=22.3, parameter_pct=20.4, per_layer=[1, 2], figures={"a": figures})],
        phi=0.3,
        per_layer=[LayerDropRow(layer=6, kernels=2, figures={"a": figures})],
    )
    text = kernel_drop_table(result=result)
    assert_rectangular(text)
    assert "30.50 (-4.50)" in text and "22.3" in text and "1 2" in text and "| 6 " in text


def test_fine_tuning_and_online_tables() -> None:
    figures = EnsembleFigures(lesion_bias_pct={"l1": -3.0, "l2": 5.0}, mean_abs_bias_pct=4.0, liver_cov_pct=7.5)
    nets = [
        NetworkScores(
            network=name, seconds=None if name == "v1-net" else 12.0, steps=5, note="n", figures={"s": figures}
        )
        for name in ("input", "v1-net", "TGD-net")
    ]
    result = FineTuningResult(level=0.1, realisations=10, studies=["s"], networks=nets, trainable_pct={})
    tables = fine_tuning_tables(result=result)
    for text in tables[:2]:
        assert_rectangular(text)
    assert "4.00" in tables[0] and "7.50" in tables[0] and "-3.00" in tables[1]
    methods = [OnlineMethod(method="base", ood_error_pct=24.1, liver_cov_pct=None, steps=0, seconds=0.0)]
    online = OnlineResult(
        level=0.1,
        realisations=2,
        settings={},
        studies=[OnlineCaseResult(study="c", feature="catheter", roi_voxels=89, methods=methods)],
    )
    text = online_table(result=online)
    assert_rectangular(text)
    assert "24.10" in text and "89 ROI voxels" in text and " – |" in text
