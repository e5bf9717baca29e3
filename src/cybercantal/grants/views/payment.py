"""Views of the payment part (issue 7 §5).

- ``/aides/dossiers/<ref>/factures/`` (``grants.claim_payment``): the business adds its paid
  invoices, sees how they were checked, removes one not checked yet, asks for the payment.
- ``/aides/instruction/<ref>/paiement/`` (``grants.record_payment``): the instructor checks
  each invoice, sees the computation line by line and orders the payment.
- ``/aides/gestion/paiements/`` and ``export.csv`` (``grants.export_payments``): the
  accountant's list with filters and totals, and the CSV (the "new only" export is a POST: it
  marks the payments exported).

A dossier the person may not see is a 404 (its existence is not revealed); one they see but
may not act on is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core.forms import plausible_key
from cybercantal.core.money import format_euros
from cybercantal.core.spreadsheet import csv_response, decimal_fr

from ..forms.payment import (
    InvoiceAcceptForm,
    InvoiceForm,
    InvoiceRejectForm,
    PaymentFilterForm,
    PaymentOrderForm,
)
from ..models import Application, PaidInvoice, Payment, Status
from ..queries import payment as queries
from ..queries.dossier import may_view
from ..services import payment as services

PAGE_SIZE = 50


def _application(request: HttpRequest, ref: str, perm: str) -> Application:
    """The dossier ``ref``: 404 when it does not exist or the person may not see it, 403 when
    they see it but may not do ``perm``."""
    if not plausible_key(ref, digits=False):
        raise Http404
    application = get_object_or_404(
        Application.objects.select_related("programme", "organisation", "instructor"), reference=ref
    )
    user = request.user
    if not may_view(user, application):  # a draft is the business's alone
        raise Http404
    if not user.has_perm(perm, application):
        raise PermissionDenied(_("Vous n'avez pas accès à cette page."))
    return application


def _invoice(application: Application, pk: int) -> PaidInvoice:
    invoice = (
        PaidInvoice.objects.select_related("application", "document").filter(application=application, pk=pk).first()
    )
    if invoice is None:
        raise Http404
    return invoice


def _invoice_rows(application: Application) -> list[PaidInvoice]:
    rows = list(queries.invoices_of(application))
    for invoice in rows:
        invoice.download_url = queries.document_url(application, invoice.document_id)  # type: ignore[attr-defined]
    return rows


# --- The business ----------------------------------------------------------------------------------


def _invoices_page(request: HttpRequest, application: Application, form: InvoiceForm | None = None) -> HttpResponse:
    lines = services.counting_lines(application)
    can_add = application.status == Status.ACCEPTED
    if form is None and can_add:
        form = InvoiceForm(lines=lines, programme=application.programme)
    invoices = _invoice_rows(application)
    figures = services.payment_compute(application)
    return render(
        request,
        "grants/payment/invoices.html",
        {
            "application": application,
            "form": form if can_add else None,
            "can_add": can_add,
            "invoices": invoices,
            "figures": figures,
            "counts": queries.invoice_counts(application),
            "application_url": queries.application_url(application),
            "payment": application.payments.order_by("-pk").first() if application.status == Status.PAID else None,
        },
        status=200,
    )


@require_http_methods(["GET", "POST"])
def invoices(request: HttpRequest, ref: str) -> HttpResponse:
    application = _application(request, ref, "grants.claim_payment")
    if request.method == "GET":
        return _invoices_page(request, application)
    if application.status != Status.ACCEPTED:
        messages.error(request, services._not_accepted_message(application))
        return redirect("grants:invoices", ref=application.reference)
    form = InvoiceForm(
        request.POST, request.FILES, lines=services.counting_lines(application), programme=application.programme
    )
    if form.is_valid():
        try:
            invoice = services.invoice_add(actor=request.user, application=application, **form.service_values())
        except services.PaymentRefusedError as exc:
            messages.error(request, exc.message)
            return redirect("grants:invoices", ref=application.reference)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("La facture %(number)s de %(supplier)s est ajoutée : elle sera vérifiée par l'instructeur.")
                % {"number": invoice.invoice_number, "supplier": invoice.supplier},
            )
            return redirect("grants:invoices", ref=application.reference)
    return _invoices_page(request, application, form)


@require_POST
def invoice_remove(request: HttpRequest, ref: str, pk: int) -> HttpResponse:
    application = _application(request, ref, "grants.claim_payment")
    invoice = PaidInvoice.objects.filter(application=application, pk=pk).select_related("application").first()
    if invoice is None:  # already removed (second click) or not of this dossier
        messages.info(request, _("Cette facture n’est plus dans le dossier."))
        return redirect("grants:invoices", ref=application.reference)
    try:
        services.invoice_remove(actor=request.user, invoice=invoice)
    except services.PaymentRefusedError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("La facture %(number)s est retirée.") % {"number": invoice.invoice_number})
    return redirect("grants:invoices", ref=application.reference)


@require_POST
def payment_request(request: HttpRequest, ref: str) -> HttpResponse:
    application = _application(request, ref, "grants.claim_payment")
    try:
        told = services.payment_request(actor=request.user, application=application)
    except services.PaymentRefusedError as exc:
        messages.error(request, exc.message)
    else:
        if told:
            messages.success(request, _("Votre demande de versement est envoyée à l'instructeur du dossier."))
        else:
            messages.success(request, _("Votre demande de versement est enregistrée."))
    return redirect("grants:invoices", ref=application.reference)


# --- The instructor ----------------------------------------------------------------------------------


def _payment_page(
    request: HttpRequest,
    application: Application,
    *,
    bound: dict[tuple[int, str], Any] | None = None,
    order_form: PaymentOrderForm | None = None,
) -> HttpResponse:
    bound = bound or {}
    invoices_list = _invoice_rows(application)
    can_check = application.status == Status.ACCEPTED
    for invoice in invoices_list:
        initial = invoice.accepted_amount if invoice.accepted_amount is not None else invoice.amount
        invoice.accept_form = bound.get(  # type: ignore[attr-defined]
            (invoice.pk, "accept"), InvoiceAcceptForm(prefix=f"f{invoice.pk}", initial={"accepted_amount": initial})
        )
        invoice.reject_form = bound.get(  # type: ignore[attr-defined]
            (invoice.pk, "reject"),
            InvoiceRejectForm(prefix=f"r{invoice.pk}", initial={"reason": invoice.rejection_reason}),
        )
    figures = services.payment_compute(application)
    if order_form is None and can_check:
        order_form = PaymentOrderForm(
            initial={
                "ordered_on": timezone.localdate(),
                "iban": services.format_iban(application.iban),
                "reference": "",
            }
        )
    return render(
        request,
        "grants/payment/payment.html",
        {
            "application": application,
            "invoices": invoices_list,
            "figures": figures,
            "can_check": can_check,
            "order_form": order_form if can_check else None,
            "default_reference": services.default_reference(application),
            "counts": queries.invoice_counts(application),
            "review_url": queries.review_url(application),
            "payments": list(application.payments.order_by("pk")),
        },
    )


@require_http_methods(["GET"])
def payment(request: HttpRequest, ref: str) -> HttpResponse:
    application = _application(request, ref, "grants.record_payment")
    return _payment_page(request, application)


@require_POST
def invoice_accept(request: HttpRequest, ref: str, pk: int) -> HttpResponse:
    application = _application(request, ref, "grants.record_payment")
    invoice = _invoice(application, pk)
    form = InvoiceAcceptForm(request.POST, prefix=f"f{invoice.pk}")
    if form.is_valid():
        try:
            services.invoice_accept(
                actor=request.user, invoice=invoice, accepted_amount=form.cleaned_data["accepted_amount"]
            )
        except services.PaymentRefusedError as exc:
            messages.error(request, exc.message)
            return redirect("grants:payment", ref=application.reference)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("La facture %(number)s est retenue pour %(amount)s.")
                % {"number": invoice.invoice_number, "amount": format_euros(form.cleaned_data["accepted_amount"])},
            )
            return redirect(reverse("grants:payment", args=[application.reference]) + f"#facture-{invoice.pk}")
    return _payment_page(request, application, bound={(invoice.pk, "accept"): form})


@require_POST
def invoice_reject(request: HttpRequest, ref: str, pk: int) -> HttpResponse:
    application = _application(request, ref, "grants.record_payment")
    invoice = _invoice(application, pk)
    form = InvoiceRejectForm(request.POST, prefix=f"r{invoice.pk}")
    if form.is_valid():
        try:
            services.invoice_reject(actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"])
        except services.PaymentRefusedError as exc:
            messages.error(request, exc.message)
            return redirect("grants:payment", ref=application.reference)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La facture %(number)s est écartée.") % {"number": invoice.invoice_number})
            return redirect(reverse("grants:payment", args=[application.reference]) + f"#facture-{invoice.pk}")
    return _payment_page(request, application, bound={(invoice.pk, "reject"): form})


@require_POST
def payment_order(request: HttpRequest, ref: str) -> HttpResponse:
    application = _application(request, ref, "grants.record_payment")
    form = PaymentOrderForm(request.POST)
    if form.is_valid():
        try:
            order = services.payment_order(
                actor=request.user,
                application=application,
                ordered_on=form.cleaned_data["ordered_on"],
                iban=form.cleaned_data["iban"],
                reference=form.cleaned_data.get("reference") or None,
            )
        except services.PaymentRefusedError as exc:
            messages.error(request, exc.message)
            return redirect("grants:payment", ref=application.reference)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("Le versement de %(amount)s est ordonné (mandat %(ref)s). L'entreprise est prévenue.")
                % {"amount": format_euros(order.amount), "ref": order.reference},
            )
            return redirect("grants:payment", ref=application.reference)
    return _payment_page(request, application, order_form=form)


# --- The accountant ----------------------------------------------------------------------------------

_export = permission_required_for_object("grants.export_payments", lambda request, *a, **kw: None, pass_object=False)

FILTER_KEYS = ("dispositif", "du", "au", "exporte")


def _filters(request: HttpRequest) -> tuple[PaymentFilterForm, dict[str, Any], str]:
    source = request.GET if request.method == "GET" else request.POST
    data = {k: source.get(k, "") for k in FILTER_KEYS if source.get(k)}
    form = PaymentFilterForm(data or None)
    values = form.values() if data else {"programme": None, "start": None, "end": None, "exported": None}
    return form, values, urlencode(data)


@require_http_methods(["GET"])
@_export
def payments(request: HttpRequest) -> HttpResponse:
    form, values, query = _filters(request)
    qs = queries.payments(**values)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "grants/payment/payments.html",
        {
            "form": form,
            "page": page,
            "totals": queries.payment_totals(qs),
            "query": query,
            "export_url": reverse("grants:payments_export") + (f"?{query}" if query else ""),
            "filter_values": {k: request.GET.get(k, "") for k in FILTER_KEYS},
        },
    )


CSV_HEADER = [
    gettext_lazy("Référence du mandat"),
    gettext_lazy("Date du mandat"),
    gettext_lazy("Dispositif"),
    gettext_lazy("Financeur"),
    gettext_lazy("Dossier"),
    gettext_lazy("Bénéficiaire"),
    gettext_lazy("SIRET"),
    gettext_lazy("IBAN"),
    gettext_lazy("Montant versé (€)"),
    gettext_lazy("Dépenses payées retenues HT (€)"),
]


def payment_csv_rows(rows: list[Payment]) -> list[list[Any]]:
    header = [str(h) for h in CSV_HEADER]
    lines: list[list[Any]] = [header]
    for p in rows:
        application = p.application
        lines.append(
            [
                p.reference,
                p.ordered_on.strftime("%d/%m/%Y"),
                application.programme.name,
                application.programme.funder,
                application.reference,
                application.business_name or application.organisation.name,
                application.siret or application.organisation.siret,
                p.iban,
                decimal_fr(p.amount),
                decimal_fr(p.paid_eligible_total),
            ]
        )
    return lines


@require_http_methods(["GET", "POST"])
@_export
def payments_export(request: HttpRequest) -> HttpResponse:
    """GET: the filtered payments, read only. POST with ``nouveaux``: the payments not exported
    yet (within the filters), marked exported."""
    _form, values, _query = _filters(request)
    only_new = request.method == "POST"
    if only_new:
        values = {**values, "exported": None}
    rows = services.payments_export(actor=request.user, payments=queries.payments(**values), only_new=only_new)
    if not only_new:
        rows = sorted(rows, key=lambda p: (p.ordered_on, p.pk))
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    name = f"paiements-aides-{'nouveaux-' if only_new else ''}{stamp}.csv"
    return csv_response(name, payment_csv_rows(rows))


urlpatterns = [
    path("dossiers/<str:ref>/factures/", invoices, name="invoices"),
    path("dossiers/<str:ref>/factures/<int:pk>/retirer/", invoice_remove, name="invoice_remove"),
    path("dossiers/<str:ref>/factures/demander-le-versement/", payment_request, name="payment_request"),
    path("instruction/<str:ref>/paiement/", payment, name="payment"),
    path("instruction/<str:ref>/paiement/factures/<int:pk>/retenir/", invoice_accept, name="invoice_accept"),
    path("instruction/<str:ref>/paiement/factures/<int:pk>/ecarter/", invoice_reject, name="invoice_reject"),
    path("instruction/<str:ref>/paiement/ordonner/", payment_order, name="payment_order"),
    path("gestion/paiements/", payments, name="payments"),
    path("gestion/paiements/export.csv", payments_export, name="payments_export"),
]
