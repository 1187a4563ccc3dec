"""The report page as one self-contained HTML document (images inline as ``data:`` URIs, no script), and the page
shown instead while a job is queued or running (it reloads itself every 15 s) or when it failed.

Element ids the tests and readers rely on: ``header``, ``images`` (``img`` ids ``axial-input``, ``axial-output``,
``mip-input``, ``mip-output`` and, when the job wrote an uncertainty series, ``axial-uncertainty`` and
``mip-uncertainty``), ``uncertainty`` (only when the job asked for it: ``uncertainty-note``, ``uncertainty-list``,
``uncertainty-table``), ``scores`` (``scores-table``, ``calibration-note``), ``qc`` (``qc-table``), ``provenance``,
``timings`` (``timings-table``); the status page has ``status``.
"""

from __future__ import annotations

import base64
from datetime import datetime

from core.jobs.models import JobPublic, JobStatus
from service.report.figures import Figure, Figures
from service.report.load import StudyHeader
from service.report.markup import Markup, definition_list, join, section, tag, void_tag
from service.report.sections import output_series_uid, provenance_section, qc_section, scores_section, timings_section
from service.report.uncertainty import uncertainty_section

__all__ = ["REFRESH_S", "report_page", "status_page"]

REFRESH_S = 15
"""Seconds between reloads of the page of a job that is still queued or running."""

_STYLE = Markup(
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111;max-width:70rem}"
    "h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .6rem;text-align:left}"
    "thead th{background:#eee}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}"
    "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}"
    ".note{background:#fff4ce;border-left:4px solid #d9a400;padding:.5rem .8rem;font-weight:600}"
    ".not-scored{color:#666;font-style:italic}.views{display:grid;grid-template-columns:repeat(2,max-content);"
    "gap:1rem}.views.three{grid-template-columns:repeat(3,max-content)}"
    "figure{margin:0}img.pet-view{background:#fff;border:1px solid #999;display:block}"
    "figcaption{font-size:.85rem;max-width:24rem}.failed{color:#a00}"
)


def _document(*, title: str, body: Markup, refresh_s: int | None = None) -> str:
    head = join(
        [
            void_tag("meta", charset="utf-8"),
            void_tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
            void_tag("meta", http_equiv="refresh", content=refresh_s) if refresh_s is not None else "",
            tag("title", title),
            tag("style", _STYLE),
        ]
    )
    return "<!DOCTYPE html>\n" + tag("html", join([tag("head", head), tag("body", body)]), lang="en") + "\n"


def _job_items(*, job: JobPublic, generated: datetime) -> list[tuple[object, object]]:
    return [
        ("Job", job.id),
        ("Status", job.status.value),
        ("StudyInstanceUID", job.study_uid),
        ("Input series", job.series_uid),
        ("Page generated (UTC)", generated.isoformat(timespec="seconds")),
    ]


def _joined(*parts: str) -> str | None:
    """The non-empty ``parts`` separated by spaces; None (shown as ``—``) when every one is empty."""
    return " ".join(part for part in parts if part) or None


def _header(*, job: JobPublic, header: StudyHeader | None, generated: datetime) -> Markup:
    output_uid = output_series_uid(result=job.result)
    items: list[tuple[object, object]] = []
    if header is not None:
        items += [
            ("Patient", _joined(header.patient_name, f"({header.patient_id})" if header.patient_id else "")),
            ("Study", _joined(header.study_description, header.study_date)),
            ("Input series description", header.input_description or None),
            ("Output series description", header.output_description or None),
        ]
    items += [*_job_items(job=job, generated=generated), ("Output series", output_uid)]
    title = tag("h1", "petiq report: PET denoising and image quality")
    return tag("header", join([title, definition_list(css_id="header-list", items=items)]), id="header")


def _image(figure: Figure) -> Markup:
    source = "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")
    height, width = figure.display
    image = void_tag(
        "img", id=figure.key, class_="pet-view", src=source, alt=figure.alt, width=width, height=height,
        data_rows=figure.shape[0], data_columns=figure.shape[1],
    )  # fmt: skip
    return tag("figure", join([image, tag("figcaption", figure.title)]))


def _images(*, figures: Figures | None, missing: str | None) -> Markup:
    if figures is None:
        content = tag("p", f"The images cannot be shown: {missing or 'the series could not be read'}.", class_="failed")
        return section(css_id="images", title="Images", content=content)
    text = (
        f"Input (left) and denoised output (right) at one window, {figures.window}; inverted grey, dark is hot. "
        "Axial: the input's hottest slice; below, coronal maximum-intensity projections."
    )
    if figures.uncertainty_window is not None:
        text = (
            f"Input (left) and denoised output (middle) at one window, {figures.window}; right, the output's "
            f"voxel-wise uncertainty (standard deviation estimate) at its own window, {figures.uncertainty_window}. "
            "Inverted grey, dark is hot (or uncertain). Axial: the input's hottest slice; below, coronal "
            "maximum-intensity projections."
        )
    views = "views" if figures.columns == 2 else "views three"
    grid = tag("div", join(_image(figure) for figure in figures.items), class_=views)
    unread = figures.uncertainty_missing
    lost = tag("p", f"The uncertainty map cannot be shown: {unread}.", class_="failed") if unread else ""
    return section(css_id="images", title="Images", content=join([tag("p", text), grid, lost]))


def report_page(
    *, job: JobPublic, header: StudyHeader | None, figures: Figures | None, missing: str | None, generated: datetime
) -> str:
    """The report of a succeeded job: header, images (``missing`` says why when ``figures`` is None), scores, QC,
    provenance and timings of its ``result``."""
    result = job.result
    body = join(
        [
            _header(job=job, header=header, generated=generated),
            tag(
                "main",
                join(
                    [
                        _images(figures=figures, missing=missing),
                        uncertainty_section(result=result),
                        scores_section(result=result),
                        qc_section(result=result),
                        provenance_section(result=result),
                        timings_section(job=job),
                    ]
                ),
            ),
        ]
    )
    return _document(title=f"petiq report {job.id}", body=body)


def status_page(*, job: JobPublic, generated: datetime) -> str:
    """The page of a job without a report yet (queued, running: reloads every :data:`REFRESH_S` s) or failed."""
    if job.status is JobStatus.FAILED:
        error = job.error or {}
        message = join([tag("strong", error.get("title", "The job failed")), ": ", error.get("detail", "")])
        status = tag("p", message, class_="failed")
    else:
        stage = f", stage {job.stage}" if job.stage else ""
        status = tag("p", f"The job is {job.status.value}{stage}, {job.progress:.0f} % done. This page reloads itself.")
    items = _job_items(job=job, generated=generated)
    body = join(
        [
            tag("h1", "petiq report: not available"),
            section(css_id="status", title=f"Job {job.status.value}", content=status),
            definition_list(css_id="header-list", items=items),
        ]
    )
    refresh = None if job.status.finished else REFRESH_S
    return _document(title=f"petiq job {job.id} {job.status.value}", body=body, refresh_s=refresh)
