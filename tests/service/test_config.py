"""Settings: environment variables, the comma-separated keys, validation, the default split pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import core.settings as config_module
from core.settings import DEFAULT_SPLIT_PATTERN, Settings
from core.strength import Strength


def test_defaults_work_on_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PETIQ_API_KEYS", "PETIQ_STORAGE_DIR", "PETIQ_ALLOW_ANONYMOUS", "PETIQ_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.storage_dir == Path("./petiq-data")
    assert settings.api_keys == frozenset()
    assert settings.allow_anonymous is False
    assert settings.base_url is None
    assert settings.split_description_pattern == DEFAULT_SPLIT_PATTERN


def test_environment_with_comma_separated_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PETIQ_API_KEYS", " alpha, beta ,,gamma ")
    monkeypatch.setenv("PETIQ_STORAGE_DIR", str(tmp_path))
    monkeypatch.setenv("PETIQ_MAX_REQUEST_BYTES", "1234")
    monkeypatch.setenv("PETIQ_BASE_URL", "https://gw.example/petiq/")
    settings = Settings()
    assert {key.get_secret_value() for key in settings.api_keys} == {"alpha", "beta", "gamma"}
    assert settings.storage_dir == tmp_path
    assert settings.max_request_bytes == 1234
    assert settings.base_url == "https://gw.example/petiq"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("split_description_pattern", "split (", "regular expression"),
        ("base_url", "gw.example", "absolute"),
        ("max_request_bytes", 0, "greater than 0"),
        ("max_instances_per_series", -1, "greater than 0"),
    ],
)
def test_invalid_values_are_refused_naming_the_setting(field: str, value: object, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as caught:
        Settings.model_validate({field: value})
    assert field in str(caught.value)


@pytest.mark.parametrize(
    "description",
    ["split A", "Split B", "PET AC split A/B", "half A", "HALF-COUNT 2", "sim osem 100% split a r0", "wb_split_b"],
)
def test_default_pattern_matches_split_descriptions(description: str) -> None:
    assert Settings().split_regex.search(description) is not None


@pytest.mark.parametrize("description", ["PET AC", "splitting", "half body", "A split", "WB 3D MAC", "split C"])
def test_default_pattern_leaves_other_descriptions(description: str) -> None:
    assert Settings().split_regex.search(description) is None


def test_get_settings_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    config_module.get_settings.cache_clear()
    monkeypatch.setenv("PETIQ_API_KEYS", "one")
    first = config_module.get_settings()
    monkeypatch.setenv("PETIQ_API_KEYS", "two")
    assert config_module.get_settings() is first
    config_module.get_settings.cache_clear()


def test_config_does_not_import_fastapi() -> None:
    source = Path(config_module.__file__).read_text()
    assert not re.search(r"^\s*(from|import) (fastapi|starlette)", source, flags=re.MULTILINE)


def test_job_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_BROKER_URL", " redis://127.0.0.1:6379/0 ")
    monkeypatch.setenv("PETIQ_DEFAULT_ADAPT", "single")
    monkeypatch.setenv("PETIQ_DEFAULT_SCORE", "false")
    monkeypatch.setenv("PETIQ_DENOISER_WEIGHTS", "/opt/weights")
    settings = Settings()
    assert settings.broker_url is not None and settings.broker_url.get_secret_value() == "redis://127.0.0.1:6379/0"
    assert (settings.default_adapt, settings.default_score) == ("single", False)
    assert str(settings.denoiser_weights) == "/opt/weights"
    monkeypatch.setenv("PETIQ_BROKER_URL", "")
    assert Settings().broker_url is None  # empty: embedded mode


def test_bad_job_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="job_soft_time_limit_s"):
        Settings(job_soft_time_limit_s=100.0, job_time_limit_s=50.0)
    with pytest.raises(ValidationError):
        Settings(default_adapt="sometimes")  # type: ignore[arg-type]


def test_a_blank_base_url_is_unset() -> None:
    from core.settings import Settings

    assert Settings(base_url="  ").base_url is None


def test_ensemble_and_liveness_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETIQ_DENOISE_ENSEMBLE", "4")  # docker-compose sets it: it must parse from text
    monkeypatch.setenv("PETIQ_JOB_HEARTBEAT_S", "0.5")
    monkeypatch.setenv("PETIQ_JOB_STALL_AFTER_S", "3")
    settings = Settings()
    assert (settings.denoise_ensemble, settings.job_heartbeat_s, settings.job_stall_after_s) == (4, 0.5, 3.0)
    monkeypatch.setenv("PETIQ_DENOISE_ENSEMBLE", "3")
    with pytest.raises(ValidationError, match="denoise_ensemble"):
        Settings()


def test_default_strength_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PETIQ_DEFAULT_STRENGTH", raising=False)
    assert Settings().default_strength is Strength.MEDIUM
    monkeypatch.setenv("PETIQ_DEFAULT_STRENGTH", "low")
    assert Settings().default_strength is Strength.LOW
    monkeypatch.setenv("PETIQ_DEFAULT_STRENGTH", "extreme")
    with pytest.raises(ValidationError, match="default_strength"):
        Settings()


def test_a_stall_bound_within_one_heartbeat_is_refused() -> None:
    with pytest.raises(ValidationError, match="job_stall_after_s"):
        Settings(job_heartbeat_s=10.0, job_stall_after_s=10.0)
    assert Settings().job_stall_after_s <= 300.0  # a lost worker is noticed in minutes by default
