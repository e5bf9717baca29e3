"""Demo data of part "plans": plans for each open telecentre, independent members with a few
months of history; a second run creates nothing; the demo teleworker gets no plan."""

from __future__ import annotations

import pytest

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role

from ..demo import plans as demo
from ..models import CreditGrant, MemberProfile, Membership, Plan, PlanKind, TelecentreStatus
from ..queries import plans as queries
from ..services import credits
from .factories import TelecentreFactory

pytestmark = pytest.mark.django_db


def test_demo_plans_members_and_history(territory):
    load_demo_accounts()
    murat = TelecentreFactory(place__name="Télécentre La Gare")
    other = TelecentreFactory()
    TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None)
    counts = demo.load()
    assert counts["formules"] == 10
    assert counts["membres indépendants"] == 9
    assert counts["adhésions"] >= 10
    assert set(Plan.objects.filter(telecentre=murat).values_list("kind", flat=True)) == set(PlanKind.values)
    day_pass = Plan.objects.get(telecentre=murat, kind=PlanKind.DAY_PASS)
    assert queries.plan_card(day_pass).price_text == "18,00\u00a0€ HT la journée (21,60\u00a0€ TTC)"
    assert Membership.objects.filter(telecentre=murat, ends_on__isnull=True).count() == 6
    assert Membership.objects.filter(telecentre=other, ends_on__isnull=True).count() == 3
    # A change of plan with credits carried over, monthly renewals over several months.
    assert CreditGrant.objects.filter(reason=CreditGrant.Reason.TRANSFER).exists()
    assert CreditGrant.objects.filter(reason=CreditGrant.Reason.RENEWAL).values("period_start").distinct().count() >= 3
    assert MemberProfile.objects.filter(commute_km__gt=0, home_commune__isnull=False).count() >= 8
    open_monthly = Membership.objects.filter(ends_on__isnull=True, plan__kind=PlanKind.PART_TIME)
    assert all(credits.balance(m).days > 0 for m in open_monthly)
    # Thomas Delmas is covered by his employer's agreement, not by a plan.
    assert not Membership.objects.filter(member__email=demo_email(Role.TELEWORKER)).exists()
    assert demo.load() == {"formules": 0, "membres indépendants": 0, "adhésions": 0}
