"""The deployment files: ``docker compose config`` (the real Compose v2 CLI; no Docker engine is needed to render
a project) validates and renders docker-compose.yml, and the rendered project has what ops rely on: Redis with
append-only persistence, healthchecks, start order on Redis being healthy, one GPU reserved per worker, one
storage volume shared at one path, settings from the environment. The Dockerfiles are checked as text (building
them needs an engine): non-root, the gateway without torch, the worker with the ``gpu`` extra."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-compose")
KEYS = "key-one,key-two"


def _is_compose_v2(command: list[str]) -> bool:
    try:
        done = subprocess.run([*command, "version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return done.returncode == 0 and "version v2" in done.stdout


@functools.cache
def _compose() -> list[str]:
    """``docker compose`` when the docker CLI has the plugin, else the plugin binary run on its own."""
    docker = shutil.which("docker")
    candidates = [[docker, "compose"]] if docker else []
    candidates += [[str(COMPOSE_PLUGIN)], *([[found]] if (found := shutil.which("docker-compose")) else [])]
    for command in candidates:
        if _is_compose_v2(command):
            return command
    pytest.skip("no Docker Compose v2 CLI (.ci/run installs the docker compose plugin)")


def _config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty.env"  # a developer's .env must not change what is checked
    empty.write_text("")
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    command = [*_compose(), "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml")]
    command += ["--env-file", str(empty), "config", "--format", "json"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env={**base, **env})


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Any]:
    done = _config(tmp_path, PETIQ_API_KEYS=KEYS)
    assert done.returncode == 0, done.stderr
    rendered: dict[str, Any] = json.loads(done.stdout)
    return rendered


def test_redis_persists_append_only_and_is_checked(project: dict[str, Any]) -> None:
    redis = project["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert {(volume["source"], volume["target"]) for volume in redis["volumes"]} == {("redis-data", "/data")}
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_gateway_and_worker_start_once_redis_is_healthy(project: dict[str, Any]) -> None:
    services = project["services"]
    assert set(services) == {"redis", "gateway", "worker", "deliver"}
    for name in ("gateway", "worker"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["healthcheck"]["test"][0] == "CMD"
        assert services[name]["environment"]["PETIQ_BROKER_URL"] == "redis://redis:6379/0"
        assert services[name]["build"]["dockerfile"] == f"docker/Dockerfile.{name}"
    assert "/healthz" in " ".join(services["gateway"]["healthcheck"]["test"])
    assert [port["target"] for port in services["gateway"]["ports"]] == [8000, 11112]  # HTTP, DICOM (DIMSE)


def test_the_gpu_worker_and_the_delivery_worker_take_separate_queues(project: dict[str, Any]) -> None:
    worker, deliver = project["services"]["worker"], project["services"]["deliver"]
    assert worker["command"][worker["command"].index("--queues") + 1] == "gpu"
    assert deliver["command"][deliver["command"].index("--queues") + 1] == "deliver"
    assert "deploy" not in deliver and deliver["image"] == worker["image"]  # no GPU; the worker image has torch
    assert deliver["depends_on"]["redis"]["condition"] == "service_healthy"
    assert {(v["source"], v["target"]) for v in deliver["volumes"]} == {("storage", "/data")}
    assert "PETIQ_FORWARD_AUTH" in deliver["environment"] and "PETIQ_FORWARD_AUTH" not in worker["environment"]


def test_one_gpu_per_worker_and_one_shared_storage(project: dict[str, Any]) -> None:
    services = project["services"]
    (device,) = services["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert (device["driver"], device["count"], device["capabilities"]) == ("nvidia", 1, ["gpu"])
    mounts = {
        name: {(volume["source"], volume["target"]) for volume in services[name]["volumes"]}
        for name in ("gateway", "worker")
    }
    assert mounts["gateway"] == mounts["worker"] == {("storage", "/data")}
    assert {services[name]["environment"]["PETIQ_STORAGE_DIR"] for name in mounts} == {"/data"}
    assert set(project["volumes"]) == {"storage", "redis-data"}


def test_keys_come_from_the_environment_and_only_the_gateway_gets_them(project: dict[str, Any], tmp_path: Path) -> None:
    assert project["services"]["gateway"]["environment"]["PETIQ_API_KEYS"] == KEYS
    assert "PETIQ_API_KEYS" not in project["services"]["worker"]["environment"]
    missing = _config(tmp_path)
    assert missing.returncode != 0 and "PETIQ_API_KEYS" in missing.stderr


def _instructions(path: Path) -> list[str]:
    lines = path.read_text().replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_images_run_as_a_user_and_only_the_worker_has_torch() -> None:
    gateway, worker = (_instructions(ROOT / "docker" / f"Dockerfile.{name}") for name in ("gateway", "worker"))
    for lines in (gateway, worker):
        users = [line for line in lines if line.startswith("USER ")]
        assert users and users[-1] != "USER root"
        assert any(line.startswith("HEALTHCHECK ") for line in lines) and lines[-1].startswith("CMD ")
    assert gateway[0].startswith("FROM python:3.11-slim")
    assert not any("[gpu]" in line or "[ml]" in line or "torch" in line for line in gateway)
    assert any("pip install '.[gpu]'" in line for line in worker)
    assert any(line.startswith("ARG CUDA_IMAGE=nvidia/cuda:12.") for line in worker)


def test_every_service_environment_is_valid_settings(project: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("gateway", "worker", "deliver"):
        for key in [key for key in os.environ if key.startswith("PETIQ_")]:
            monkeypatch.delenv(key)
        for key, value in project["services"][name]["environment"].items():
            monkeypatch.setenv(key, value)
        Settings()  # raises when a value does not parse (PETIQ_DENOISE_ENSEMBLE did not) or limits disagree


def test_the_gateway_publishes_its_dicom_port_and_everyone_knows_the_pacs(project: dict[str, Any]) -> None:
    gateway = project["services"]["gateway"]
    assert gateway["environment"]["PETIQ_DIMSE_PORT"] == "11112"
    published = {(port["target"], str(port["published"])) for port in gateway["ports"]}
    assert (11112, "11112") in published and (8000, "8000") in published
    for name in ("gateway", "worker", "deliver"):
        environment = project["services"][name]["environment"]
        assert environment["PETIQ_DIMSE_AE_TITLE"] == "PETIQ" and "PETIQ_FORWARD_DIMSE" in environment
    assert "PETIQ_DIMSE_PORT" not in project["services"]["worker"]["environment"]
