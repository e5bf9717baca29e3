"""Part "billing": invoices and credit notes, their PDF, issuing a month, the sales journal.

Who may use each page:
- ``my_invoices`` (``mes-factures/``): any signed-in person — the invoices they pay.
- ``invoice_detail`` (``factures/<pk>/``) and ``invoice_pdf`` (``factures/<pk>/pdf/``):
  ``telework.view_invoice`` — the payer member, the payer employer's managers, the operator's
  managers, the programme team. The PDF is served from the private storage by this view only.
- ``invoice_credit`` (``factures/<pk>/avoir/``): ``telework.credit_invoice`` — the operator's
  managers and the programme team.
- ``employer_invoices`` (``employeur/factures/``): employer managers — their organisations'
  invoices.
- ``operator_invoices`` (``gestion/factures/``): telecentre managers (the invoices of the
  operators they manage) and the programme team (all), with filters by month, payer, operator
  and kind.
- ``invoices_issue`` (``gestion/factures/emettre/``): the same people; issuing needs
  ``telework.issue_invoices`` on the chosen operator.
- ``operator_billing`` (``gestion/exploitants/<pk>/facturation/``): an operator's invoicing
  details (legal name, SIRET, VAT, prefix, terms, IBAN): ``telework.issue_invoices`` on that
  operator — the programme team, or the telecentre managers of that operator. An organisation
  that operates no telecentre (and has no details) is a 404.
- ``invoices_export`` (``gestion/factures/export.csv``): the sales journal of what the person
  may see (managers and programme team: their operators' invoices; employer managers: their
  organisations'), with the list's filters.

An invoice that does not exist is a 404; one the person may not see is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import active_roles
from cybercantal.core.forms import plausible_key
from cybercantal.core.spreadsheet import csv_response
from cybercantal.core.uploads import serve

from ..forms.billing import CreditForm, InvoiceFilterForm, IssueForm, OperatorBillingForm
from ..models import Invoice, InvoiceCounter, InvoiceKind, OperatorBilling, Telecentre
from ..queries import billing as queries
from ..services import billing as services
from ..services import operators as operator_services
from ..services.billing_pdf import invoice_title, pdf_filename

PAGE_SIZE = 25
FILTER_KEYS = ("mois", "client", "exploitant", "type")


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    if not plausible_key(pk):
        raise Http404
    invoice = queries.detail(int(pk))
    if invoice is None:
        raise Http404
    return invoice


def _is_manager(user: Any) -> bool:
    return bool(user.has_perm("telework.export_invoices"))


def _is_employer_manager(user: Any) -> bool:
    return Role.EMPLOYER_MANAGER in active_roles(user) or bool(user.is_superuser)


def _filters(request: HttpRequest, operators: QuerySet[Any] | None) -> tuple[InvoiceFilterForm, dict[str, Any], str]:
    data = {key: request.GET.get(key, "") for key in FILTER_KEYS if request.GET.get(key)}
    form = InvoiceFilterForm(data or None, operators=operators)
    values = form.values() if data else {}
    if data and not form.is_valid():
        values = {}
    return form, values, urlencode(data)


def _list_context(request: HttpRequest, queryset: QuerySet[Invoice], operators: QuerySet[Any] | None) -> dict[str, Any]:
    form, values, query = _filters(request, operators)
    queryset = queries.filtered(queryset, **values)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "form": form,
        "page": page,
        "query": query,
        "totals": queries.totals(queryset),
        "export_url": reverse("telework:invoices_export") + (f"?{query}" if query else ""),
    }


@require_GET
def my_invoices(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.of_member(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "telework/billing/my_invoices.html", {"page": page, "query": ""})


@require_GET
def employer_invoices(request: HttpRequest) -> HttpResponse:
    if not _is_employer_manager(request.user):
        raise PermissionDenied(_("Cette page est réservée aux responsables employeur."))
    context = _list_context(request, queries.of_employers(request.user), None)
    return render(request, "telework/billing/employer_invoices.html", context)


@require_GET
def operator_invoices(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _is_manager(user):
        raise PermissionDenied(_("Cette page est réservée aux gestionnaires de télécentre."))
    operators = queries.managed_operators(user)
    context = _list_context(request, queries.of_operators(user), operators)
    context["show_operator"] = len(operators) > 1
    return render(request, "telework/billing/operator_invoices.html", context)


@require_GET
@permission_required_for_object("telework.view_invoice", _invoice)
def invoice_detail(request: HttpRequest, pk: int, obj: Invoice) -> HttpResponse:
    user = request.user
    lines = list(obj.lines.all())
    remaining = [line for line in lines if obj.kind == InvoiceKind.INVOICE and not _is_credited(line)]
    if obj.payer_user_id == user.pk:
        back = ("telework:my_invoices", _("Mes factures"))
    elif _is_manager(user):
        back = ("telework:operator_invoices", _("Factures des télécentres"))
    else:
        back = ("telework:employer_invoices", _("Factures de votre organisation"))
    return render(
        request,
        "telework/billing/detail.html",
        {
            "invoice": obj,
            "title": invoice_title(obj),
            "lines": lines,
            "totals": services.invoice_totals(obj),
            "seller": obj.seller,
            "credit_notes": list(obj.credit_notes.all()),
            "can_credit": bool(remaining) and user.has_perm("telework.credit_invoice", obj),
            "back_url": reverse(back[0]),
            "back_label": back[1],
        },
    )


def _is_credited(line: Any) -> bool:
    return bool(line.credited_by.all())  # prefetched


@require_GET
@permission_required_for_object("telework.view_invoice", _invoice)
def invoice_pdf(request: HttpRequest, pk: int, obj: Invoice) -> HttpResponse:
    if not obj.pdf:  # issued before its PDF could be attached (never by the service): make it now
        obj = services.invoice_attach_pdf(obj)
    return serve(  # type: ignore[return-value]  # a FileResponse, streamed
        obj.pdf, content_type="application/pdf", filename=pdf_filename(obj), inline=False
    )


@require_http_methods(["GET", "POST"])
def invoices_issue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _is_manager(user):
        raise PermissionDenied(_("Cette page est réservée aux gestionnaires de télécentre."))
    operators = queries.managed_operators(user)
    result = None
    billing_missing = None  # the chosen operator, when its invoicing details are missing
    if request.method == "POST":
        form = IssueForm(request.POST, operators=operators)
        if form.is_valid():
            operator = form.cleaned_data["operator"]
            if not user.has_perm("telework.issue_invoices", operator):
                raise PermissionDenied(_("Vous ne pouvez pas émettre les factures de cet exploitant."))
            year, month = form.month_value()
            try:
                result = services.invoices_issue_month(actor=user, operator=operator, year=year, month=month)
            except ValidationError as exc:
                form.add_service_errors(exc)
                if getattr(exc, "code", None) == "no_billing_details":
                    billing_missing = operator
            else:
                if result.issued:
                    messages.success(
                        request,
                        _("%(count)s facture(s) de %(month)s émise(s) pour %(operator)s.")
                        % {"count": len(result.issued), "month": result.label, "operator": operator.name},
                    )
                else:
                    messages.info(
                        request,
                        _("Rien de nouveau à facturer pour %(operator)s en %(month)s.")
                        % {"operator": operator.name, "month": result.label},
                    )
    else:
        form = IssueForm(operators=operators)
    return render(
        request,
        "telework/billing/issue.html",
        {
            "form": form,
            "result": result,
            "has_operators": operators.exists(),
            "billing_missing": billing_missing,
            "without_details": [
                operator
                for operator in operator_services.missing_billing(operators)
                if billing_missing is None or operator.pk != billing_missing.pk
            ],
        },
    )


def _operator(request: HttpRequest, pk: int) -> Organisation:
    """An organisation that operates a telecentre (or already has invoicing details)."""
    if not plausible_key(pk):
        raise Http404
    operator = (
        Organisation.objects.filter(pk=pk)
        .filter(Q(operated_telecentres__isnull=False) | Q(telework_billing__isnull=False))
        .first()
    )
    if operator is None:
        raise Http404
    return operator


@require_http_methods(["GET", "POST"])
@permission_required_for_object("telework.issue_invoices", _operator)
def operator_billing(request: HttpRequest, pk: int, obj: Organisation) -> HttpResponse:
    """The operator's invoicing details: a form to fill them in, or to change them."""
    billing = OperatorBilling.objects.filter(operator=obj).first()
    frozen_prefix = operator_services.frozen_prefix(obj, billing)
    frozen = frozen_prefix is not None
    initial = OperatorBillingForm.initial_from(billing, obj)
    if frozen:
        initial["invoice_prefix"] = frozen_prefix
    if request.method == "POST":
        form = OperatorBillingForm(request.POST, prefix_frozen=frozen, initial=initial)
        if form.is_valid():
            try:
                operator_services.operator_billing_save(actor=request.user, operator=obj, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Les mentions des factures de « %(operator)s » sont enregistrées.") % {"operator": obj.name},
                )
                return redirect("telework:operator_billing", pk=obj.pk)
    else:
        form = OperatorBillingForm(prefix_frozen=frozen, initial=initial)
    today = timezone.localdate()
    counter = InvoiceCounter.objects.filter(operator=obj, year=today.year).first()
    prefix = initial.get("invoice_prefix", "")
    telecentres = Telecentre.objects.filter(operator=obj).select_related("place").order_by("place__name")
    return render(
        request,
        "telework/billing/operator_billing.html",
        {
            "operator": obj,
            "billing": billing,
            "form": form,
            "prefix_frozen": frozen,
            "next_number": f"{prefix}-{today.year}-{(counter.last_number if counter else 0) + 1:05d}",
            "telecentres": [t for t in telecentres if request.user.has_perm("telework.manage_telecentre", t)],
            "can_issue": _is_manager(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("telework.credit_invoice", _invoice)
def invoice_credit(request: HttpRequest, pk: int, obj: Invoice) -> HttpResponse:
    detail_url = reverse("telework:invoice_detail", args=[obj.pk])
    if obj.kind != InvoiceKind.INVOICE:
        messages.error(request, _("Un avoir ne se corrige pas par un autre avoir."))
        return redirect(detail_url)
    lines = obj.lines.filter(credited_by__isnull=True).order_by("position")
    if not lines.exists():
        messages.info(request, _("Cette facture est déjà entièrement annulée par des avoirs."))
        return redirect(detail_url)
    if request.method == "POST":
        form = CreditForm(request.POST, lines=lines)
        if form.is_valid():
            try:
                note = services.invoice_credit(
                    actor=request.user,
                    invoice=obj,
                    reason=form.cleaned_data["reason"],
                    lines=list(form.cleaned_data["lines"]),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("L'avoir %(number)s est émis sur la facture %(invoice)s.")
                    % {"number": note.number, "invoice": obj.number},
                )
                return redirect("telework:invoice_detail", pk=note.pk)
    else:
        form = CreditForm(lines=lines)
    return render(
        request,
        "telework/billing/credit.html",
        {"invoice": obj, "form": form, "title": invoice_title(obj), "detail_url": detail_url},
    )


@require_GET
def invoices_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if _is_manager(user):
        queryset, operators = queries.of_operators(user), queries.managed_operators(user)
    elif _is_employer_manager(user):
        queryset, operators = queries.of_employers(user), None
    else:
        raise PermissionDenied(_("Vous n'avez pas accès à cet export."))
    _form, values, _query = _filters(request, operators)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    return csv_response(
        f"journal-des-ventes-{stamp}.csv", queries.sales_journal(queries.filtered(queryset, **values)), stream=True
    )


urlpatterns = [
    path("mes-factures/", my_invoices, name="my_invoices"),
    path("factures/<int:pk>/", invoice_detail, name="invoice_detail"),
    path("factures/<int:pk>/pdf/", invoice_pdf, name="invoice_pdf"),
    path("factures/<int:pk>/avoir/", invoice_credit, name="invoice_credit"),
    path("gestion/factures/", operator_invoices, name="operator_invoices"),
    path("gestion/factures/emettre/", invoices_issue, name="invoices_issue"),
    path("gestion/factures/export.csv", invoices_export, name="invoices_export"),
    path("gestion/exploitants/<int:pk>/facturation/", operator_billing, name="operator_billing"),
    path("employeur/factures/", employer_invoices, name="employer_invoices"),
]
