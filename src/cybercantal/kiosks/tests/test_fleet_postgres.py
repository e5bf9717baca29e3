"""PostgreSQL: parallel heartbeats of one kiosk in one minute, parallel token issues."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.core.testing import run_in_parallel
from cybercantal.kiosks.models import Heartbeat, KioskToken
from cybercantal.kiosks.services import fleet as services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_parallel_heartbeats_same_minute_one_row(manager, kiosk):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    at = timezone.now().replace(second=5, microsecond=0)

    def beat(_n: int) -> str:
        try:
            services.heartbeat_record(token=token, at=at)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return f"{type(exc).__name__}: {exc}"
        return "ok"

    results = run_in_parallel(beat, range(20))
    assert results == ["ok"] * 20
    assert Heartbeat.objects.filter(kiosk=kiosk).count() == 1
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at == at


def test_parallel_token_issues_leave_one_active_token(manager, kiosk):
    def issue(_n: int) -> str:
        try:
            services.kiosk_token_issue(actor=manager, kiosk=kiosk)
        except ValidationError:
            return "conflict"
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return f"{type(exc).__name__}: {exc}"
        return "ok"

    results = run_in_parallel(issue, range(8))
    assert all(r in ("ok", "conflict") for r in results), results
    assert KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).count() == 1
