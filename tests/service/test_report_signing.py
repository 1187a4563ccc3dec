"""Signed report links (pure): the secret, the signature binding job and expiry, and every way a link is refused."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.errors import UnauthorizedError
from service.report.signing import check_link, link_secret, link_signature, report_path

JOB = "00000000-0000-0000-0000-00000000000a"
OTHER = "00000000-0000-0000-0000-00000000000b"
SECRET = b"s3cret"
EXPIRES = 2_000_000_000


def test_the_secret_is_explicit_or_derived_from_the_keys() -> None:
    keys = frozenset({SecretStr("k1"), SecretStr("k2")})
    derived = link_secret(explicit=None, api_keys=keys)
    assert derived is not None and len(derived) == 32
    assert derived == link_secret(explicit=None, api_keys=frozenset({SecretStr("k2"), SecretStr("k1")}))
    assert derived not in (link_secret(explicit=None, api_keys=frozenset({SecretStr("k1")})), b"k1", b"k2")
    assert link_secret(explicit=SecretStr("chosen"), api_keys=keys) == b"chosen"
    assert link_secret(explicit=None, api_keys=frozenset()) is None


def test_the_path_carries_expiry_and_signature() -> None:
    path = report_path(secret=SECRET, job_id=JOB, expires=EXPIRES)
    signature = link_signature(secret=SECRET, job_id=JOB, expires=EXPIRES)
    assert path == f"/v1/jobs/{JOB}/report?expires={EXPIRES}&signature={signature}"
    assert len(signature) == 64 and int(signature, 16) >= 0


def test_a_valid_link_passes_until_it_expires() -> None:
    signature = link_signature(secret=SECRET, job_id=JOB, expires=EXPIRES)
    check_link(secret=SECRET, job_id=JOB, expires=EXPIRES, signature=signature, now=EXPIRES - 1)
    check_link(secret=SECRET, job_id=JOB, expires=EXPIRES, signature=signature.upper(), now=EXPIRES - 1)
    with pytest.raises(UnauthorizedError, match="expired") as caught:
        check_link(secret=SECRET, job_id=JOB, expires=EXPIRES, signature=signature, now=EXPIRES)
    assert caught.value.check == "report_link_expired"


@pytest.mark.parametrize(
    ("secret", "job_id", "expires", "tamper"),
    [
        (b"other secret", JOB, EXPIRES, False),
        (SECRET, OTHER, EXPIRES, False),
        (SECRET, JOB, EXPIRES + 3600, False),
        (SECRET, JOB, EXPIRES, True),
    ],
    ids=["other-secret", "other-job", "later-expiry", "tampered-signature"],
)
def test_a_changed_link_is_refused(secret: bytes, job_id: str, expires: int, tamper: bool) -> None:
    signature = link_signature(secret=SECRET, job_id=JOB, expires=EXPIRES)
    if tamper:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    with pytest.raises(UnauthorizedError, match="signature is not valid") as caught:
        check_link(secret=secret, job_id=job_id, expires=expires, signature=signature, now=EXPIRES - 10)
    assert caught.value.check == "report_link"


@pytest.mark.parametrize("signature", ["", "zz" * 32, "ab", "é" * 64])
def test_a_malformed_signature_is_refused(signature: str) -> None:
    with pytest.raises(UnauthorizedError, match="signature is not valid"):
        check_link(secret=SECRET, job_id=JOB, expires=EXPIRES, signature=signature, now=0)


def test_missing_parts_or_secret_are_refused() -> None:
    signature = link_signature(secret=SECRET, job_id=JOB, expires=EXPIRES)
    with pytest.raises(UnauthorizedError, match="both 'expires' and 'signature'"):
        check_link(secret=SECRET, job_id=JOB, expires=None, signature=signature, now=0)
    with pytest.raises(UnauthorizedError, match="both 'expires' and 'signature'"):
        check_link(secret=SECRET, job_id=JOB, expires=EXPIRES, signature=None, now=0)
    with pytest.raises(UnauthorizedError, match="disabled"):
        check_link(secret=None, job_id=JOB, expires=EXPIRES, signature=signature, now=0)
