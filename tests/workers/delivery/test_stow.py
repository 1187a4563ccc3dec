"""The STOW-RS client against a scripted destination (httpx MockTransport): success, bounded requests, the
Authorization header, transient and permanent failures, partial failures."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.workers.delivery.fake_pacs import Answer, FakePacs, failed_sop_body
from workers.delivery import stow
from workers.delivery.errors import DeliveryError, DestinationUnavailableError
from workers.delivery.stow import batches, multipart_body, read_answer, stow_files

BASE = "http://pacs.test/dicom-web/"
STUDY = "1.2.826.0.1.3680043.8.498.1"


def _files(folder: Path, sizes: list[int]) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for index, size in enumerate(sizes):
        path = folder / f"{index:04d}.dcm"
        path.write_bytes(bytes([index % 251]) * size)
        paths.append(path)
    return paths


def _send(pacs: FakePacs, files: list[Path], *, auth: str | None = None, max_bytes: int = 10_000) -> int:
    with httpx.Client(transport=pacs.transport()) as client:
        return stow_files(
            client=client,
            base_url=BASE,
            authorization=auth,
            study_uid=STUDY,
            files=files,
            max_request_bytes=max_bytes,
        )


def test_all_stored_in_one_request_with_the_study_path_and_media_types(tmp_path: Path) -> None:
    files = _files(tmp_path, [100, 200, 300])
    pacs = FakePacs()
    assert _send(pacs, files) == 3
    (request,) = pacs.received
    assert request.path == f"/dicom-web/studies/{STUDY}"
    assert request.headers["content-type"].startswith('multipart/related; type="application/dicom"; boundary=')
    assert request.headers["accept"] == "application/dicom+json"
    assert "authorization" not in request.headers
    assert request.parts == [path.read_bytes() for path in files]


def test_authorization_header_is_sent(tmp_path: Path) -> None:
    pacs = FakePacs()
    _send(pacs, _files(tmp_path, [10]), auth="Basic cGFjczpwYWNz")
    assert pacs.received[0].headers["authorization"] == "Basic cGFjczpwYWNz"


def test_large_series_go_in_bounded_requests_in_order(tmp_path: Path) -> None:
    files = _files(tmp_path, [400, 400, 400, 900, 100])
    pacs = FakePacs()
    assert _send(pacs, files, max_bytes=1000) == 5
    assert [len(request.parts) for request in pacs.received] == [2, 1, 2]
    assert [part for request in pacs.received for part in request.parts] == [path.read_bytes() for path in files]
    assert batches(sizes=[400, 400, 400, 900, 100], max_bytes=1000) == [[0, 1], [2], [3, 4]]
    assert batches(sizes=[5000, 10], max_bytes=1000) == [[0], [1]]  # too big for any request: alone
    assert batches(sizes=[], max_bytes=1) == []
    with pytest.raises(ValueError, match="Argument 'max_bytes'"):
        batches(sizes=[1], max_bytes=0)


def test_server_errors_are_transient_with_retry_after(tmp_path: Path) -> None:
    pacs = FakePacs(script=[Answer(503, None, {"Retry-After": "7"})])
    with pytest.raises(DestinationUnavailableError, match="HTTP 503") as caught:
        _send(pacs, _files(tmp_path, [10]))
    assert caught.value.retry_after_s == 7.0
    assert _send(pacs, _files(tmp_path, [10])) == 1  # the next attempt succeeds


@pytest.mark.parametrize("status", [408, 429, 500, 502])
def test_transient_statuses(tmp_path: Path, status: int) -> None:
    with pytest.raises(DestinationUnavailableError, match=f"HTTP {status}"):
        _send(FakePacs(script=[Answer(status)]), _files(tmp_path, [10]))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 415])
def test_other_client_errors_fail_at_once(tmp_path: Path, status: int) -> None:
    with pytest.raises(DeliveryError, match=f"refused the request: HTTP {status}") as caught:
        _send(FakePacs(script=[Answer(status, {"detail": "nope"})]), _files(tmp_path, [10]))
    assert not isinstance(caught.value, DestinationUnavailableError)
    assert "nope" in caught.value.message


def test_partial_failure_names_what_was_stored_and_why(tmp_path: Path) -> None:
    files = _files(tmp_path, [600, 600, 600])
    pacs = FakePacs(script=[Answer(200), Answer(202, failed_sop_body("1.2.3.4", reason=0xA700))])
    with pytest.raises(DeliveryError) as caught:
        _send(pacs, files, max_bytes=1000)
    assert caught.value.instances_stored == 1  # the first request's one instance; the second failed; no third
    assert caught.value.message == (
        "The destination stored 0 of 1 instances (HTTP 202); first: FailureReason 0xA700 for 1.2.3.4 "
        "(request 2 of 3; 1 of 3 instances stored in all)"
    )
    assert len(pacs.received) == 2


def test_conflict_means_nothing_stored(tmp_path: Path) -> None:
    pacs = FakePacs(script=[Answer(409, failed_sop_body("1.2.3.4", "1.2.3.5"))])
    with pytest.raises(DeliveryError, match=r"stored 0 of 2 instances \(HTTP 409\)"):
        _send(pacs, _files(tmp_path, [10, 10]))


def test_warnings_only_202_and_plain_200_count_as_stored() -> None:
    request = httpx.Request("POST", BASE)
    assert read_answer(response=httpx.Response(202, json={"00081199": {"vr": "SQ"}}, request=request), sent=3) == 3
    assert read_answer(response=httpx.Response(200, content=b"", request=request), sent=2) == 2
    failed = httpx.Response(200, json=failed_sop_body("9.9"), request=request)
    with pytest.raises(DeliveryError, match="stored 1 of 2"):
        read_answer(response=failed, sent=2)


def test_no_connection_is_transient(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(DestinationUnavailableError, match=r"cannot be reached: .*Connection refused"),
    ):
        stow_files(
            client=client,
            base_url=BASE,
            authorization=None,
            study_uid=STUDY,
            files=_files(tmp_path, [10]),
            max_request_bytes=100,
        )


def test_multipart_body_refuses_a_boundary_inside_a_part() -> None:
    body = multipart_body(parts=[b"abc", b"def"], boundary="xyz")
    assert body == (
        b"--xyz\r\nContent-Type: application/dicom\r\n\r\nabc\r\n"
        b"--xyz\r\nContent-Type: application/dicom\r\n\r\ndef\r\n--xyz--\r\n"
    )
    with pytest.raises(ValueError, match="Argument 'boundary'"):
        multipart_body(parts=[b"..xyz.."], boundary="xyz")


def test_all_is_exported() -> None:
    assert sorted(stow.__all__) == ["batches", "multipart_body", "read_answer", "stow_files", "without_authorization"]


@pytest.mark.parametrize(("status", "auth"), [(500, "Bearer tok-1234567"), (401, "Basic cGFjczpwYWNz")])
def test_an_echoed_authorization_value_is_redacted_from_the_error(tmp_path: Path, status: int, auth: str) -> None:
    credentials = auth.partition(" ")[2]
    echo = Answer(status, {"detail": f"bad header Authorization: {auth}; token {credentials}"})
    with pytest.raises(DeliveryError) as caught:
        _send(FakePacs(script=[echo]), _files(tmp_path, [10]), auth=auth)
    shown = f"{caught.value.message} {caught.value!r} {caught.value}"
    assert credentials not in shown and f"HTTP {status}" in shown
    assert "Authorization: REDACTED; token REDACTED" in caught.value.message
