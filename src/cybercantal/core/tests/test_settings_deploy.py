"""Settings come from the environment, and production settings pass ``check --deploy``.

Each case runs in a subprocess: settings are read once, at import, from the environment of
the process, and the test process has its own (test) settings already loaded.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
# Variables the settings read; none of the test process's values may leak into a case.
SETTINGS_VARIABLES = (
    "ALLOWED_HOSTS",
    "AWS_STORAGE_BUCKET_NAME",
    "CSRF_TRUSTED_ORIGINS",
    "CYBERCANTAL_HTTPS",
    "CYBERCANTAL_TESTING",
    "CYBERCANTAL_VAR_DIR",
    "DATABASE_REPLICA_URL",
    "DATABASE_URL",
    "DEBUG",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_USER",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "REDIS_URL",
    "SECRET_KEY",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "TASKS_BACKEND",
)


def clean_env(var_dir: Path, **values: str) -> dict[str, str]:
    """The current environment without any setting, with ``values`` and a private var/ dir."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env["CYBERCANTAL_VAR_DIR"] = str(var_dir)
    env.update(values)
    return env


def production_env(var_dir: Path, **values: str) -> dict[str, str]:
    production = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CYBERCANTAL_HTTPS": "true",
        "ALLOWED_HOSTS": "cybercantal.example.org",
    }
    return clean_env(var_dir, **{**production, **values})


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


CHECK_DEPLOY = """
import django
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
"""

READ_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "db_engine": db["ENGINE"], "db_name": str(db["NAME"]), "db_host": db.get("HOST", ""),
    "db_port": str(db.get("PORT", "")), "db_user": db.get("USER", ""),
    "email_backend": settings.EMAIL_BACKEND, "email_host": settings.EMAIL_HOST,
    "email_port": settings.EMAIL_PORT, "email_user": settings.EMAIL_HOST_USER,
    "email_password": settings.EMAIL_HOST_PASSWORD, "email_tls": settings.EMAIL_USE_TLS,
    "default_from": settings.DEFAULT_FROM_EMAIL,
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "session_engine": settings.SESSION_ENGINE,
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


def read_settings(env: dict[str, str]) -> dict:
    result = run_python(READ_SETTINGS, {**env, "DJANGO_SETTINGS_MODULE": "cybercantal.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="cybercantal.settings")
    result = run_python(CHECK_DEPLOY, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_production_runs_with_debug(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="cybercantal.settings", DEBUG="true")
    result = run_python(CHECK_DEPLOY, env)
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_missing_secret_key_in_production_refuses_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="cybercantal.settings")
    del env["SECRET_KEY"]
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY doit être défini" in result.stderr


def test_defaults_are_safe_for_a_laptop(tmp_path: Path) -> None:
    values = read_settings(clean_env(tmp_path))

    assert values["debug"] is False
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert Path(values["db_name"]) == tmp_path / "cybercantal.sqlite3"
    assert values["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert values["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"
    # Without SECRET_KEY, a random key is kept in var/ so that sessions survive a restart.
    kept = (tmp_path / "secret_key").read_text().strip()
    assert values["secret_key"] == kept
    assert len(kept) >= 50
    assert read_settings(clean_env(tmp_path))["secret_key"] == kept


def test_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    values = read_settings(
        production_env(
            tmp_path,
            SECRET_KEY="k" * 60,
            ALLOWED_HOSTS="cybercantal.example.org, www.cybercantal.example.org",
            DATABASE_URL="postgres://app:motdepasse@db.example.org:5433/cybercantal_prod",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="smtp.example.org",
            EMAIL_PORT="587",
            EMAIL_HOST_USER="plateforme",
            EMAIL_HOST_PASSWORD="secret-smtp",
            EMAIL_USE_TLS="true",
            DEFAULT_FROM_EMAIL="CyberCantal <contact@example.org>",
            REDIS_URL="redis://127.0.0.1:6379/3",
        )
    )

    assert values["debug"] is False
    assert values["secret_key"] == "k" * 60
    assert values["allowed_hosts"] == ["cybercantal.example.org", "www.cybercantal.example.org"]
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert (values["db_name"], values["db_host"], values["db_port"], values["db_user"]) == (
        "cybercantal_prod",
        "db.example.org",
        "5433",
        "app",
    )
    assert values["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["email_host"], values["email_port"], values["email_user"]) == ("smtp.example.org", 587, "plateforme")
    assert values["email_password"] == "secret-smtp"
    assert values["email_tls"] is True
    assert values["default_from"] == "CyberCantal <contact@example.org>"
    assert values["cache_backend"] == "django_redis.cache.RedisCache"
    assert values["session_engine"] == "django.contrib.sessions.backends.cache"
    assert values["ssl_redirect"] is True
    assert values["session_cookie_secure"] is True


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("oui", True), ("false", False), ("0", False), ("", False)]
)
def test_boolean_variables_read_common_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    from cybercantal.settings import env_bool

    monkeypatch.setenv("CYBERCANTAL_SOME_FLAG", raw)
    assert env_bool("CYBERCANTAL_SOME_FLAG") is expected
