"""AE titles, ``AET@host:port`` destinations and the DIMSE allow-list as settings give them."""

from __future__ import annotations

import pytest

from core.ae import AllowRule, DimseDestination, allows, check_ae_title, parse_allow_list, parse_destination
from core.settings import Settings


@pytest.mark.parametrize("value", ["", "   ", "A" * 17, "BAD\\AE", "TAB\tAE"])
def test_ae_title_refused(value: str) -> None:
    with pytest.raises(ValueError, match="'dimse_ae_title' should be an AE title"):
        check_ae_title(value=value, name="dimse_ae_title")


def test_ae_title_stripped() -> None:
    assert check_ae_title(value=" PETIQ  ", name="x") == "PETIQ"


def test_destination_round_trip() -> None:
    parsed = parse_destination(value="ORTHANC@127.0.0.1:4242", name="forward_dimse")
    assert parsed == DimseDestination(ae_title="ORTHANC", host="127.0.0.1", port=4242)
    assert str(parsed) == "ORTHANC@127.0.0.1:4242"
    v6 = parse_destination(value="PACS@[::1]:104", name="forward_dimse")
    assert (v6.host, str(v6)) == ("::1", "PACS@[::1]:104")


@pytest.mark.parametrize("value", ["ORTHANC@127.0.0.1", "127.0.0.1:4242", "@h:104", "P@h:0", "P@h:70000", "P@a b:1"])
def test_destination_refused(value: str) -> None:
    with pytest.raises(ValueError, match="'forward_dimse'"):
        parse_destination(value=value, name="forward_dimse")


def test_allow_list() -> None:
    rules = parse_allow_list(value="SCANNER, *@10.0.0.9 ,, MOD@10.0.0.2", name="dimse_allowed")
    assert rules == (
        AllowRule(ae_title="SCANNER", host=None),
        AllowRule(ae_title=None, host="10.0.0.9"),
        AllowRule(ae_title="MOD", host="10.0.0.2"),
    )
    assert allows(rules=rules, ae_title="SCANNER ", host="192.168.1.1")
    assert allows(rules=rules, ae_title="ANY", host="10.0.0.9")
    assert allows(rules=rules, ae_title="MOD", host="10.0.0.2")
    assert not allows(rules=rules, ae_title="MOD", host="10.0.0.3")
    assert not allows(rules=rules, ae_title="OTHER", host="127.0.0.1")
    assert allows(rules=(), ae_title="OTHER", host="127.0.0.1")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_DIMSE_PORT", "11112")
    monkeypatch.setenv("PETIQ_DIMSE_ALLOWED", "SCANNER,*@127.0.0.1")
    monkeypatch.setenv("PETIQ_FORWARD_DIMSE", "ORTHANC@127.0.0.1:4242")
    settings = Settings()
    assert settings.dimse_port == 11112
    assert settings.dimse_ae_title == "PETIQ"
    assert [str(rule) for rule in settings.dimse_allowed] == ["SCANNER", "*@127.0.0.1"]
    assert str(settings.forward_dimse) == "ORTHANC@127.0.0.1:4242"


def test_blank_settings_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_DIMSE_PORT", "")
    monkeypatch.setenv("PETIQ_FORWARD_DIMSE", " ")
    settings = Settings()
    assert settings.dimse_port is None
    assert settings.forward_dimse is None
