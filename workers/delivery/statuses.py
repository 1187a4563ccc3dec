"""C-STORE response statuses (PS3.4 B.2.3, PS3.7 C) as petiq reads them, with pynetdicom's table of meanings.

Success (0x0000) and every warning (0xB000 coercion of data elements, 0xB006 element discarded, 0xB007 data set
does not match SOP class, …) mean the instance is stored; a failure (0xA7xx out of resources, 0xA9xx data set
does not match SOP class, 0xCxxx cannot understand, 0x0122 SOP class not supported, …) or a status that is no
C-STORE answer at all (pending, cancel, unknown) means it is not.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pynetdicom.status import STATUS_SUCCESS, STATUS_WARNING, STORAGE_SERVICE_CLASS_STATUS, code_to_category

from core.jobs.models import InstanceStatus

__all__ = ["instance_status", "status_hex", "stored", "succeeded"]


def status_hex(code: int) -> str:
    """``code`` as the manifest shows it, e.g. ``0xB007``."""
    return f"0x{code:04X}"


def stored(code: int) -> bool:
    """Whether the destination stored the instance it answered ``code`` for (success or warning)."""
    return code_to_category(code) in (STATUS_SUCCESS, STATUS_WARNING)


def succeeded(code: int) -> bool:
    """Whether ``code`` is plain success."""
    return code_to_category(code) == STATUS_SUCCESS


def _meaning(code: int) -> str:
    category = code_to_category(code)
    described = STORAGE_SERVICE_CLASS_STATUS.get(code, (category, ""))[1]
    return described or ("Success" if category == STATUS_SUCCESS else f"{category} (not a C-STORE status)")


def instance_status(*, answer: Dataset, sop_instance_uid: str) -> InstanceStatus:
    """The C-STORE response ``answer`` (holding a Status) for ``sop_instance_uid``: its status, meaning and the
    destination's Error Comment (0000,0902), if any."""
    code = int(answer.Status)
    comment = str(answer.get("ErrorComment", "") or "").strip() or None
    return InstanceStatus(
        sop_instance_uid=sop_instance_uid, status=status_hex(code), meaning=_meaning(code), comment=comment
    )
