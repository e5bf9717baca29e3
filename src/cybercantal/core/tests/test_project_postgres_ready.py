"""``.ci/postgres_ready.py``: how ``make test`` decides to run (or skip) the PostgreSQL suite."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import connections
from psycopg import sql

from .test_settings_deploy import REPO

SCRIPT = REPO / ".ci" / "postgres_ready.py"
UNREACHABLE = 3


def run_script(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(SCRIPT), url], capture_output=True, text=True, timeout=60, check=False
    )


def test_unreachable_server_is_reported_not_crashed() -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    result = run_script("postgres://postgres@127.0.0.1:1/cybercantal")

    assert result.returncode == UNREACHABLE, result.stderr
    assert "PostgreSQL injoignable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_missing_database_is_created() -> None:
    settings = connections["default"].settings_dict
    name = f"cc_ready_{uuid.uuid4().hex[:10]}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    url = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    try:
        first = run_script(url)
        second = run_script(url)
    finally:
        with psycopg.connect(
            dbname="postgres",
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            autocommit=True,
        ) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    assert first.returncode == 0, first.stderr
    assert f"« {name} » créée" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "créée" not in second.stdout
