"""The TGD experiments' targets (issue 5), each checked on one pair of numbers: pure functions.

Fine-tuning (the paper's ordering, per held-out v2 study):

1. ``tgd_bias``: TGD-net's mean |lesion bias| < v1-net's;
2. ``tgd_cov``: TGD-net's liver CoV < FT-net's, on the high-BMI studies.

Online learning (per study with an out-of-distribution feature):

3. ``ood_error``: TGD-N2N's error inside the feature's ROI ≤ (1 − 0.30) × the base network's;
4. ``cov_rise``: TGD-N2N's liver CoV ≤ (1 + 0.15) × the base network's.

A check's ``margin`` is the limit minus the value, in percent points of its figure, as in
:class:`bench.checks.TargetCheck`: the orderings (1, 2) pass when it is > 0 (strictly smaller), the
bounds (3, 4) when it is ≥ 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.checks import TargetCheck

__all__ = [
    "COV_RISE_LIMIT",
    "OOD_ERROR_CUT",
    "TARGET_TITLES",
    "bias_order_check",
    "cov_order_check",
    "cov_rise_check",
    "ood_error_check",
    "target_summary",
]

OOD_ERROR_CUT = 0.30
"""TGD-N2N must cut the base network's out-of-distribution ROI error by at least this fraction."""

COV_RISE_LIMIT = 0.15
"""TGD-N2N may raise the base network's liver CoV by at most this fraction."""

TARGET_TITLES = {
    "tgd_bias": "fine-tuning: TGD-net mean |lesion bias| < v1-net's (every held-out v2 study)",
    "tgd_cov": "fine-tuning: TGD-net liver CoV < FT-net's (high-BMI v2 studies)",
    "ood_error": f"online: TGD-N2N cuts the base's OOD-ROI error by ≥ {OOD_ERROR_CUT:.0%}",
    "cov_rise": f"online: TGD-N2N raises the base's liver CoV by ≤ {COV_RISE_LIMIT:.0%}",
}


def _check(*, target: str, case: str, level: float, value: float, limit: float, strict: bool, note: str) -> TargetCheck:
    """``value`` must not exceed ``limit`` (``strict``: must stay below it); NaN on either side fails."""
    margin = limit - value
    return TargetCheck(
        target=target,
        case=case,
        level=level,
        item="",
        value=value,
        compared_with=limit,
        margin=margin,
        passed=bool(margin > 0 if strict else margin >= 0),
        note=note,
    )


def bias_order_check(*, case: str, level: float, tgd_pct: float, v1_pct: float) -> TargetCheck:
    """TGD-net's mean |lesion bias| (%) against v1-net's (target 1)."""
    return _check(target="tgd_bias", case=case, level=level, value=tgd_pct, limit=v1_pct, strict=True, note="vs v1-net")


def cov_order_check(*, case: str, level: float, tgd_pct: float, ft_pct: float) -> TargetCheck:
    """TGD-net's liver CoV (%) against FT-net's (target 2)."""
    return _check(target="tgd_cov", case=case, level=level, value=tgd_pct, limit=ft_pct, strict=True, note="vs FT-net")


def ood_error_check(*, case: str, level: float, adapted_pct: float, base_pct: float) -> TargetCheck:
    """TGD-N2N's OOD-ROI error (%) against (1 − cut) × the base's (target 3)."""
    cut = 1.0 - adapted_pct / base_pct if base_pct > 0 else float("nan")
    return _check(
        target="ood_error",
        case=case,
        level=level,
        value=adapted_pct,
        limit=(1.0 - OOD_ERROR_CUT) * base_pct,
        strict=False,
        note=f"cut {cut:.0%} of the base's {base_pct:.2f} %",
    )


def cov_rise_check(*, case: str, level: float, adapted_pct: float, base_pct: float) -> TargetCheck:
    """TGD-N2N's liver CoV (%) against (1 + limit) × the base's (target 4)."""
    rise = adapted_pct / base_pct - 1.0 if base_pct > 0 else float("nan")
    return _check(
        target="cov_rise",
        case=case,
        level=level,
        value=adapted_pct,
        limit=(1.0 + COV_RISE_LIMIT) * base_pct,
        strict=False,
        note=f"rise {rise:+.0%} over the base's {base_pct:.2f} %",
    )


def target_summary(*, checks: Sequence[TargetCheck]) -> list[str]:
    """One ``PASS``/``FAIL`` line per target of :data:`TARGET_TITLES` that has checks (worst margin named)."""
    lines = []
    for target, title in TARGET_TITLES.items():
        mine = [check for check in checks if check.target == target]
        if not mine:
            continue
        worst = min(mine, key=lambda check: check.margin if check.margin == check.margin else float("-inf"))
        verdict = "PASS" if all(check.passed for check in mine) else "FAIL"
        lines.append(
            f"{verdict}  {title}: {sum(c.passed for c in mine)}/{len(mine)} pass; worst margin {worst.margin:+.2f} "
            f"({worst.case}: {worst.value:.2f} vs {worst.compared_with:.2f}; {worst.note})"
        )
    return lines
