"""The report-link settings: PETIQ_REPORT_SECRET (secret, blank means unset) and PETIQ_REPORT_LINK_TTL_S (bounded),
and what they make of the signing key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings
from service.api.routes.report import signing_secret


def test_the_secret_is_read_from_the_environment_and_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_REPORT_SECRET", "site-secret")
    monkeypatch.setenv("PETIQ_REPORT_LINK_TTL_S", "3600")
    settings = Settings(api_keys=frozenset({"k"}))
    assert settings.report_secret is not None and settings.report_secret.get_secret_value() == "site-secret"
    assert "site-secret" not in repr(settings)
    assert settings.report_link_ttl_s == 3600
    assert signing_secret(settings) == b"site-secret"


def test_a_blank_secret_falls_back_to_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_REPORT_SECRET", "  ")
    keyed, other = Settings(api_keys=frozenset({"k"})), Settings(api_keys=frozenset({"j"}))
    assert keyed.report_secret is None
    assert signing_secret(keyed) not in (None, signing_secret(other))
    assert signing_secret(Settings(api_keys=frozenset(), allow_anonymous=True)) is None


@pytest.mark.parametrize("ttl", [0, 59, 30 * 86_400 + 1])
def test_the_link_lifetime_is_bounded(ttl: int) -> None:
    with pytest.raises(ValidationError, match="report_link_ttl_s"):
        Settings(report_link_ttl_s=ttl)
