"""The presentation contexts the storage SCP accepts: Verification, and every Storage SOP Class in the transfer
syntaxes petiq stores.

Every Storage SOP Class pynetdicom knows is accepted, not PET Image Storage alone: a PET/CT scanner sends a whole
study in one association, and a rejected CT context could end that association before the PET images are sent.
A non-PET instance is then refused by the store path, per instance, with 0x0122 (SOP Class not supported), as
STOW-RS refuses it. The transfer syntaxes are those the store path keeps
(:data:`~core.storage.instances.STORABLE_TRANSFER_SYNTAXES`, compressed ones only while a decoder is installed),
Implicit VR Little Endian first (the default every SCU offers); a context proposed only in another syntax is
rejected at the association, the DICOM way of saying "send it another way" (a sender then converts or fails).
"""

from __future__ import annotations

from pydicom.uid import UID, ImplicitVRLittleEndian
from pynetdicom import AllStoragePresentationContexts, VerificationPresentationContexts, build_context
from pynetdicom.presentation import PresentationContext

from core.storage.instances import STORABLE_TRANSFER_SYNTAXES
from imaging.dicom.checks import is_decodable

__all__ = ["scp_contexts", "transfer_syntaxes"]


def transfer_syntaxes() -> list[UID]:
    """The transfer syntaxes accepted (module docstring), Implicit VR Little Endian first, then by UID."""
    decodable = sorted(str(syntax) for syntax in STORABLE_TRANSFER_SYNTAXES if is_decodable(syntax=syntax))
    return [ImplicitVRLittleEndian, *(UID(syntax) for syntax in decodable if syntax != ImplicitVRLittleEndian)]


def scp_contexts() -> list[PresentationContext]:
    """Verification (pynetdicom's default transfer syntaxes) and every Storage SOP Class in
    :func:`transfer_syntaxes`."""
    syntaxes: list[str | UID] = list(transfer_syntaxes())
    storage = [build_context(str(context.abstract_syntax), syntaxes) for context in AllStoragePresentationContexts]
    return [*VerificationPresentationContexts, *storage]
