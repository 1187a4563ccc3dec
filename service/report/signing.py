"""Signed, expiring report links: ``/v1/jobs/{id}/report?expires=<unix s>&signature=<hex HMAC-SHA256>``.

The signature is HMAC-SHA256, keyed by the link secret, of ``"GET /v1/jobs/{id}/report\\n{expires}"``: it binds the
job and the expiry, so neither can be changed. The secret is ``PETIQ_REPORT_SECRET`` when set, else derived from
the API keys (HMAC-SHA256 of a fixed label keyed by the sorted keys): every gateway sharing the keys accepts the
links of the others, and changing the keys revokes every link. With neither, no link is valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from pydantic import SecretStr

from core.errors import UnauthorizedError

__all__ = ["check_link", "link_secret", "link_signature", "report_path"]

_LABEL = b"petiq report link secret v1"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def link_secret(*, explicit: SecretStr | None, api_keys: frozenset[SecretStr]) -> bytes | None:
    """The key that signs report links: ``explicit`` (PETIQ_REPORT_SECRET), else one derived from ``api_keys``;
    None when there is neither (then no link is valid)."""
    if explicit is not None and explicit.get_secret_value():
        return explicit.get_secret_value().encode()
    if not api_keys:
        return None
    material = "\n".join(sorted(key.get_secret_value() for key in api_keys)).encode()
    return hmac.new(material, _LABEL, hashlib.sha256).digest()


def link_signature(*, secret: bytes, job_id: str, expires: int) -> str:
    """The hex HMAC-SHA256 of the report of ``job_id`` valid until ``expires`` (Unix seconds)."""
    message = f"GET /v1/jobs/{job_id}/report\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def report_path(*, secret: bytes, job_id: str, expires: int) -> str:
    """The signed path (with its query) of the report of ``job_id`` valid until ``expires`` (Unix seconds)."""
    signature = link_signature(secret=secret, job_id=job_id, expires=expires)
    return f"/v1/jobs/{job_id}/report?expires={expires}&signature={signature}"


def check_link(*, secret: bytes | None, job_id: str, expires: int | None, signature: str | None, now: float) -> None:
    """Return when ``signature`` signs the report of ``job_id`` until ``expires`` and ``now`` (Unix s) is before
    it; UnauthorizedError (401, check ``report_link``, or ``report_link_expired``) otherwise. Constant-time."""
    if secret is None:
        raise UnauthorizedError(
            "Report links are disabled: set PETIQ_API_KEYS or PETIQ_REPORT_SECRET.", check="report_link"
        )
    if expires is None or signature is None:
        raise UnauthorizedError(
            "A report link needs both 'expires' and 'signature', or send 'Authorization: Bearer <key>'.",
            check="report_link",
        )
    expected = link_signature(secret=secret, job_id=job_id, expires=expires)
    supplied = signature.lower() if _HEX_SHA256.match(signature.lower()) else "0" * 64
    if not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise UnauthorizedError("The report link's signature is not valid.", check="report_link")
    if now >= expires:
        raise UnauthorizedError("The report link has expired: ask for a new one.", check="report_link_expired")
