"""Storage faults: an error whose cause is a storage volume that is full or read-only, told from other failures.

A write fails for lack of room with ENOSPC (no space left) or EDQUOT (quota exceeded), check ``storage_space``;
on a volume that takes no writes at all with EROFS (mounted read-only, e.g. remounted so after I/O errors) or
EACCES (permission denied on the volume), check ``storage_read_only``. :func:`storage_fault` finds such an
:class:`OSError` in an error's chain (``__cause__``, ``__context__``: petiq wraps OSErrors in ``OutputError``) and
returns the :class:`~core.errors.InsufficientStorageError` it stands for, with a message that names no path.
Any other OSError (EIO, a lost NFS server) is no storage fault: it stays a transient error, worth a retry.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from core.errors import InsufficientStorageError

__all__ = [
    "FULL_ERRNOS",
    "READ_ONLY",
    "READ_ONLY_ERRNOS",
    "SPACE",
    "describe",
    "is_storage_fault",
    "os_error_in",
    "storage_fault",
]

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""The volume is full: no space left on device, disk quota exceeded."""
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES})
"""The volume takes no writes: read-only file system, permission denied."""
SPACE = "storage_space"
"""The check of a full volume."""
READ_ONLY = "storage_read_only"
"""The check of a read-only volume."""
_MAX_CHAIN = 16


def describe(check: str | None) -> str:
    """What the storage fault of ``check`` (:data:`SPACE`, :data:`READ_ONLY`) means, as a clause."""
    return "the storage volume is full" if check == SPACE else "the storage volume is read-only or not writable"


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then its causes and contexts, each once (a chain may loop)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def os_error_in(error: BaseException) -> OSError | None:
    """The first :class:`OSError` with an errno in ``error``'s chain; None when there is none."""
    return next((link for link in _chain(error) if isinstance(link, OSError) and link.errno is not None), None)


def storage_fault(error: BaseException, *, action: str) -> InsufficientStorageError | None:
    """The :class:`InsufficientStorageError` that ``error`` stands for, its message starting with ``action``
    (e.g. ``"The instance was not stored"``); None when ``error`` is no storage fault (module docstring)."""
    for link in _chain(error):
        if isinstance(link, InsufficientStorageError):
            return link
    found = os_error_in(error)
    if found is None or found.errno not in FULL_ERRNOS | READ_ONLY_ERRNOS:
        return None
    reason = found.strerror or errno.errorcode.get(found.errno or 0, "error")
    check = SPACE if found.errno in FULL_ERRNOS else READ_ONLY
    return InsufficientStorageError(f"{action}: {describe(check)} ({reason}).", check=check)


def is_storage_fault(error: BaseException) -> bool:
    """Whether ``error`` stands for a full or read-only storage volume (module docstring)."""
    return storage_fault(error, action="Writing failed") is not None
