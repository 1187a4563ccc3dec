"""Bytes an association may send, counted as the P-DATA-TF PDUs arrive (before they are decoded into messages).

Two bounds, checked at each PDU:

- ``max_request_bytes`` for the whole association (the bound of one STOW-RS request body: an association is
  treated as one request), counting every presentation data value fragment, commands and data sets alike;
- :data:`MAX_INSTANCE_BYTES` for the data set of one message: more than petiq could ever store (an image within
  :mod:`imaging.dicom.limits`, encapsulated at the worst allowed ratio, plus its header slack). pynetdicom keeps
  the data set of the message being received in memory until it is complete, so this bounds the memory an
  association holds (about ``dimse_max_associations`` × 144 MiB at worst).

Once a bound is passed the SCP aborts the association (:mod:`service.dimse.handlers`): refusing every further
C-STORE with 0xA700 instead would still have to receive, and hold, everything the sender goes on sending, while an
A-ABORT stops it at once. The instance being received when the bound is passed is never stored (its C-STORE is
refused if it completes before the abort); instances stored before stay stored, each a complete commit, and the
association's report is handed to the hooks as for any aborted association.

pynetdicom reads a whole PDU before it is counted; the PDUs a sender may send are bounded by the maximum PDU
length the SCP announces (``maximum_pdu_size``), not enforced on receipt by pynetdicom.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynetdicom.pdu import P_DATA_TF

from imaging.dicom.limits import ENCAPSULATED_FACTOR, HEADER_SLACK_BYTES, MAX_PIXEL_BYTES

__all__ = ["MAX_INSTANCE_BYTES", "ByteBudget"]

MAX_INSTANCE_BYTES = ENCAPSULATED_FACTOR * MAX_PIXEL_BYTES + 2 * HEADER_SLACK_BYTES
"""Largest data set of one C-STORE received, bytes (module docstring): 144 MiB."""

_COMMAND = 0x01  # message control header bit 0: the fragment is (part of) a command set


@dataclass
class ByteBudget:
    """The bytes one association received so far against its bounds; fed by the DUL thread only.

    Attributes:
        max_bytes: ``max_request_bytes``, the association's bound.
        max_instance_bytes: the bound of one message's data set.
        received: fragment bytes received so far (commands and data sets).
        message: data set bytes of the message being received.
    """

    max_bytes: int
    max_instance_bytes: int = MAX_INSTANCE_BYTES
    received: int = 0
    message: int = 0

    def add(self, pdu: object) -> str | None:
        """Count a received PDU (anything but a P-DATA-TF counts nothing); the name of the bound now passed
        (``max_request_bytes`` or ``max_instance_bytes``), or None while within both."""
        if not isinstance(pdu, P_DATA_TF):
            return None
        for item in pdu.presentation_data_value_items:
            data = item.presentation_data_value or b""
            if not data:
                continue
            size = len(data) - 1  # the first byte is the message control header
            self.received += size
            if data[0] & _COMMAND:
                self.message = 0  # a new message starts with its command set
            else:
                self.message += size
        if self.received > self.max_bytes:
            return "max_request_bytes"
        if self.message > self.max_instance_bytes:
            return "max_instance_bytes"
        return None
