"""``petiq serve`` and ``petiq worker`` argument handling (the servers themselves: tests/workers/test_serve_e2e)."""

from __future__ import annotations

import pytest

from cli.main import main
from cli.serve_cmd import auth_notice


def test_auth_notice_tells_how_to_configure_keys() -> None:
    notice = auth_notice(api_keys=frozenset(), allow_anonymous=False)
    assert notice is not None and "PETIQ_API_KEYS" in notice and "401" in notice
    assert auth_notice(api_keys=frozenset({"k"}), allow_anonymous=False) is None
    anonymous = auth_notice(api_keys=frozenset(), allow_anonymous=True)
    assert anonymous is not None and "let through" in anonymous


def test_worker_without_a_broker_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from service.core.config import get_settings

    monkeypatch.delenv("PETIQ_BROKER_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["worker"]) == 2
    finally:
        get_settings.cache_clear()
    assert "PETIQ_BROKER_URL" in capsys.readouterr().err


def test_worker_with_an_unknown_queue_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.core.config import get_settings

    monkeypatch.setenv("PETIQ_BROKER_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    try:
        assert main(["worker", "--queues", "gpu,cpu"]) == 2
    finally:
        get_settings.cache_clear()
    assert "Argument 'queues' should name some of ['gpu', 'deliver']" in capsys.readouterr().err
