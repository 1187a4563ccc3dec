"""QIDO-RS matching keys over HTTP (PS3.18 Table 10.6.1-5), and the Warning header for what petiq does not do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset

from core.settings import Settings
from core.storage.layout import Layout
from service.dicomweb.qido_keys import SERIES_RESULT, STUDY_RESULT
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets, sibling_series
from tests.service.job_helpers import RecordingQueue, stow

SERVICE = "299 http://testserver/dicomweb:"


@dataclass(frozen=True)
class Stored:
    """The three studies of the module: A (Müller, two series), B (Mueller), C (Smith)."""

    a: str
    b: str
    c: str
    a_series: str
    a_sibling: str


def _patient(datasets: list[Dataset], **attributes: str) -> list[Dataset]:
    for ds in datasets:
        for keyword, value in attributes.items():
            setattr(ds, keyword, value)
    return datasets


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Stored, Path]]:
    storage = tmp_path_factory.mktemp("qido") / "storage"
    settings = Settings(storage_dir=storage, api_keys=frozenset({AUTH["Authorization"].split()[1]}))
    common = {"StudyTime": "101500", "ReferringPhysicianName": "Curie^Marie"}
    a = _patient(pet_datasets(seed=91, n_slices=2), PatientName="Müller^Hans", PatientID="P-1", **common)
    a = _patient(a, StudyDate="20240105", AccessionNumber="ACC-100", StudyID="S1")
    a = _patient(a, PerformedProcedureStepStartDate="20240105", PerformedProcedureStepStartTime="101600")
    sibling = _patient(sibling_series(a, tag="q", description="sibling"), SeriesNumber="2")
    for ds in sibling:
        del ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime
    b = _patient(pet_datasets(seed=92, n_slices=2), PatientName="Mueller^Anna", PatientID="P-2", StudyID="S2")
    b = _patient(b, StudyDate="20240107", StudyTime="090000", AccessionNumber="ACC-200")
    b = _patient(b, ReferringPhysicianName="Pasteur^Louis")
    c = _patient(pet_datasets(seed=93, n_slices=2), PatientName="Smith^John", PatientID="Q-3", StudyDate="20231231")
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        for datasets in (a, sibling, b, c):
            assert stow(client, datasets).status_code == 200
        uids = Stored(
            a=a[0].StudyInstanceUID,
            b=b[0].StudyInstanceUID,
            c=c[0].StudyInstanceUID,
            a_series=a[0].SeriesInstanceUID,
            a_sibling=sibling[0].SeriesInstanceUID,
        )
        yield client, uids, storage


def _uids(response: Any, tag: str) -> set[str]:
    assert response.status_code == 200, response.text
    return {item[tag]["Value"][0] for item in response.json()}


def _studies(client: TestClient, params: dict[str, str] | list[tuple[str, str]]) -> Any:
    return client.get("/dicomweb/studies", params=params, headers=AUTH)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"PatientName": "Mül*"}, "a"),
        ({"PatientName": "mül*"}, "a"),
        ({"PatientName": "M*ller*"}, "ab"),
        ({"PatientName": "M?ller^Hans"}, "a"),
        ({"00100010": "Mül*"}, "a"),  # a tag instead of a keyword
        ({"PatientName": ""}, "abc"),  # universal matching
        ({"PatientID": "P-?"}, "ab"),
        ({"StudyDate": "20240101-20240106"}, "a"),
        ({"StudyDate": "20240105-"}, "ab"),
        ({"StudyDate": "-20240104"}, "c"),
        ({"StudyTime": "0800-0930"}, "b"),
        ({"StudyDate": "20240105-20240107", "StudyTime": "1030-0930"}, "b"),  # one date-time range
        ({"AccessionNumber": "ACC-1*"}, "a"),
        ({"ReferringPhysicianName": "curie*"}, "a"),
        ({"StudyID": "S2"}, "b"),
        ({"ModalitiesInStudy": "PT"}, "abc"),
        ({"ModalitiesInStudy": "CT\\PT"}, "abc"),
        ({"ModalitiesInStudy": "CT"}, ""),
        ({"PatientName": "Mül*", "StudyDate": "20240107"}, ""),
    ],
)
def test_study_keys(stored: tuple[TestClient, Stored, Path], params: dict[str, str], expected: str) -> None:
    client, uids, _ = stored
    response = _studies(client, params)
    assert _uids(response, "0020000D") == {getattr(uids, name) for name in expected}
    assert "warning" not in response.headers


def test_study_uid_list(stored: tuple[TestClient, Stored, Path]) -> None:
    client, uids, _ = stored
    both = _studies(client, [("StudyInstanceUID", f"{uids.a},{uids.c}")])
    repeated = _studies(client, [("StudyInstanceUID", uids.a), ("StudyInstanceUID", uids.b)])
    assert (_uids(both, "0020000D"), _uids(repeated, "0020000D")) == ({uids.a, uids.c}, {uids.a, uids.b})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"a_series", "a_sibling"}),
        ({"SeriesNumber": "2"}, {"a_sibling"}),
        ({"SeriesDescription": "sib*"}, {"a_sibling"}),
        ({"PerformedProcedureStepStartDate": "20240105"}, {"a_series"}),
        ({"PerformedProcedureStepStartTime": "1016"}, {"a_series"}),
        ({"PerformedProcedureStepStartDate": "20240105", "PerformedProcedureStepStartTime": "1017-"}, set()),
        ({"PatientName": "müller*"}, {"a_series", "a_sibling"}),
        ({"PatientName": "Smith*"}, set()),
        ({"Modality": "PT"}, {"a_series", "a_sibling"}),
    ],
)
def test_series_keys(stored: tuple[TestClient, Stored, Path], params: dict[str, str], expected: set[str]) -> None:
    client, uids, _ = stored
    response = client.get(f"/dicomweb/studies/{uids.a}/series", params=params, headers=AUTH)
    assert _uids(response, "0020000E") == {getattr(uids, name) for name in expected}
    series_uid = client.get(
        f"/dicomweb/studies/{uids.a}/series", params={"SeriesInstanceUID": uids.a_sibling}, headers=AUTH
    )
    assert _uids(series_uid, "0020000E") == {uids.a_sibling}


@pytest.mark.parametrize(
    ("path", "params", "warning"),
    [
        ("", {"InstitutionName": "X"}, "not supported and were ignored: InstitutionName."),
        ("", {"00080080": "X"}, "not supported and were ignored: 00080080 (InstitutionName)."),
        ("", {"SeriesInstanceUID": "1.2"}, "not supported and were ignored: SeriesInstanceUID."),  # a series key
        ("/series", {"StudyDate": "20240105"}, "not supported and were ignored: StudyDate."),  # a study key
        (
            "/series",
            {"RequestAttributesSequence.ScheduledProcedureStepID": "7"},
            "not supported and were ignored: RequestAttributesSequence.ScheduledProcedureStepID.",
        ),
        ("", {"fuzzymatching": "true"}, "The fuzzymatching parameter is not supported. Only literal matching"),
        (
            "",
            {"includefield": "00081030,InstitutionName"},
            "includefield attributes are not available: InstitutionName.",
        ),
        ("", {"limit": "1"}, "There are 2 additional results that can be requested"),
    ],
)
def test_what_is_not_done_is_named_in_a_warning(
    stored: tuple[TestClient, Stored, Path], path: str, params: dict[str, str], warning: str
) -> None:
    client, uids, _ = stored
    url = f"/dicomweb/studies/{uids.a}/series" if path else "/dicomweb/studies"
    response = client.get(url, params=params, headers=AUTH)
    assert response.status_code == 200
    (header,) = response.headers.get_list("warning")
    assert header.startswith(SERVICE) and warning in header


def test_several_warnings_are_several_fields(stored: tuple[TestClient, Stored, Path]) -> None:
    client, _, _ = stored
    response = _studies(client, {"InstitutionName": "X", "fuzzymatching": "true", "limit": "2"})
    assert len(response.headers.get_list("warning")) == 3 and len(response.json()) == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("", {"StudyDate": "2024-01-05"}),
        ("", {"StudyTime": "10:15"}),
        ("", [("PatientName", "A*"), ("PatientName", "B*")]),
        ("", [("StudyDate", "20240105"), ("StudyTime", "10"), ("StudyTime", "11")]),
        ("", {"fuzzymatching": "yes"}),
        ("/series", {"SeriesNumber": "two"}),
    ],
)
def test_malformed_keys_are_400(
    stored: tuple[TestClient, Stored, Path], path: str, params: dict[str, str] | list[tuple[str, str]]
) -> None:
    client, uids, _ = stored
    url = f"/dicomweb/studies/{uids.a}/series" if path else "/dicomweb/studies"
    response = client.get(url, params=params, headers=AUTH)
    assert response.status_code == 400 and response.json()["check"] == "query_parameter"


def _keywords(result: dict[str, Any]) -> set[str]:
    return {keyword_for_tag(int(tag, 16)) for tag in result}


def test_results_hold_the_declared_attributes(stored: tuple[TestClient, Stored, Path]) -> None:
    client, uids, _ = stored
    (study,) = _studies(client, {"StudyInstanceUID": uids.a}).json()
    (series,) = client.get(f"/dicomweb/studies/{uids.a}/series", params={"SeriesNumber": "1"}, headers=AUTH).json()
    assert (_keywords(study), _keywords(series)) == (STUDY_RESULT, SERIES_RESULT)
    assert study["00080090"]["Value"] == [{"Alphabetic": "Curie^Marie"}]
    assert (series["00400244"]["Value"], series["00400245"]["Value"]) == (["20240105"], ["101600"])


def test_an_index_written_before_the_new_keys_still_loads(stored: tuple[TestClient, Stored, Path]) -> None:
    """Index files of an older petiq lack ReferringPhysicianName and the Performed Procedure Step start."""
    client, uids, storage = stored
    (path,) = (Layout(storage).study(uids.c) / "series").glob("*/index.json")
    document = json.loads(path.read_text())
    del document["study"]["referring_physician_name"]
    for key in ("performed_procedure_step_start_date", "performed_procedure_step_start_time"):
        del document["series"][key]
    path.write_text(json.dumps(document))
    assert _uids(_studies(client, {"PatientName": "smith*"}), "0020000D") == {uids.c}
    assert _uids(_studies(client, {"ReferringPhysicianName": "*"}), "0020000D") == {uids.a, uids.b, uids.c}
