"""Billing: what is billed (prorata, purchases, usage, agreements), numbers without gaps,
idempotence, immutability, credit notes, the monthly job."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.journal import JournalEntry
from cybercantal.core.money import round_cents

from ..models import (
    ImmutableInvoiceError,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    OperatorBilling,
)
from ..services import billing
from .factories_billing import Scenario, last_month


@pytest.fixture
def month(db):
    return Scenario()


def issue(month, **kwargs):
    return billing.invoices_issue_month(
        actor=None, operator=month.operator, year=month.year, month=month.month, **kwargs
    )


def invoice_of(month, user=None, organisation=None):
    if user is not None:
        return Invoice.objects.get(payer_user=user, kind=InvoiceKind.INVOICE)
    return Invoice.objects.get(payer_organisation=organisation, kind=InvoiceKind.INVOICE)


# --- what is billed ------------------------------------------------------------------------------


def test_monthly_plan_is_prorated_by_days_and_says_so(month):
    issue(month)
    invoice = invoice_of(month, user=month.anne)
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    expected = round_cents(Decimal("120.00") * (days_in_month - 10) / days_in_month)
    [line] = invoice.lines.all()
    assert line.total_excl_tax == expected
    assert line.membership == month.anne_membership
    assert "au prorata des jours" in line.description
    assert f"{days_in_month - 10} jours sur {days_in_month}" in line.description
    assert "120,00" in line.description
    assert invoice.total_excl_tax == expected
    assert invoice.total_vat == round_cents(expected * Decimal("0.2"))
    assert invoice.total_incl_tax == invoice.total_excl_tax + invoice.total_vat


def test_full_month_of_a_monthly_plan_is_the_plan_price(month):
    month.anne_membership.starts_on = dt.date(month.year, month.month, 1) - dt.timedelta(days=40)
    month.anne_membership.save()
    issue(month)
    [line] = invoice_of(month, user=month.anne).lines.all()
    assert line.total_excl_tax == Decimal("120.00")
    assert "prorata" not in line.description


def test_member_pays_purchases_and_usage_beyond_credits(month):
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    lines = list(invoice.lines.order_by("position"))
    assert [line.total_excl_tax for line in lines] == [
        Decimal("150.00"),
        Decimal("18.00"),
        Decimal("18.00"),
        Decimal("9.00"),
    ]
    assert "Carnet de jours « Carnet 10 jours »" in lines[0].description
    assert lines[0].credit_grant is not None
    assert lines[1].description.startswith("Open space, ")
    assert lines[1].description.endswith(", journée")
    assert "(annulée hors délai)" in lines[2].description
    assert "matin (absence, place libérée)" in lines[3].description
    assert [line.booking_id for line in lines[1:]] == [month.b_day.pk, month.b_late.pk, month.b_released.pk]
    assert (invoice.total_excl_tax, invoice.total_vat, invoice.total_incl_tax) == (
        Decimal("195.00"),
        Decimal("39.00"),
        Decimal("234.00"),
    )
    assert invoice.payer_name == "Bruno Teyssèdre"


def test_employer_pays_fees_of_covered_employees_and_their_usage(month):
    issue(month)
    invoice = invoice_of(month, organisation=month.employer)
    lines = list(invoice.lines.order_by("position"))
    assert len(lines) == 2  # Marc Rouby left before the month: no fee
    assert "Forfait mensuel de la convention CONV-LIO — Claire Vidal" in lines[0].description
    assert lines[0].total_excl_tax == Decimal("40.00")
    assert "Claire Vidal" in lines[1].description
    assert "CONV-LIO" in lines[1].description
    assert lines[1].booking == month.c_day
    assert lines[1].total_excl_tax == Decimal("15.00")
    assert invoice.total_incl_tax == Decimal("66.00")
    assert invoice.agreement == month.agreement
    assert invoice.payer_name == "Fromagerie du Lioran"
    assert "Laveissière" in invoice.payer_address
    assert invoice.payer_user is None
    # The employee's bookings are not billed to the employee.
    assert not Invoice.objects.filter(payer_user=month.claire).exists()


def test_other_operators_usage_is_not_billed_here(month):
    result = issue(month)
    assert {i.payer_name for i in result.issued} == {"Anne Mazet", "Bruno Teyssèdre", "Fromagerie du Lioran"}
    assert not InvoiceLine.objects.filter(total_excl_tax=Decimal("20.00")).exists()
    other = billing.invoices_issue_month(actor=None, operator=month.other_operator, year=month.year, month=month.month)
    [invoice] = other.issued
    assert invoice.total_excl_tax == Decimal("20.00")
    assert invoice.number.endswith("-00001")  # each operator has its own sequence


def test_vat_per_rate_is_rounded_once_per_rate():
    totals = billing.totals_of(
        [(Decimal("10.04"), Decimal("20")), (Decimal("10.04"), Decimal("20")), (Decimal("3.33"), Decimal("5.5"))]
    )
    assert [(row.rate, row.base, row.vat) for row in totals.by_rate] == [
        (Decimal("5.5"), Decimal("3.33"), Decimal("0.18")),
        (Decimal("20"), Decimal("20.08"), Decimal("4.02")),
    ]
    assert (totals.excl_tax, totals.vat, totals.incl_tax) == (Decimal("23.41"), Decimal("4.20"), Decimal("27.61"))


def test_vat_exempt_operator_bills_no_vat(month):
    OperatorBilling.objects.filter(operator=month.operator).update(vat_exempt=True, vat_number="")
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    assert invoice.total_vat == 0
    assert invoice.total_incl_tax == invoice.total_excl_tax == Decimal("195.00")
    assert set(invoice.lines.values_list("vat_rate", flat=True)) == {Decimal("0.00")}


# --- numbers, idempotence ----------------------------------------------------------------------------


def test_numbers_follow_without_gaps_and_a_second_run_issues_nothing(month):
    first = issue(month)
    year = timezone.localdate().year
    assert [i.number for i in first.issued] == [f"TC-{year}-{n:05d}" for n in (1, 2, 3)]
    assert [i.sequence for i in first.issued] == [1, 2, 3]
    assert all(i.pdf for i in first.issued)
    second = issue(month)
    assert second.issued == []
    assert second.already == 3
    assert Invoice.objects.filter(operator=month.operator).count() == 3
    assert InvoiceCounter.objects.get(operator=month.operator, year=year).last_number == 3
    assert JournalEntry.objects.filter(action="telework.invoice.issued").count() == 3


def test_a_month_not_over_is_refused(month):
    today = timezone.localdate()
    with pytest.raises(billing.BillingError) as caught:
        billing.invoices_issue_month(actor=None, operator=month.operator, year=today.year, month=today.month)
    assert caught.value.code == "month_not_over"
    assert "n'est pas terminé" in caught.value.message_dict["month"][0]
    with pytest.raises(billing.BillingError):
        billing.invoices_issue_month(actor=None, operator=month.operator, year=2026, month=13)


def test_a_failure_rolls_the_number_back_with_the_invoice(month, monkeypatch):
    def broken(invoice):
        raise RuntimeError("disk full")

    monkeypatch.setattr(billing, "invoice_attach_pdf", broken)
    with pytest.raises(RuntimeError):
        issue(month)
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.filter(last_number__gt=0).exists()
    monkeypatch.undo()
    result = issue(month)
    assert [i.sequence for i in result.issued] == [1, 2, 3]


def test_invoices_are_numbered_in_date_order(month):
    # Fixed issue dates in one year, after both periods, whatever today is.
    issue_year = month.year + 1
    issue(month, issued_on=dt.date(issue_year, 1, 20))
    earlier = (dt.date(month.year, month.month, 1) - dt.timedelta(days=1)).replace(day=1)
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_issue(
            actor=None,
            operator=month.operator,
            year=earlier.year,
            month=earlier.month,
            payer=billing.Payer("user", month.bruno.pk),
            issued_on=dt.date(issue_year, 1, 10),
        )
    assert caught.value.code == "not_chronological"


def test_the_operator_must_have_billing_details(month):
    OperatorBilling.objects.filter(operator=month.operator).delete()
    with pytest.raises(billing.BillingError, match="mentions légales"):
        issue(month)


def test_issuing_needs_the_permission(month, staff):
    stranger = staff(Role.TELECENTRE_MANAGER, month.other_operator)
    with pytest.raises(billing.BillingError) as caught:
        billing.invoices_issue_month(actor=stranger, operator=month.operator, year=month.year, month=month.month)
    assert caught.value.code == "forbidden"
    manager = staff(Role.TELECENTRE_MANAGER, month.telecentre.place)
    assert (
        len(
            billing.invoices_issue_month(
                actor=manager, operator=month.operator, year=month.year, month=month.month
            ).issued
        )
        == 3
    )


def test_monthly_job_issues_the_previous_month_of_every_operator(month):
    assert billing.invoices_issue_previous_month() == 4  # 3 here, 1 at the other operator
    assert billing.invoices_issue_previous_month() == 0
    from ..jobs.billing import telework_issue_invoices

    assert telework_issue_invoices.call() == 0


# --- an issued invoice never changes ----------------------------------------------------------------


def test_an_issued_invoice_never_changes(month):
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    invoice.total_excl_tax = Decimal("1.00")
    with pytest.raises(ImmutableInvoiceError):
        invoice.save()
    with pytest.raises(ImmutableInvoiceError):
        invoice.save(update_fields=["total_excl_tax"])
    with pytest.raises(ImmutableInvoiceError):
        invoice.delete()
    with pytest.raises(ImmutableInvoiceError, match="once"):
        invoice.save(update_fields=["pdf"])  # the PDF is already attached
    line = invoice.lines.first()
    line.description = "autre chose"
    with pytest.raises(ImmutableInvoiceError):
        line.save()
    invoice.refresh_from_db()
    assert invoice.total_excl_tax == Decimal("195.00")


# --- credit notes --------------------------------------------------------------------------------


def test_partial_then_full_credit_note_and_never_more(month):
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    late = invoice.lines.get(booking=month.b_late)
    note = billing.invoice_credit(
        actor=None, invoice=invoice, reason="Annulation tardive pour cause de neige", lines=[late]
    )
    year = timezone.localdate().year
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.corrects == invoice
    assert note.number == f"TC-{year}-00004"
    assert (note.total_excl_tax, note.total_vat, note.total_incl_tax) == (
        Decimal("-18.00"),
        Decimal("-3.60"),
        Decimal("-21.60"),
    )
    [credit_line] = note.lines.all()
    assert credit_line.corrects_line == late
    assert credit_line.quantity == Decimal("-1")
    assert credit_line.total_excl_tax == Decimal("-18.00")
    assert note.pdf
    # The same line again: refused, nothing issued, no number used.
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=invoice, reason="encore", lines=[late])
    assert caught.value.code == "already_credited"
    # The rest.
    rest = billing.invoice_credit(actor=None, invoice=invoice, reason="Erreur de tarif")
    assert rest.number == f"TC-{year}-00005"
    assert rest.total_excl_tax == Decimal("-177.00")
    assert billing.credited_total(invoice) == invoice.total_incl_tax
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=invoice, reason="encore")
    assert caught.value.code == "nothing_left"
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=rest, reason="avoir d'avoir")
    assert caught.value.code == "credit_of_credit"
    assert InvoiceCounter.objects.get(operator=month.operator, year=year).last_number == 5


def test_credit_note_needs_a_reason_and_lines_of_this_invoice(month):
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    other = invoice_of(month, user=month.anne)
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=invoice, reason="  ")
    assert "motif" in caught.value.message_dict["reason"][0]
    with pytest.raises(billing.BillingError):
        billing.invoice_credit(actor=None, invoice=invoice, reason="x" * 301)
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=invoice, reason="erreur", lines=list(other.lines.all()))
    assert caught.value.code == "already_credited"
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=None, invoice=invoice, reason="erreur", lines=[])
    assert caught.value.code == "no_lines"
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_credit_note_needs_the_permission(month, staff):
    issue(month)
    invoice = invoice_of(month, user=month.bruno)
    with pytest.raises(billing.BillingError) as caught:
        billing.invoice_credit(actor=month.bruno, invoice=invoice, reason="je ne veux pas payer")
    assert caught.value.code == "forbidden"


# --- with the real booking service -------------------------------------------------------------------


def test_a_booking_made_through_the_service_is_billed_the_next_month(db, monkeypatch):
    from ..models import DayPart
    from ..services import booking as booking_service
    from .factories import MembershipFactory, PlanFactory, ResourceFactory, TelecentreFactory

    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, name="Open space")
    plan = PlanFactory(telecentre=telecentre, name="Carnet", usage_price_day=Decimal("18.00"))
    membership = MembershipFactory(telecentre=telecentre, plan=plan)  # no credits: pays per day
    today = timezone.localdate()
    day = today + dt.timedelta(days=3)
    booking = booking_service.booking_create(
        actor=membership.member, resource=pool, day=day, part=DayPart.MORNING, notify=False
    )
    assert booking.price_excl_tax == Decimal("9.00")
    # Time passes: the month of the booking is over.
    later = timezone.now() + dt.timedelta(days=65)
    monkeypatch.setattr(timezone, "now", lambda: later)
    result = billing.invoices_issue_month(actor=None, operator=telecentre.operator, year=day.year, month=day.month)
    [invoice] = result.issued
    [line] = invoice.lines.all()
    assert line.booking == booking
    assert line.total_excl_tax == Decimal("9.00")
    assert line.description.endswith(", matin")
    assert invoice.issued_on == timezone.localdate()


def test_last_month_helper():
    year, month = last_month()
    assert dt.date(year, month, 1) < timezone.localdate().replace(day=1)


def test_the_monthly_job_is_scheduled_at_six():
    from cybercantal.core import scheduler

    jobs = {job.name: job for job in scheduler.registered_jobs()}
    job = jobs["cybercantal.telework.jobs.billing.telework_issue_invoices"]
    assert (job.hour, job.minute) == (6, 0)
