"""The HTTP-level summary of a STOW-RS request: its status code and its Warning header values."""

from __future__ import annotations

from core.storage.outcomes import StoreReport

__all__ = ["stow_status", "warning_values"]

_MAX_WARNINGS = 20


def stow_status(report: StoreReport) -> int:
    """200 when every part is stored, 202 when some are (PS3.18 Table 10.5.3-1); when none is, 507 if the storage
    volume was full or read-only for any of them (send again later: :mod:`core.storage.status`), else 409."""
    stored = report.n_stored
    if stored == len(report.outcomes):
        return 200
    if stored:
        return 202
    return 507 if report.storage_faults else 409


def _warn_text(text: str) -> str:
    """``text`` as an RFC 7234 warn-text: printable ASCII, double quotes turned single, nothing escaped."""
    printable = (char if " " <= char <= "~" else "?" for char in text.replace('"', "'"))
    return "".join(char if char != "\\" else "/" for char in printable)


def warning_values(*, report: StoreReport) -> list[str]:
    """``Warning: 299 petiq "<uid>: <why>"`` values (PS3.18 uses code 299), one per failed part, the first 20."""
    failed = [outcome for outcome in report.outcomes if not outcome.stored][:_MAX_WARNINGS]
    texts = [_warn_text(f"{outcome.sop_instance_uid or 'unreadable part'}: {outcome.message}") for outcome in failed]
    return [f'299 petiq "{text}"' for text in texts]
