"""The ways in: the health endpoint, the console command, ``make``'s promises and the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .test_settings_deploy import REPO, clean_env


@pytest.mark.django_db
def test_health_endpoint_answers_json_without_signing_in(client) -> None:
    response = client.get("/sante/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_endpoint_says_503_when_the_database_fails(client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("base arrêtée")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/sante/")

    assert response.status_code == 503
    assert response.json()["database"] == "indisponible"


def test_python_m_cybercantal_runs_django_commands(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cybercantal", "check"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_console_script_is_installed_with_the_package(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "cybercantal"
    assert script.exists(), "pip install -e . installe la commande « cybercantal »"
    result = subprocess.run(  # noqa: S603 - the project's own console script
        [str(script), "help", "serve"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout


def make_dry_run(*args: str) -> list[str]:
    result = subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", "-n", *args],  # noqa: S607 - make is a prerequisite
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def position(lines: list[str], pattern: str) -> int:
    found = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"« {pattern} » absent de :\n" + "\n".join(lines)
    return found[0]


def test_make_run_prepares_everything_then_serves_on_the_given_port() -> None:
    lines = make_dry_run("run", "PORT=8123", "HOST=127.0.0.2")

    steps = [
        r"cybercantal migrate --noinput",
        r"cybercantal territory_import",
        r"cybercantal load_demo",
        r"cybercantal collectstatic --noinput",
        r"cybercantal serve --host 127\.0\.0\.2 --port 8123",
    ]
    assert [position(lines, step) for step in steps] == sorted(position(lines, step) for step in steps)


def test_make_test_lints_checks_and_runs_both_databases() -> None:
    lines = make_dry_run("test")

    for pattern in (
        r"ruff check",
        r"ruff format --check",
        r"djlint --lint",
        r"mypy .*services\.py",
        r"makemigrations --check --dry-run",
        r"check --deploy --fail-level WARNING",
        r"pytest -n 2",
        r"postgres_ready\.py",
    ):
        position(lines, pattern)


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:15]
    assert any(line.strip() == "make run" for line in head)
    assert any(line.strip() == "make test" for line in head)
