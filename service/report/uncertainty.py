"""The report's uncertainty section, from a job's ``result.json`` ``uncertainty`` (pure; every value escaped).

Shown only when the job asked for the uncertainty. Available: the uncertainty series, how it is estimated, its mean
in the body and a table of the output's hottest separated spots (lesions or hot organs) with their mean output and
mean uncertainty. Not available: one line saying why.
"""

from __future__ import annotations

from core.jobs.result import ResultDocument, UncertaintyAvailable, UncertaintyRegion
from service.report.markup import Markup, definition_list, join, section, table, tag, text_of

__all__ = ["uncertainty_section"]

_TITLE = "Voxel-wise uncertainty"
_UNIT_NAMES = {"BQML": "Bq/ml", "GML": "g/ml (SUVbw)"}
_READING = (
    "A standard-deviation estimate of the denoised output from the two half-count splits of the study, each "
    "denoised as the output was: how much the output would move with another noise realisation. On simulated "
    "studies it reads 10–20 % below the true standard deviation. It is not an error against the truth: a bias "
    "both halves share (a lesion the network flattens) does not show in it."
)


def _unit(code: str) -> str:
    return _UNIT_NAMES.get(code, code)


def _row(number: int, region: UncertaintyRegion) -> tuple[object, ...]:
    return (
        number,
        text_of(region.peak_voxel),
        region.voxels,
        f"{region.mean_output:.4g}",
        f"{region.mean_uncertainty:.4g}",
        "—" if region.percent is None else f"{region.percent:.1f}",
    )


def _available(found: UncertaintyAvailable) -> Markup:
    unit = _unit(found.unit)
    mean = "—" if found.mean_body is None else f"{found.mean_body:.4g} {unit}"
    items: list[tuple[object, object]] = [
        ("Uncertainty series", found.series_uid),
        ("Method", found.method),
        ("Local mean over", f"a Gaussian of σ = {found.sigma_voxels:g} voxel"),
        ("Half-count splits", ", ".join(found.split_uids)),
        ("Mean uncertainty in the body", mean),
    ]
    headers = ("Spot", "Peak voxel (z, y, x)", "Voxels", f"Mean output ({unit})", f"Mean uncertainty ({unit})",
               "Uncertainty / output (%)")  # fmt: skip
    rows = [_row(number, region) for number, region in enumerate(found.lesions, start=1)]
    spots = (
        "The output's hottest separated spots (lesions or hot organs), hottest first: the voxels connected to each "
        "peak at ≥ 50 % of it."
        if rows
        else "No hot spot was found in the body."
    )
    return join(
        [
            tag("p", _READING, id="uncertainty-note", class_="legend"),
            definition_list(css_id="uncertainty-list", items=items),
            tag("p", spots),
            table(css_id="uncertainty-table", headers=headers, rows=rows) if rows else "",
        ]
    )


def uncertainty_section(*, result: ResultDocument | None) -> Markup:
    """``<section id="uncertainty">`` (module docstring); empty when the job did not ask for the uncertainty."""
    found = result.uncertainty if result is not None else None
    if found is None:
        return Markup("")
    if isinstance(found, UncertaintyAvailable):
        return section(css_id="uncertainty", title=_TITLE, content=_available(found))
    line = tag("p", f"No uncertainty map: {found.reason}.", id="uncertainty-note", class_="note")
    return section(css_id="uncertainty", title=_TITLE, content=line)
