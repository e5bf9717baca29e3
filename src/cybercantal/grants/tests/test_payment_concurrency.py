"""Two payment orders for the same dossier at the same moment (two instructors, or a double
click reaching two server processes), on PostgreSQL with real threads and their own
connections: one Payment, the other is told the dossier is already paid (no 500). Two "new
only" exports at once never hand the same payment to both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cybercantal.core.testing import run_in_parallel

from ..models import Application, InvoiceStatus, Payment, Status
from ..queries import payment as queries
from ..services import payment as services
from .factories_payment import IBAN, accepted_application, make_invoice, make_payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready(programme, business, applicant, staff):
    application = accepted_application(programme=programme, organisation=business, created_by=applicant)
    make_invoice(application.lines.get(), Decimal("3200.00"), status=InvoiceStatus.ACCEPTED)
    return application


def test_two_parallel_payment_orders_give_one_payment(ready, instructor, manager):
    def order(user):
        try:
            services.payment_order(
                actor=user,
                application=Application.objects.get(pk=ready.pk),
                ordered_on=timezone.localdate(),
                iban=IBAN,
            )
        except services.PaymentRefusedError as exc:
            return "paid" if "déjà ordonné" in exc.message else f"odd: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return "ok"

    results = run_in_parallel(order, [instructor, manager])
    assert sorted(results) == ["ok", "paid"], results
    assert Payment.objects.filter(application=ready).count() == 1
    ready.refresh_from_db()
    assert (ready.status, ready.paid_amount) == (Status.PAID, Decimal("1600.00"))


def test_double_click_through_the_view_no_500(ready, instructor):
    url = reverse("grants:payment_order", args=[ready.reference])
    data = {"ordered_on": timezone.localdate().isoformat(), "iban": IBAN}
    clients = []
    for _n in range(3):
        client = Client()
        client.force_login(instructor)
        clients.append(client)
    results = run_in_parallel(lambda client: client.post(url, data).status_code, clients)
    assert results == [302, 302, 302]
    assert Payment.objects.filter(application=ready).count() == 1


def test_two_parallel_new_only_exports_share_nothing(programme, business, instructor, manager):
    for _n in range(5):
        make_payment(accepted_application(programme=programme, organisation=business), Decimal("10.00"))

    def export(user):
        return [p.pk for p in services.payments_export(actor=user, payments=queries.payments(), only_new=True)]

    first, second = run_in_parallel(export, [instructor, manager])
    assert not set(first) & set(second)
    assert len(first) + len(second) == 5
