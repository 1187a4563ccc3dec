"""``petiq serve`` and ``petiq worker`` argument handling (the servers themselves: tests/workers/test_serve_e2e)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from cli.main import main
from cli.serve_cmd import auth_notice
from workers.embedded import DELIVERY_THREADS


def test_auth_notice_tells_how_to_configure_keys() -> None:
    notice = auth_notice(api_keys=frozenset(), allow_anonymous=False)
    assert notice is not None and "PETIQ_API_KEYS" in notice and "401" in notice
    assert auth_notice(api_keys=frozenset({"k"}), allow_anonymous=False) is None
    anonymous = auth_notice(api_keys=frozenset(), allow_anonymous=True)
    assert anonymous is not None and "let through" in anonymous


def test_worker_without_a_broker_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import get_settings

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
    from core.settings import get_settings

    monkeypatch.setenv("PETIQ_BROKER_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    try:
        assert main(["worker", "--queues", "gpu,cpu"]) == 2
    finally:
        get_settings.cache_clear()
    assert "Argument 'queues' should name some of ['gpu', 'deliver']" in capsys.readouterr().err


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A broker URL in the environment (nothing listens there: the tests start no worker)."""
    from core.settings import get_settings

    monkeypatch.setenv("PETIQ_BROKER_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("broker")
def test_worker_by_default_supervises_a_job_process_and_a_delivery_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.supervisor

    supervised: list[list[list[str]]] = []
    monkeypatch.setattr(workers.supervisor, "supervise", lambda *, commands: supervised.append(commands) or 0)
    assert main(["worker", "--hostname", "petiq@%h", "--loglevel", "WARNING"]) == 0
    (commands,) = supervised
    assert [command[:3] for command in commands] == [[sys.executable, "-m", "cli.main"]] * 2
    assert [command[3:] for command in commands] == [
        ["worker", "--queues", "gpu", "--loglevel", "WARNING", "--hostname", "petiq@%h"],
        ["worker", "--queues", "deliver", "--loglevel", "WARNING", "--hostname", "petiq-deliver@%h"],
    ]


@pytest.mark.usefixtures("broker")
def test_worker_on_one_queue_is_that_celery_worker_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.celery_app
    import workers.supervisor

    started: list[list[str]] = []

    class App:
        def worker_main(self, *, argv: list[str]) -> None:
            started.append(argv)

    monkeypatch.setattr(workers.celery_app, "make_celery", lambda *, settings: App())
    monkeypatch.setattr(workers.supervisor, "supervise", lambda *, commands: pytest.fail("nothing to supervise"))
    assert main(["worker", "--queues", "deliver", "--hostname", "deliver@%h"]) == 0
    assert main(["worker", "--queues", "gpu"]) == 0
    assert [argv[1:4] for argv in started] == [
        ["--queues=deliver", f"--concurrency={DELIVERY_THREADS}", "--pool=threads"],
        ["--queues=gpu", "--concurrency=1", "--pool=prefork"],
    ]
    assert "--hostname=deliver@%h" in started[0]
