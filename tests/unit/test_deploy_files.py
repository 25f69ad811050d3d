"""docker-compose.yml and the Dockerfile describe the production shape."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_has_web_worker_postgres_redis_built_from_the_dockerfile():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"web", "worker", "postgres", "redis", "migrate"} <= set(services)
    for name in ("web", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["QINGDAN_DATABASE_URL"].startswith("postgresql://")
        assert env["QINGDAN_REDIS_URL"].startswith("redis://")
        assert services[name]["build"] == "."
    assert services["worker"]["command"][:2] == ["qingdan", "worker"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "python:3.11" in dockerfile and "plugins/jinchang" in dockerfile


def _compose_command():
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    result = subprocess.run(
        [*command, "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"QINGDAN_SECRET_KEY": "check-only"},
    )
    assert result.returncode == 0, result.stderr
