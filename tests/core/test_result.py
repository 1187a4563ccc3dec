"""The typed result document: manifests written before it load, nothing is lost, and it dumps as it was read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.jobs.models import JobPublic, JobStatus
from core.jobs.result import ResultDocument, UncertaintyAvailable, UncertaintyUnavailable
from core.jobs.transitions import succeeded
from tests.service.report_helpers import job, result_document

BEFORE = Path(__file__).parent / "data" / "result-before-typing.json"
"""A result.json that ``petiq process --adapt single`` wrote (scored) before the document was typed."""


def _before() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(BEFORE.read_text())
    return document


def test_a_manifest_written_before_the_typed_result_loads_and_dumps_the_same_result() -> None:
    manifest = job(number=1, status=JobStatus.SUCCEEDED, study_uid="1.2.3", series_uid="1.2.3.1").model_dump(
        mode="json"
    )
    manifest["result"] = _before()
    loaded = JobPublic.model_validate_json(json.dumps(manifest))
    assert isinstance(loaded.result, ResultDocument)
    assert loaded.result.adaptation is not None and loaded.result.adaptation.mode == "single"
    assert loaded.result.input.scores is not None and loaded.result.input.scores.seed == 0
    assert loaded.result.unknown_keys() == []
    denoiser = loaded.result.provenance.denoiser
    assert (denoiser.strength, denoiser.blend) == (None, None)  # before levels: absent, and dumped absent
    assert json.loads(loaded.model_dump_json())["result"] == _before()
    assert loaded.model_dump(mode="json")["result"] == _before()


def test_the_written_text_is_unchanged_key_order_included() -> None:
    document = ResultDocument.model_validate(_before())
    assert json.dumps(document.model_dump(mode="json"), indent=2) + "\n" == BEFORE.read_text()


def test_keys_older_documents_lack_stay_absent_and_unknown_keys_are_kept() -> None:
    old = result_document(input_uid="1.2.3.1", output_uid="1.2.3.2", scored=True)  # no activity_factor nor seed
    document = ResultDocument.model_validate(old)
    assert document.qc.activity_factor is None and document.input.scores is not None
    assert document.input.scores.seed is None and document.qc.uniform_region.reason is None
    assert document.unknown_keys() == ["qc.future_metric"]
    assert document.model_dump(mode="json") == old


def test_no_uniform_region_keeps_its_reason() -> None:
    old = result_document(input_uid="1.2.3.1", output_uid="1.2.3.2", scored=False)
    reason = "no 30 mm window lies in the body"
    old["qc"]["uniform_region"] = {"centre_voxel": None, "size_voxels": None, "size_mm": None, "reason": reason}
    document = ResultDocument.model_validate(old)
    assert document.qc.uniform_region.reason == reason and document.model_dump(mode="json") == old


@pytest.mark.parametrize(
    ("path", "value"),
    [(("timings_s",), {"load": 0.1}), (("input", "n_slices"), "many"), (("adaptation",), {"mode": "always"})],
)
def test_a_malformed_document_is_refused(path: tuple[str, ...], value: object) -> None:
    document = result_document(input_uid="1.2.3.1", output_uid="1.2.3.2", scored=False)
    *parents, key = path
    section = document
    for name in parents:
        section = section[name]
    section[key] = value
    with pytest.raises(ValidationError):
        ResultDocument.model_validate(document)


def test_succeeded_takes_the_stage_timings_from_the_document() -> None:
    running = job(number=2, status=JobStatus.RUNNING, study_uid="1.2.3", series_uid="1.2.3.1")
    done = succeeded(running, result=ResultDocument.model_validate(_before()))
    assert done.status is JobStatus.SUCCEEDED and done.timings.stages_s == _before()["timings_s"]


def test_the_uncertainty_section_null_absent_available_or_not() -> None:
    old = _before()
    assert "uncertainty" not in old  # written before the section existed: dumped without it
    assert "uncertainty" not in ResultDocument.model_validate(old).model_dump(mode="json")
    asked_not = old | {"uncertainty": None}  # written since: null when not asked for, and kept null
    assert ResultDocument.model_validate(asked_not).model_dump(mode="json") == asked_not
    assert json.loads(ResultDocument.model_validate(asked_not).model_dump_json())["uncertainty"] is None
    unavailable = old | {"uncertainty": {"available": False, "reason": "no split pair"}}
    document = ResultDocument.model_validate(unavailable)
    assert isinstance(document.uncertainty, UncertaintyUnavailable)
    assert document.model_dump(mode="json") == unavailable
    lesion = {"peak_voxel": [1, 2, 3], "voxels": 9, "mean_output": 5000.0, "mean_uncertainty": 250.0, "percent": 5.0}
    section = {
        "available": True, "series_uid": "1.2.9", "method": "m", "unit": "BQML", "sigma_voxels": 1.0,
        "split_uids": ["1.2.7", "1.2.8"], "mean_body": 40.0, "lesions": [lesion],
    }  # fmt: skip
    available = ResultDocument.model_validate(old | {"uncertainty": section})
    assert isinstance(available.uncertainty, UncertaintyAvailable) and available.uncertainty.lesions[0].voxels == 9
    assert available.model_dump(mode="json")["uncertainty"] == section
    assert list(available.model_dump(mode="json")).index("uncertainty") == 4  # after adaptation
    for broken in ({"available": True, "series_uid": "1.2.9"}, {"available": False}, {"available": "maybe"}):
        with pytest.raises(ValidationError):
            ResultDocument.model_validate(old | {"uncertainty": broken})
