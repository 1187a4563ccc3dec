"""The C-STORE SCU against a pynetdicom storage SCP on loopback: every answer recorded, warnings stored, a
failure status stops at once, rejections and unreachable destinations classified, transfer syntax fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.uid import (
    UID,
    Comprehensive3DSRStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    PositronEmissionTomographyImageStorage,
)
from pynetdicom import AE
from pynetdicom.presentation import build_context

from core.ae import DimseDestination
from tests.workers.delivery.dicom_output import write_output
from tests.workers.delivery.fake_scp import FakeScp, Reply, storage_contexts, storage_scp
from tests.workers.processes import free_port
from workers.delivery import association, cstore, dimse_files, statuses, tally, targets
from workers.delivery.cstore import cstore_files
from workers.delivery.dimse_files import StoredFile, presentation_contexts, read_stored
from workers.delivery.errors import DeliveryError, DestinationUnavailableError
from workers.delivery.run import output_files
from workers.delivery.tally import Tally

CALLING = "PETIQ-TEST"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    write_output(tmp_path)
    return output_files(output=tmp_path)


def _send(destination: DimseDestination, files: list[Path], *, timeout_s: float = 5.0) -> Tally:
    return cstore_files(destination=destination, calling_ae_title=CALLING, files=files, timeout_s=timeout_s)


def test_every_instance_is_stored_and_its_status_recorded(files: list[Path]) -> None:
    scp = FakeScp(script={2: Reply(0xB000, comment="PatientName coerced")})
    with storage_scp(scp) as destination:
        answers = cstore_files(destination=destination, calling_ae_title=CALLING, files=files, timeout_s=5.0)
    uids = [read_stored(path=path).sop_instance_uid for path in files]
    assert [item.sop_instance_uid for item in scp.received] == uids
    assert [item.sop_class_uid for item in scp.received] == [PositronEmissionTomographyImageStorage] * 3 + [
        Comprehensive3DSRStorage
    ]
    assert {item.transfer_syntax for item in scp.received} == {ExplicitVRLittleEndian}  # as stored
    assert {item.calling_ae_title for item in scp.received} == {CALLING}
    assert (answers.stored, dict(answers.statuses), answers.failed) == (4, {"0x0000": 3, "0xB000": 1}, [])
    (warning,) = answers.warnings
    assert (warning.sop_instance_uid, warning.status, warning.meaning, warning.comment) == (
        uids[1],
        "0xB000",
        "Coercion of Data Elements",
        "PatientName coerced",
    )


def test_a_failure_status_stops_at_once_with_the_reason(files: list[Path]) -> None:
    scp = FakeScp(script={2: Reply(0xA700, comment="disk full")})
    with storage_scp(scp) as destination, pytest.raises(DeliveryError) as caught:
        _send(destination, files)
    error = caught.value
    assert not isinstance(error, DestinationUnavailableError)
    second = read_stored(path=files[1]).sop_instance_uid
    assert len(scp.received) == 2 and error.instances_stored == 1 and error.check == "cstore_status"
    for part in ("0xA700", "Refused: Out of Resources", "disk full", second, str(destination)):
        assert part in error.message
    assert error.tally is not None and dict(error.tally.statuses) == {"0x0000": 1, "0xA700": 1}
    assert [(item.sop_instance_uid, item.status) for item in error.tally.failed] == [(second, "0xA700")]


def test_implicit_vr_only_destination_gets_the_files_converted(files: list[Path]) -> None:
    scp = FakeScp()
    with storage_scp(scp, contexts=storage_contexts(syntaxes=(ImplicitVRLittleEndian,))) as destination:
        assert _send(destination, files).stored == 4
    assert {item.transfer_syntax for item in scp.received} == {ImplicitVRLittleEndian}


def test_a_sop_class_the_destination_refuses_sends_nothing(files: list[Path]) -> None:
    scp = FakeScp()
    pet_only = [build_context(PositronEmissionTomographyImageStorage)]
    with storage_scp(scp, contexts=pet_only) as destination, pytest.raises(DeliveryError) as caught:
        _send(destination, files)
    assert not isinstance(caught.value, DestinationUnavailableError) and scp.received == []
    assert caught.value.check == "presentation_context" and "Comprehensive 3D SR Storage" in caught.value.message


def test_a_permanent_rejection_is_not_retried(files: list[Path]) -> None:
    scp = FakeScp()
    with storage_scp(scp, require_called_aet=True) as destination, pytest.raises(DeliveryError) as caught:
        _send(DimseDestination(ae_title="NOT-THE-PACS", host=destination.host, port=destination.port), files)
    assert not isinstance(caught.value, DestinationUnavailableError) and scp.received == []
    assert "Rejected Permanent" in caught.value.message and "Called AE title not recognised" in caught.value.message


def test_a_transient_rejection_is_retried(files: list[Path]) -> None:
    with storage_scp(FakeScp(), maximum_associations=1) as destination:
        holder = AE(ae_title="HOLDER")
        holder.add_requested_context(PositronEmissionTomographyImageStorage)
        held = holder.associate(destination.host, destination.port, ae_title=destination.ae_title)
        assert held.is_established
        try:
            with pytest.raises(DestinationUnavailableError, match=r"Rejected Transient.*Local limit exceeded"):
                _send(destination, files)
        finally:
            held.release()


# pynetdicom 3.0.4 leaves the socket of a failed connection to the garbage collector (pydicom/pynetdicom#979)
UNCLOSED_SOCKET = "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"


@pytest.mark.filterwarnings(UNCLOSED_SOCKET)
def test_nothing_listening_is_transient(files: list[Path]) -> None:
    destination = DimseDestination(ae_title="PACS", host="127.0.0.1", port=free_port())
    with pytest.raises(DestinationUnavailableError, match="cannot be reached") as caught:
        _send(destination, files, timeout_s=2.0)
    assert caught.value.instances_stored == 0 and caught.value.check == "connection"


def test_no_answer_within_the_timeout_is_transient(files: list[Path]) -> None:
    scp = FakeScp(script={2: Reply(delay_s=1.5)})
    with storage_scp(scp) as destination, pytest.raises(DestinationUnavailableError) as caught:
        _send(destination, files, timeout_s=0.5)
    assert caught.value.instances_stored == 1 and "no valid answer" in caught.value.message


def _stored(syntax: UID, sop_class: UID = PositronEmissionTomographyImageStorage) -> StoredFile:
    return StoredFile(path=Path("x.dcm"), sop_class_uid=sop_class, sop_instance_uid="1.2.3", transfer_syntax=syntax)


def test_contexts_offer_each_sop_class_as_stored_with_fallbacks() -> None:
    files = [
        _stored(ImplicitVRLittleEndian),
        _stored(JPEG2000Lossless),
        _stored(ExplicitVRLittleEndian, Comprehensive3DSRStorage),
    ]
    contexts = [(context.abstract_syntax, context.transfer_syntax) for context in presentation_contexts(files=files)]
    assert contexts == [
        (PositronEmissionTomographyImageStorage, [ImplicitVRLittleEndian, ExplicitVRLittleEndian]),
        (PositronEmissionTomographyImageStorage, [JPEG2000Lossless]),
        (Comprehensive3DSRStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]),
    ]


def test_a_file_that_is_not_dicom_is_refused_before_connecting(tmp_path: Path) -> None:
    path = tmp_path / "0000.dcm"
    path.write_bytes(b"not dicom")
    with pytest.raises(DeliveryError, match=r"0000\.dcm is not a DICOM Part 10 file") as caught:
        _send(DimseDestination(ae_title="PACS", host="127.0.0.1", port=free_port()), [path])
    assert not isinstance(caught.value, DestinationUnavailableError)


def test_public_names() -> None:
    assert cstore.__all__ == ["cstore_files"]
    assert association.__all__ == ["associated", "refusal"]
    assert dimse_files.__all__ == ["MAX_CONTEXTS", "StoredFile", "presentation_contexts", "read_stored"]
    assert statuses.__all__ == ["instance_status", "status_hex", "stored", "succeeded"]
    assert tally.__all__ == ["MAX_WARNINGS_KEPT", "Tally"]
    assert targets.__all__ == ["Target", "previous_result", "send_to", "targets_of"]
    for module in (association, cstore, dimse_files, statuses, tally, targets):
        assert all(hasattr(module, name) for name in module.__all__)
