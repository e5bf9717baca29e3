"""The kiosk-mode demo loader: plausible, anonymous, idempotent."""

from __future__ import annotations

import pytest

from cybercantal.kiosks.demo.kiosk_mode import load
from cybercantal.kiosks.models import HelpRequest, KioskStatus, UsageCount, UsageMetric

from .factories import KioskFactory
from .factories_kiosk_mode import small_catalogue

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_skips_retired_kiosks(kiosk):
    small_catalogue()
    retired = KioskFactory(code="ancienne", status=KioskStatus.RETIRED)
    first = load()
    assert first["compteurs d'usage des bornes"] > 100
    assert 2 <= first["demandes d'aide passées"] <= 5
    assert not UsageCount.objects.filter(kiosk=retired).exists()
    assert UsageCount.objects.filter(kiosk=kiosk, metric=UsageMetric.SESSION).count() >= 40
    assert set(UsageCount.objects.filter(metric=UsageMetric.PROCEDURE).values_list("key", flat=True)) <= {
        "carte-identite",
        "passeport",
        "aide-logement",
    }
    rows, helps = UsageCount.objects.count(), HelpRequest.objects.count()
    assert load() == {"compteurs d'usage des bornes": 0, "demandes d'aide passées": 0}
    assert (UsageCount.objects.count(), HelpRequest.objects.count()) == (rows, helps)
