"""Secrets never printed: the settings' repr and dumps, the access log's query, the STOW-RS hook's failure line,
broker error texts (readiness, start-up recovery) and an unexpected error's traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from core.jobs.models import JobPublic, JobTimings, utc_now
from core.jobs.recovery import requeue_unfinished
from core.jobs.starter import JobStarter
from core.jobs.store import JobStore
from core.logs import (
    ACCESS_LOGGER,
    ERROR_LOGGER,
    AccessLogFilter,
    UrlCredentialsFilter,
    callable_name,
    mask_url_credentials,
    redact_query,
    safe_error,
    safe_traceback,
)
from core.settings import Settings
from core.storage.outcomes import StoreReport
from service.background import IncompleteSweeper
from service.main import create_app
from service.readiness import check_broker
from tests.service.conftest import TestClient
from tests.service.helpers import API_KEY, pet_datasets
from tests.service.job_helpers import RecordingQueue, stow

KEY = "key-5f0c2a9d7e"
REPORT_SECRET = "report-8b1e44c0"
FORWARD_AUTH = "Bearer fwd-71d93aa2"
PASSWORD = "pw-c4e6b1"
BROKER = f"redis://:{PASSWORD}@127.0.0.1:6379/0"
SECRETS = (KEY, API_KEY, REPORT_SECRET, FORWARD_AUTH.removeprefix("Bearer "), PASSWORD)


def _secret_settings(storage: Path) -> Settings:
    return Settings(
        storage_dir=storage,
        api_keys=frozenset({SecretStr(KEY), SecretStr(API_KEY)}),  # API_KEY: the one ``stow`` sends
        broker_url=SecretStr(BROKER),
        forward_url="http://127.0.0.1:9/dicom-web",
        forward_auth=SecretStr(FORWARD_AUTH),
        report_secret=SecretStr(REPORT_SECRET),
    )


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_settings_never_show_a_secret(tmp_path: Path) -> None:
    settings = _secret_settings(tmp_path)
    shown = [repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json()]
    shown.append(str(settings.model_dump(mode="json")))
    assert [_leaks(text) for text in shown] == [[]] * len(shown)
    assert settings.broker_url is not None and settings.broker_url.get_secret_value() == BROKER


def test_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_API_KEYS", f" {KEY} ,other")
    monkeypatch.setenv("PETIQ_BROKER_URL", f" {BROKER} ")
    settings = Settings()
    assert {key.get_secret_value() for key in settings.api_keys} == {KEY, "other"}
    assert settings.broker_url is not None and settings.broker_url.get_secret_value() == BROKER
    assert not _leaks(repr(settings))
    monkeypatch.setenv("PETIQ_BROKER_URL", " ")
    assert Settings().broker_url is None


def test_a_refused_setting_does_not_echo_its_input() -> None:
    with pytest.raises(ValidationError, match="forward_url") as caught:
        Settings(forward_url=f"https://pacs:{PASSWORD}@pacs.example/dicom-web")
    assert PASSWORD not in str(caught.value)


def test_hooks_and_sweepers_keep_the_settings_out_of_their_repr(tmp_path: Path) -> None:
    settings = _secret_settings(tmp_path)
    for holder in (JobStarter(settings=settings, queue=RecordingQueue()), IncompleteSweeper(settings=settings)):
        assert "settings" not in repr(holder) and str(tmp_path) not in repr(holder)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (
            "/v1/jobs/j/report?expires=17&signature=ab12cd",
            "/v1/jobs/j/report?expires=17&signature=REDACTED",
        ),
        (
            "/x?API_KEY=k1&apikey=k2&Key=k3&page=2&token=t&Access_Token=a&password=p&secret=s&keys=ok",
            "/x?API_KEY=REDACTED&apikey=REDACTED&Key=REDACTED&page=2&token=REDACTED&Access_Token=REDACTED"
            "&password=REDACTED&secret=REDACTED&keys=ok",
        ),
        ("/x?sig%6Eature=ab12&a=1", "/x?sig%6Eature=REDACTED&a=1"),
        ("/dicomweb/studies?PatientName=M*", "/dicomweb/studies?PatientName=M*"),
    ],
)
def test_secret_query_values_are_redacted(path: str, shown: str) -> None:
    assert redact_query(path) == shown


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _lines(name: str) -> Iterator[list[str]]:
    """The formatted records of logger ``name`` (uvicorn may have set its loggers not to propagate)."""
    logger, handler = logging.getLogger(name), _Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_gateway_redacts_its_access_log(settings: Settings) -> None:
    for _ in range(2):  # a second app adds no second filter
        create_app(settings=settings)
        assert sum(isinstance(found, AccessLogFilter) for found in logging.getLogger(ACCESS_LOGGER).filters) == 1
    with _lines(ACCESS_LOGGER) as lines:  # uvicorn's own call: client, method, path with query, version, status
        path = "/v1/jobs/j/report?expires=17&signature=ab12cd&api_key=k1"
        logging.getLogger(ACCESS_LOGGER).info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 200)
    assert lines == [
        '127.0.0.1:5 - "GET /v1/jobs/j/report?expires=17&signature=REDACTED&api_key=REDACTED HTTP/1.1" 200'
    ]


def test_uvicorn_error_log_masks_url_credentials(settings: Settings) -> None:
    create_app(settings=settings)
    assert sum(isinstance(found, UrlCredentialsFilter) for found in logging.getLogger(ERROR_LOGGER).filters) == 1
    with _lines(ERROR_LOGGER) as lines:  # uvicorn's line after an unexpected 500 (the app logged it already)
        try:
            raise ConnectionError(f"Cannot connect to {BROKER}")
        except ConnectionError as error:
            logging.getLogger(ERROR_LOGGER).error("Exception in ASGI application", exc_info=error)
        logging.getLogger(ERROR_LOGGER).warning("lost %s", BROKER)
    assert PASSWORD not in "\n".join(lines) and len(lines) == 2
    assert "ConnectionError: Cannot connect to redis://:**@127.0.0.1:6379/0" in lines[0]
    assert lines[1] == "lost redis://:**@127.0.0.1:6379/0"


def test_url_credentials_are_masked_in_error_texts() -> None:
    text = f"Cannot connect to {BROKER}: refused; also amqp://guest:{PASSWORD}@mq// and redis://{PASSWORD}@h/1"
    masked = mask_url_credentials(text)
    assert PASSWORD not in masked
    assert "redis://:**@127.0.0.1:6379/0" in masked and "amqp://guest:**@mq//" in masked and "redis://**@h/1" in masked
    assert mask_url_credentials("http://host:8042/dicom-web") == "http://host:8042/dicom-web"
    assert safe_error(ConnectionError(text)).startswith("ConnectionError: Cannot connect to redis://:**@")
    try:
        try:
            raise OSError(f"lost {BROKER}")
        except OSError as cause:
            raise RuntimeError("enqueue failed") from cause
    except RuntimeError as error:
        shown = safe_traceback(error)
    assert "OSError: lost redis://:**@127.0.0.1" in shown and "RuntimeError: enqueue failed" in shown
    assert PASSWORD not in shown


class _BrokerDown(RecordingQueue):
    def enqueue(self, *, job_id: str) -> None:
        raise ConnectionError(f"Cannot connect to {BROKER}: Connection refused.")

    def ping(self) -> None:
        raise ConnectionError(f"Cannot connect to {BROKER}: Connection refused.")


def test_broker_errors_are_reported_without_the_password(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    check = check_broker(queue=_BrokerDown())
    assert not check.ok and "redis://:**@127.0.0.1:6379/0" in check.detail and PASSWORD not in check.detail
    store = JobStore(tmp_path)
    job_id = "00000001-0000-5000-8000-000000000000"
    store.create(JobPublic(id=job_id, study_uid="1.2.3", series_uid="1.2.3.4", timings=JobTimings(created=utc_now())))
    with caplog.at_level(logging.DEBUG):
        assert requeue_unfinished(store=store, queue=_BrokerDown()) == []
    assert "message was not sent" in caplog.text and PASSWORD not in caplog.text
    reason = store.get(job_id).enqueue_error
    assert reason is not None and "redis://:**@127.0.0.1:6379/0" in reason and PASSWORD not in reason


@dataclass(frozen=True)
class _FailingHook:
    """A hook holding the settings with the default dataclass repr (as ``JobStarter`` had)."""

    settings: Settings

    def __call__(self, report: StoreReport) -> None:
        raise ConnectionError(f"Cannot connect to {BROKER}")


def test_a_failing_stow_hook_is_logged_by_name_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _secret_settings(tmp_path / "storage")
    with TestClient(create_app(settings=settings, job_queue=_BrokerDown())) as client:
        client.app.state.on_series_stored.append(_FailingHook(settings))  # type: ignore[attr-defined]
        with caplog.at_level(logging.DEBUG):
            assert stow(client, pet_datasets(seed=91, n_slices=2)).status_code == 200
    logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert f"on_series_stored hook {callable_name(_FailingHook(settings))} failed" in logged
    assert "ConnectionError: Cannot connect to redis://:**@127.0.0.1:6379/0" in logged
    assert _leaks(logged) == []


def test_all_is_exported() -> None:
    import core.logs

    assert all(hasattr(core.logs, name) for name in core.logs.__all__)
    assert {"AccessLogFilter", "UrlCredentialsFilter", "install_log_filters", "safe_error"} <= set(core.logs.__all__)
