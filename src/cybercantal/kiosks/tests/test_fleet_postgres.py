"""PostgreSQL: parallel heartbeats of one kiosk in one minute, parallel token issues."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cybercantal.kiosks.models import Heartbeat, KioskToken
from cybercantal.kiosks.services import fleet as services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_parallel(function, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            outcome = function()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_parallel_heartbeats_same_minute_one_row(manager, kiosk):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    at = timezone.now().replace(second=5, microsecond=0)

    def beat() -> str:
        services.heartbeat_record(token=token, at=at)
        return "ok"

    results = run_in_parallel(beat, 20)
    assert results == ["ok"] * 20
    assert Heartbeat.objects.filter(kiosk=kiosk).count() == 1
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at == at


def test_parallel_token_issues_leave_one_active_token(manager, kiosk):
    def issue() -> str:
        try:
            services.kiosk_token_issue(actor=manager, kiosk=kiosk)
        except ValidationError:
            return "conflict"
        return "ok"

    results = run_in_parallel(issue, 8)
    assert all(r in ("ok", "conflict") for r in results), results
    assert KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).count() == 1
