"""Demo data of the kiosk mode, on top of the kiosks and procedures seeded by the fleet and
catalogue parts: 60 days of plausible anonymous usage counts per kiosk in service, and a few
past help requests (already handled).

Idempotent: usage rows are inserted only where missing (``ignore_conflicts`` on the unique
(kiosk, date, metric, key)); past help requests are drawn only for a kiosk that has none
before today. Each kiosk has its own generator seeded from ``rng_seed`` and its code.
Weekends are quiet (most host places are closed).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from cybercantal.kiosks.models import (
    HelpRequest,
    HelpRequestStatus,
    Kiosk,
    KioskStatus,
    Procedure,
    UsageCount,
    UsageMetric,
)

DAYS = 60


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    today = timezone.localdate()
    procedures = list(Procedure.objects.filter(is_published=True).values_list("slug", "category"))
    kiosks = list(Kiosk.objects.filter(status=KioskStatus.IN_SERVICE).order_by("code"))
    rows: list[UsageCount] = []
    help_requests = 0
    for kiosk in kiosks:
        rng = random.Random(f"{rng_seed}-{kiosk.code}")  # noqa: S311 - demo data, not security
        for back in range(1, DAYS + 1):
            day = today - dt.timedelta(days=back)
            if day.weekday() >= 5:
                continue
            sessions = rng.randint(1, 9)
            rows.append(UsageCount(kiosk=kiosk, date=day, metric=UsageMetric.SESSION, key="", count=sessions))
            if not procedures:
                continue
            seen = rng.choices(procedures, k=sessions * 2)
            per_category: dict[str, int] = {}
            per_procedure: dict[str, int] = {}
            for slug, category in seen:
                per_category[category] = per_category.get(category, 0) + 1
                per_procedure[slug] = per_procedure.get(slug, 0) + 1
            for category, count in per_category.items():
                rows.append(UsageCount(kiosk=kiosk, date=day, metric=UsageMetric.CATEGORY, key=category, count=count))
            for slug, count in per_procedure.items():
                rows.append(UsageCount(kiosk=kiosk, date=day, metric=UsageMetric.PROCEDURE, key=slug, count=count))
            helps = sum(1 for _ in range(sessions) if rng.random() < 0.25)
            if helps:
                rows.append(UsageCount(kiosk=kiosk, date=day, metric=UsageMetric.HELP_REQUEST, key="", count=helps))
            takeaways = sum(1 for _ in range(sessions) if rng.random() < 0.15)
            if takeaways:
                rows.append(UsageCount(kiosk=kiosk, date=day, metric=UsageMetric.TAKEAWAY, key="", count=takeaways))
        start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time()))
        if procedures and not HelpRequest.objects.filter(kiosk=kiosk, created_at__lt=start_of_today).exists():
            for _ in range(rng.randint(2, 5)):
                slug, category = rng.choice(procedures)
                day = today - dt.timedelta(days=rng.randint(1, DAYS))
                asked = timezone.make_aware(
                    dt.datetime.combine(day, dt.time(rng.choice([9, 10, 11, 14, 15, 16]), rng.randint(0, 59)))
                )
                request = HelpRequest.objects.create(
                    kiosk=kiosk, category=category, procedure_slug=slug, status=HelpRequestStatus.DONE
                )
                HelpRequest.objects.filter(pk=request.pk).update(
                    created_at=asked,
                    taken_at=asked + dt.timedelta(minutes=3),
                    closed_at=asked + dt.timedelta(minutes=15),
                )
                help_requests += 1
    before = UsageCount.objects.count()
    UsageCount.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return {
        "compteurs d'usage des bornes": UsageCount.objects.count() - before,
        "demandes d'aide passées": help_requests,
    }
