"""The kiosks' and mediation's settings are read from the environment, with their defaults.

Each case runs in a subprocess: settings are read once, at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cybercantal.core.tests.test_settings_deploy import clean_env

NAMES = (
    "KIOSK_HEARTBEAT_TOKEN_RATE",
    "KIOSK_HEARTBEAT_REFUSAL_RATE",
    "KIOSK_HEARTBEAT_IP_RATE",
    "KIOSKS_TRAINING_REFRESHER_MONTHS",
    "KIOSKS_AGENT_POLL_SECONDS",
    "MEDIATION_BENEFICIARY_RETENTION_MONTHS",
)
READ = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
)


def read(tmp_path: Path, **values: str) -> dict:
    env = clean_env(tmp_path, DJANGO_SETTINGS_MODULE="cybercantal.settings", **values)
    for name in NAMES:
        if name not in values:
            env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", READ], env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults(tmp_path):
    assert read(tmp_path) == {
        "KIOSK_HEARTBEAT_TOKEN_RATE": "10/m",
        "KIOSK_HEARTBEAT_REFUSAL_RATE": "10/m",
        "KIOSK_HEARTBEAT_IP_RATE": "600/m",
        "KIOSKS_TRAINING_REFRESHER_MONTHS": 24,
        "KIOSKS_AGENT_POLL_SECONDS": 20,
        "MEDIATION_BENEFICIARY_RETENTION_MONTHS": 24,
    }


def test_read_from_the_environment(tmp_path):
    assert read(
        tmp_path,
        KIOSK_HEARTBEAT_TOKEN_RATE="5/m",
        KIOSK_HEARTBEAT_REFUSAL_RATE="3/m",
        KIOSK_HEARTBEAT_IP_RATE="1200/m",
        KIOSKS_TRAINING_REFRESHER_MONTHS="12",
        KIOSKS_AGENT_POLL_SECONDS="30",
        MEDIATION_BENEFICIARY_RETENTION_MONTHS="36",
    ) == {
        "KIOSK_HEARTBEAT_TOKEN_RATE": "5/m",
        "KIOSK_HEARTBEAT_REFUSAL_RATE": "3/m",
        "KIOSK_HEARTBEAT_IP_RATE": "1200/m",
        "KIOSKS_TRAINING_REFRESHER_MONTHS": 12,
        "KIOSKS_AGENT_POLL_SECONDS": 30,
        "MEDIATION_BENEFICIARY_RETENTION_MONTHS": 36,
    }
