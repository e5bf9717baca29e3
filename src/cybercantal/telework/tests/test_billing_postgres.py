"""Numbers without gaps under contention, on PostgreSQL with real connections: parallel issues
for different payers get consecutive numbers; two runs of the same month at once issue each
invoice once; two credit notes of the same line at once, one wins."""

from __future__ import annotations

import datetime as dt

import pytest

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..models import Invoice, InvoiceCounter, InvoiceKind
from ..services import billing
from .factories import MembershipFactory, PlanFactory, ResourceFactory, TelecentreFactory
from .factories_billing import last_month, past_booking

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _members_with_usage(count: int):
    year, month = last_month()
    telecentre = TelecentreFactory(opens_on=dt.date(year, month, 1) - dt.timedelta(days=400))
    pool = ResourceFactory(telecentre=telecentre, capacity=count)
    plan = PlanFactory(telecentre=telecentre)
    members = []
    for index in range(count):
        membership = MembershipFactory(
            telecentre=telecentre, plan=plan, starts_on=dt.date(year, month, 1) - dt.timedelta(days=30)
        )
        past_booking(
            resource=pool,
            member=membership.member,
            membership=membership,
            day=dt.date(year, month, 1 + index % 20),
            price="18.00",
        )
        members.append(membership.member)
    return telecentre.operator, year, month, members


def test_ten_parallel_issues_get_sequences_one_to_ten():
    assert is_postgres()
    operator, year, month, members = _members_with_usage(10)

    def issue(member):
        invoice = billing.invoice_issue(
            actor=None, operator=operator, year=year, month=month, payer=billing.Payer("user", member.pk)
        )
        return invoice.sequence if invoice else None

    sequences = run_in_parallel(issue, members, timeout=120)
    assert sorted(sequences) == list(range(1, 11))
    invoices = Invoice.objects.filter(operator=operator)
    assert invoices.count() == 10
    assert len(set(invoices.values_list("number", flat=True))) == 10
    assert InvoiceCounter.objects.get(operator=operator).last_number == 10
    # Chronological: the order of the numbers is the order of issue.
    by_sequence = list(invoices.order_by("sequence").values_list("created_at", flat=True))
    assert by_sequence == sorted(by_sequence)


def test_two_parallel_runs_of_a_month_issue_each_invoice_once():
    operator, year, month, members = _members_with_usage(6)

    def run(_index):
        result = billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month)
        return len(result.issued)

    issued = run_in_parallel(run, [1, 2], timeout=120)
    assert sum(issued) == 6
    invoices = Invoice.objects.filter(operator=operator)
    assert invoices.count() == 6
    assert sorted(invoices.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert set(invoices.values_list("payer_user_id", flat=True)) == {m.pk for m in members}


def test_parallel_credit_notes_of_the_same_line_one_wins():
    operator, year, month, _members = _members_with_usage(1)
    invoice = billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month).issued[0]
    line = invoice.lines.get()

    def credit(index):
        try:
            billing.invoice_credit(actor=None, invoice=invoice, reason=f"Erreur {index}", lines=[line])
        except billing.BillingError as exc:
            return exc.code
        return "ok"

    results = run_in_parallel(credit, range(5), timeout=120)
    assert results.count("ok") == 1
    assert set(results) - {"ok"} <= {"already_credited", "nothing_left"}
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    # No gap: the refused credit notes used no number.
    assert sorted(Invoice.objects.filter(operator=operator).values_list("sequence", flat=True)) == [1, 2]
