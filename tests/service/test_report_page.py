"""The report page as HTML (pure): sections, images, scores with uncertainty or "not scored", QC, escaping, and
the status pages of jobs that have not succeeded."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.jobs.models import JobStatus
from service.report.figures import report_figures
from service.report.load import StudyHeader
from service.report.page import REFRESH_S, report_page, status_page
from tests.service.report_dom import parse_page, png_of
from tests.service.report_helpers import CALIBRATION, CREATED, job, result_document, volume

SPACING = (4.0, 10.0, 10.0)
HEADER = StudyHeader(
    patient_name="Doe^Jane",
    patient_id="P1",
    study_date="20261102",
    study_description="PET WB",
    input_description="WB <script>alert('x')</script> & more",
    output_description="WB [petiq denoised]",
)


def _page(*, scored: bool, header: StudyHeader = HEADER, before_levels: bool = False) -> str:
    rng = np.random.default_rng(5)
    before = rng.uniform(0.0, 1000.0, size=(6, 10, 12)).astype(np.float32)
    figures = report_figures(
        before=volume(voxels=before, spacing=SPACING, factor=0.001),
        after=volume(voxels=before * 0.9, spacing=SPACING, factor=0.001),
    )
    result = result_document(input_uid="1.2.3", output_uid="1.2.4", scored=scored)
    if before_levels:  # a document written before strength levels existed
        del result["provenance"]["denoiser"]["strength"], result["provenance"]["denoiser"]["blend"]
    done = job(number=1, status=JobStatus.SUCCEEDED, study_uid="1.2", series_uid="1.2.3", result=result)
    return report_page(job=done, header=header, figures=figures, missing=None, generated=CREATED)


def test_the_page_has_every_section_and_the_four_images_at_their_grid() -> None:
    page = parse_page(_page(scored=True))
    for element in ("header", "images", "scores", "scores-table", "calibration-note", "qc", "qc-table"):
        assert element in page.ids
    assert {"provenance", "timings", "timings-table"} <= page.ids.keys()
    shapes = {image["id"]: png_of(image["src"]).shape for image in page.images}
    assert shapes == {"axial-input": (10, 12), "axial-output": (10, 12), "mip-input": (6, 12), "mip-output": (6, 12)}
    for image in page.images:
        assert image["alt"] and image["class"] == "pet-view"
        assert int(image["width"]) == 360  # the x extent, at one mm scale for all four
        rows = int(image["data-rows"])
        expected = rows * (SPACING[0] if image["id"].startswith("mip") else SPACING[1]) * 360 / (12 * SPACING[2])
        assert int(image["height"]) == round(expected)
    assert "SUVbw" in page.text["images"]


def test_the_output_is_shown_at_the_input_window() -> None:
    images = {image["id"]: png_of(image["src"]) for image in parse_page(_page(scored=True)).images}
    for view in ("axial", "mip"):  # output = 0.9 x input: paler (inverted grey) everywhere, never darker
        before, after = images[f"{view}-input"].astype(int), images[f"{view}-output"].astype(int)
        assert np.all(after >= before) and after.mean() > before.mean()


def test_scores_show_uncertainty_and_the_calibration_note() -> None:
    page = parse_page(_page(scored=True))
    table = page.tables["scores-table"]
    assert table[0] == ["Score", "Input", "Output"]
    gqr = next(row for row in table if row[0].startswith("Global quality rating"))
    assert gqr[1].startswith("1.5 ± 0.42") and gqr[2].startswith("2.5 ± 0.31") and "unrounded 2.41" in gqr[2]
    note = page.text["calibration-note"]
    assert "not a clinician" in note and CALIBRATION in note


def test_null_scores_read_not_scored() -> None:
    page = parse_page(_page(scored=False))
    cells = [cell for row in page.tables["scores-table"][1:] for cell in row[1:]]
    assert cells == ["not scored"] * 6
    assert page.text["calibration-note"].startswith("No quality scores")
    assert "quality scoring is not available" in page.text["notes"]


def test_qc_table_and_details() -> None:
    page = parse_page(_page(scored=True))
    rows = {row[0]: row[1:] for row in page.tables["qc-table"]}
    assert rows["SUVmax (SUVbw)"] == ["8", "7.2", "0.900"]
    assert rows["Noise CoV in a uniform region (%)"] == ["25", "10", "0.400"]
    assert rows["Mean activity in the body"][-1] == "0.9987"
    details = page.text["qc-details"]
    assert "centre voxel (z, y, x) [2, 4, 4]" in details and "future_metric" in details


def test_provenance_and_timings() -> None:
    page = parse_page(_page(scored=True))
    provenance = page.text["provenance"]
    assert "petiq-dncnn 1.0.0" in provenance and "cd" * 32 in provenance and "2.25.1234" in provenance
    assert "petiq-iqa" in provenance and "Adaptation" in provenance and "Orientations averaged4" in provenance
    timings = {row[0]: row[1] for row in page.tables["timings-table"][1:]}
    assert timings["denoise"] == "1.250" and timings["total"] == "2.250"
    assert "Run time (s)" in page.text["job-clock"]


def test_provenance_shows_the_strength_level_and_its_blend_weight() -> None:
    listing = parse_page(_page(scored=True)).text["provenance-list"]
    assert "Strengthmedium (blend α = 0.75: input + α · (network output − input))" in listing
    older = parse_page(_page(scored=True, before_levels=True)).text["provenance-list"]
    assert "Strengthnot recorded (before strength levels: the network's full output)" in older


def test_header_text_is_escaped_never_markup() -> None:
    html = _page(scored=True)
    assert "<script" not in html.lower()
    page = parse_page(html)
    assert "script" not in page.tags
    assert "WB <script>alert('x')</script> & more" in page.text["header"]


def _visible_text(html: str) -> str:
    """The page's text without its tags (and so without the images' base64 data)."""
    return re.sub(r"<[^>]*>", " ", html)


def test_absent_patient_study_attributes_and_failed_scoring_render_without_none() -> None:
    """A source without the Type 2 patient/study attributes and a job whose scoring failed (scores null, the reason
    in ``notes``): every absent value reads "—", never "None" or an empty "()"."""
    result = result_document(input_uid="1.2.3", output_uid="1.2.4", scored=False)
    reason = "No quality scores: the scorer found no patch above 1/8 of the volume mean."
    result["notes"] = [reason, "SUV is not computable: attribute 'Units' is absent."]
    result["qc"].update(units=None, suv_factor=None, suv_reason=None, suvmax_in=None, suvmax_out=None)
    done = job(number=3, status=JobStatus.SUCCEEDED, study_uid="1.2", series_uid="1.2.3", result=result)
    empty = StudyHeader(
        patient_name="", patient_id="", study_date="", study_description="", input_description="", output_description=""
    )
    html = report_page(job=done, header=empty, figures=None, missing="no images in this test", generated=CREATED)
    text = _visible_text(html)
    assert "None" not in text and "()" not in text and "null" not in text
    for term in ("Patient", "Study", "Input series description", "Output series description"):
        assert f"<dt>{term}</dt><dd>—</dd>" in html
    page = parse_page(html)
    assert page.text["notes"].startswith(reason)
    assert page.text["calibration-note"].startswith("No quality scores")
    assert {cell for row in page.tables["scores-table"][1:] for cell in row[1:]} == {"not scored"}


def test_a_patient_id_without_a_name_is_shown_alone() -> None:
    header = StudyHeader(
        patient_name="", patient_id="P7", study_date="20261102", study_description="", input_description="WB",
        output_description="WB [petiq denoised]",
    )  # fmt: skip
    html = _page(scored=True, header=header)
    assert "<dt>Patient</dt><dd>(P7)</dd>" in html and "<dt>Study</dt><dd>20261102</dd>" in html


def test_missing_images_say_why() -> None:
    result = result_document(input_uid="1.2.3", output_uid="1.2.4", scored=False)
    done = job(number=2, status=JobStatus.SUCCEEDED, study_uid="1.2", series_uid="1.2.3", result=result)
    html = report_page(job=done, header=None, figures=None, missing="No such series is stored.", generated=CREATED)
    page = parse_page(html)
    assert not page.images and "No such series is stored." in page.text["images"]
    assert "scores-table" in page.ids and "qc-table" in page.ids


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_an_unfinished_job_gets_a_status_page_that_reloads(status: JobStatus) -> None:
    html = status_page(job=job(number=3, status=status, study_uid="1.2", series_uid="1.2.3"), generated=CREATED)
    page = parse_page(html)
    assert f'<meta http-equiv="refresh" content="{REFRESH_S}">' in html
    assert f"The job is {status.value}" in page.text["status"] and not page.images


def test_a_failed_job_shows_its_error_escaped_and_does_not_reload() -> None:
    error = {"title": "The job's input cannot be processed", "detail": "Modality is <b>CT</b>, not PT."}
    failed = job(number=4, status=JobStatus.FAILED, study_uid="1.2", series_uid="1.2.3", error=error)
    html = status_page(job=failed, generated=CREATED)
    assert "refresh" not in html and "<b>" not in html
    assert "Modality is <b>CT</b>, not PT." in parse_page(html).text["status"]


UNCERTAINTY = {
    "available": True, "series_uid": "1.2.5", "method": "0.5 * sqrt(G_sigma * (D_A - D_B)^2)", "unit": "BQML",
    "sigma_voxels": 1.0, "split_uids": ["1.2.6", "1.2.7"], "mean_body": 41.5,
    "lesions": [
        {"peak_voxel": [3, 5, 6], "voxels": 12, "mean_output": 6200.0, "mean_uncertainty": 310.0, "percent": 5.0},
        {"peak_voxel": [1, 2, 9], "voxels": 7, "mean_output": 2100.0, "mean_uncertainty": 252.0, "percent": 12.0},
    ],
}  # fmt: skip


def _uncertainty_page(section: dict[str, object] | None, *, with_map: bool) -> str:
    rng = np.random.default_rng(6)
    before = rng.uniform(0.0, 1000.0, size=(6, 10, 12)).astype(np.float32)
    spread = np.full(before.shape, 40.0, dtype=np.float32)
    spread[3, 5, 6] = 400.0
    figures = report_figures(
        before=volume(voxels=before, spacing=SPACING, factor=0.001),
        after=volume(voxels=before * 0.9, spacing=SPACING, factor=0.001),
        uncertainty=volume(voxels=spread, spacing=SPACING, factor=0.001) if with_map else None,
    )
    result = result_document(input_uid="1.2.3", output_uid="1.2.4", scored=False) | {"uncertainty": section}
    done = job(number=5, status=JobStatus.SUCCEEDED, study_uid="1.2", series_uid="1.2.3", result=result)
    return report_page(job=done, header=HEADER, figures=figures, missing=None, generated=CREATED)


def test_the_uncertainty_map_is_shown_beside_the_output_at_its_own_window() -> None:
    html = _uncertainty_page(UNCERTAINTY, with_map=True)
    page = parse_page(html)
    order = [image["id"] for image in page.images]
    assert order == ["axial-input", "axial-output", "axial-uncertainty", "mip-input", "mip-output", "mip-uncertainty"]
    assert 'class="views three"' in html
    images = {image["id"]: image for image in page.images}
    assert images["axial-uncertainty"]["width"] == images["axial-output"]["width"]
    assert "uncertainty" in page.text["images"] and "its own window, 0–" in page.text["images"]
    assert "SUVbw" in images["axial-uncertainty"]["alt"]  # the window's unit
    assert png_of(images["axial-uncertainty"]["src"]).shape == (10, 12)
    mip = png_of(images["mip-uncertainty"]["src"])
    assert mip.min() == 0  # the one 400 Bq/ml voxel, above the map's own window (its 99.9th percentile): black
    assert np.mean(mip > 0) > 0.9  # the rest (40 Bq/ml) grey within it, not white: not the output's window


def test_the_uncertainty_section_lists_the_hottest_spots() -> None:
    page = parse_page(_uncertainty_page(UNCERTAINTY, with_map=True))
    table = page.tables["uncertainty-table"]
    assert table[0] == [
        "Spot", "Peak voxel (z, y, x)", "Voxels", "Mean output (Bq/ml)", "Mean uncertainty (Bq/ml)",
        "Uncertainty / output (%)",
    ]  # fmt: skip
    assert table[1] == ["1", "[3, 5, 6]", "12", "6200", "310", "5.0"] and table[2][-1] == "12.0"
    text = page.text["uncertainty"]
    assert "41.5 Bq/ml" in text and "1.2.5" in text and "not an error against the truth" in text


def test_an_unavailable_uncertainty_is_one_line_saying_why() -> None:
    section = {"available": False, "reason": "no half-count split pair was given"}
    page = parse_page(_uncertainty_page(section, with_map=False))
    assert page.text["uncertainty-note"].strip() == "No uncertainty map: no half-count split pair was given."
    assert "uncertainty-table" not in page.ids and len(page.images) == 4


def test_no_uncertainty_asked_for_no_section() -> None:
    page = parse_page(_uncertainty_page(None, with_map=False))
    assert "uncertainty" not in page.ids and len(page.images) == 4
