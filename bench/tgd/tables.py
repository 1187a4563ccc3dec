"""The TGD experiments' tables: pure string formatting of :mod:`bench.tgd.results` (Markdown pipe tables)."""

from __future__ import annotations

from collections.abc import Sequence

from bench.checks import TargetCheck
from bench.tables import format_table, level_label
from bench.tgd.plan import PlanItem
from bench.tgd.results import FineTuningResult, KernelDropResult, OnlineResult

__all__ = [
    "checks_table",
    "fine_tuning_tables",
    "kernel_drop_table",
    "online_table",
    "plan_table",
]


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def plan_table(*, items: Sequence[PlanItem]) -> str:
    """The planned pieces with their estimated minutes, and the total."""
    rows = [[item.section, item.item, f"{item.seconds / 60:.1f}"] for item in items]
    rows.append(["total", "", f"{sum(item.seconds for item in items) / 60:.1f}"])
    return format_table(title="Plan (estimated minutes)", header=["section", "piece", "min"], rows=rows, left=(0, 1))


def kernel_drop_table(*, result: KernelDropResult) -> str:
    """One row per φ and study: kernels and parameters below φ, PSNR before/after the drop and how much moved."""
    header = [
        "φ",
        "kernels < φ %",
        "params < φ %",
        "per layer",
        "study",
        "PSNR base dB",
        "PSNR dropped dB (Δ)",
        "abs Δ % of scale",
        "abs Δ % of correction",
    ]
    rows = []
    for row in result.rows:
        for name, figures in row.figures.items():
            delta = figures.psnr_dropped_db - figures.psnr_base_db
            rows.append(
                [
                    f"{row.phi:g}",
                    f"{row.kernel_pct:.1f}",
                    f"{row.parameter_pct:.1f}",
                    " ".join(map(str, row.per_layer)),
                    name,
                    f"{figures.psnr_base_db:.2f}",
                    f"{figures.psnr_dropped_db:.2f} ({delta:+.2f})",
                    f"{figures.change_pct:.3f}",
                    _number(figures.of_correction_pct, 1),
                ]
            )
    inputs = ", ".join(f"{name} {value:.2f} dB" for name, value in result.input_psnr_db.items())
    title = (
        f"Kernel drop (paper Fig. 4), {level_label(level=result.level)} counts: kernels with KSE < φ zeroed "
        "(weight row, bias, BN γ/β: the channel outputs 0); per layer = kernels below φ in convs 0…depth−2; "
        "abs Δ = mean |dropped − base| in the body, in % of the activity scale and of mean |base − input|. "
        f"Input PSNR: {inputs}"
    )
    table = format_table(title=title, header=header, rows=rows, left=(0, 3, 4))
    return table + "\n\n" + _layer_table(result=result)


def _layer_table(*, result: KernelDropResult) -> str:
    """At TGD's φ, each layer's kernels below φ dropped alone: |Δ| in % of the network's correction per study."""
    studies = list(result.input_psnr_db)
    rows = [
        [str(row.layer), str(row.kernels), *(_number(row.figures[name].of_correction_pct, 1) for name in studies)]
        for row in result.per_layer
    ]
    title = f"Kernel drop layer by layer at φ = {result.phi:g}: |Δ| in % of mean |base − input|"
    return format_table(title=title, header=["conv", "kernels dropped", *studies], rows=rows)


def fine_tuning_tables(*, result: FineTuningResult) -> list[str]:
    """The Table-1 summary (mean |lesion bias| and liver CoV per held-out study) and the per-lesion biases."""
    header = ["network", "train s", "steps"]
    for name in result.studies:
        header += [f"{name} mean abs lesion bias %", f"{name} liver CoV %"]
    rows = []
    for net in result.networks:
        cells = [net.network, _number(net.seconds, 0), "–" if net.steps is None else str(net.steps)]
        for name in result.studies:
            figures = net.figures[name]
            cells += [_number(figures.mean_abs_bias_pct), _number(figures.liver_cov_pct)]
        rows.append(cells)
    title = (
        f"Fine-tuning (paper Table 1): held-out v2 torso studies, {level_label(level=result.level)} counts, "
        f"R = {result.realisations}; ensemble figures vs the noise-free v2 reconstruction"
    )
    summary = format_table(title=title, header=header, rows=rows)
    lesion_rows = []
    for name in result.studies:
        for lesion in result.networks[0].figures[name].lesion_bias_pct:
            cells = [f"{name} · {lesion}"]
            cells += [_number(net.figures[name].lesion_bias_pct[lesion]) for net in result.networks]
            lesion_rows.append(cells)
    lesions = format_table(
        title="Ensemble lesion bias (%) per lesion",
        header=["study · lesion", *(net.network for net in result.networks)],
        rows=lesion_rows,
    )
    notes = "\n".join(f"- {net.network}: {net.note}" for net in result.networks if net.note)
    return [summary, lesions, "Networks:\n" + notes]


def online_table(*, result: OnlineResult) -> str:
    """One row per study and method: error inside the OOD ROI, liver CoV, adaptation steps and seconds."""
    rows = []
    for study in result.studies:
        for method in study.methods:
            rows.append(
                [
                    f"{study.study} ({study.roi_voxels} ROI voxels)",
                    method.method,
                    _number(method.ood_error_pct),
                    _number(method.liver_cov_pct),
                    str(method.steps),
                    _number(method.seconds, 1),
                ]
            )
    title = (
        f"Online learning, {level_label(level=result.level)} counts (adapted on the ½-count splits of realisation 0), "
        f"R = {result.realisations}: mean |error| inside the OOD ROI (% of its reference mean), liver CoV (%)"
    )
    header = ["study", "method", "OOD-ROI error %", "liver CoV %", "steps", "adapt s"]
    return format_table(title=title, header=header, rows=rows, left=(0, 1))


def checks_table(*, checks: Sequence[TargetCheck]) -> str:
    """Every target check with its value, limit and margin (≥ 0 passes)."""
    rows = [
        [
            check.target,
            check.case,
            f"{check.value:.2f}",
            f"{check.compared_with:.2f}",
            f"{check.margin:+.2f}",
            "PASS" if check.passed else "FAIL",
            check.note,
        ]
        for check in checks
    ]
    header = ["target", "study", "value", "limit", "margin", "verdict", "note"]
    return format_table(
        title="Target checks (margin = limit − value; orderings pass when > 0, bounds when ≥ 0)",
        header=header,
        rows=rows,
        left=(0, 1, 5, 6),
    )
