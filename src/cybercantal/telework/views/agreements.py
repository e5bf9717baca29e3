"""Part "agreements": employer agreements (conventions de télétravail), the employer's space,
and joining an agreement.

Who may use each page:
- ``agreement_list`` (``conventions/``): the programme team (``telework.manage_agreements``)
  sees every agreement; a telecentre manager sees, read-only, those covering their
  telecentres; anyone else gets 403.
- ``agreement_create``, ``agreement_edit``, ``agreement_activate``, ``agreement_end``: the
  programme team (``telework.manage_agreements``).
- ``agreement_detail`` (``conventions/<pk>/``): ``telework.view_agreement`` (the programme
  team, the managers of a telecentre it covers, the employer's managers); the internal notes
  only for the programme team.
- ``employee_add``, ``employees_import``, ``employee_remove``, ``employee_readd`` (under
  ``conventions/<pk>/salaries/`` and ``employeur/conventions/<pk>/salaries/``):
  ``telework.manage_agreement_employees`` (the employer's managers, the programme team).
- ``employer_home`` (``employeur/``): ``telework.view_employer_space`` (employer managers):
  the agreements of the organisations they manage.
- ``employer_agreement`` (``employeur/conventions/<pk>/``): the employer's managers (and the
  programme team): ``telework.manage_agreement_employees`` on the agreement.
- ``join`` (``rejoindre/``) and ``join_confirm`` (``rejoindre/<pk>/``): any signed-in person,
  for the invitations sent to one of their verified addresses.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors

from ..forms.agreements import (
    ActivateForm,
    AgreementForm,
    EmployeeForm,
    EmployeeImportForm,
    EndForm,
    FilterForm,
    JoinForm,
)
from ..models import AgreementEmployee, AgreementStatus, EmployerAgreement, Invoice, Telecentre
from ..queries import agreements as queries
from ..services import agreements as services

PAGE_SIZE = 30
SUBMISSION_SECONDS = 3600
EMPLOYER = "employer"
PROGRAMME = "programme"


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


def _agreement(request: HttpRequest, pk: int, **kwargs: Any) -> EmployerAgreement:
    return get_object_or_404(EmployerAgreement.objects.select_related("employer"), pk=pk)


programme_required = permission_required_for_object("telework.manage_agreements", _no_object, pass_object=False)


def status_label(agreement: EmployerAgreement) -> str:
    """What the agreement's state means today, in words."""
    today = timezone.localdate()
    if agreement.status == AgreementStatus.DRAFT:
        return _("En préparation")
    if agreement.status == AgreementStatus.ENDED or (agreement.ends_on and agreement.ends_on < today):
        if agreement.ends_on:
            return _("Terminée le %(date)s") % {"date": date_format(agreement.ends_on, "j F Y")}
        return _("Terminée")
    if agreement.starts_on > today:
        return _("Signée, prend effet le %(date)s") % {"date": date_format(agreement.starts_on, "j F Y")}
    if agreement.ends_on:
        return _("En vigueur jusqu'au %(date)s") % {"date": date_format(agreement.ends_on, "j F Y")}
    return _("En vigueur")


def _space_urls(space: str, agreement: EmployerAgreement) -> dict[str, str]:
    prefix = "telework:employer_" if space == EMPLOYER else "telework:"
    home = "telework:employer_agreement" if space == EMPLOYER else "telework:agreement_detail"
    return {
        "back": reverse(home, args=[agreement.pk]),
        "employee_add": reverse(f"{prefix}employee_add", args=[agreement.pk]),
        "employees_import": reverse(f"{prefix}employees_import", args=[agreement.pk]),
    }


def _employee_urls(space: str, agreement: EmployerAgreement, lines: list[queries.EmployeeLine]) -> list[dict[str, Any]]:
    prefix = "telework:employer_" if space == EMPLOYER else "telework:"
    return [
        {
            "line": line,
            "remove_url": reverse(f"{prefix}employee_remove", args=[agreement.pk, line.employee.pk]),
            "readd_url": reverse(f"{prefix}employee_readd", args=[agreement.pk, line.employee.pk]),
        }
        for line in lines
    ]


def _agreement_context(request: HttpRequest, agreement: EmployerAgreement, space: str) -> dict[str, Any]:
    may_name = request.user.has_perm("telework.manage_agreement_employees", agreement) and not services.is_over(
        agreement
    )
    return {
        "agreement": agreement,
        "status_label": status_label(agreement),
        "telecentres": queries.agreement_telecentres(agreement),
        "employees": _employee_urls(space, agreement, queries.employee_lines(agreement)),
        "removed_employees": _employee_urls(space, agreement, queries.employee_lines(agreement, removed=True)),
        "usage": queries.usage_by_month(agreement),
        "invoices": list(Invoice.objects.filter(agreement=agreement).order_by("-issued_on", "-sequence")[:24]),
        "may_name": may_name,
        "employee_form": EmployeeForm(),
        "urls": _space_urls(space, agreement),
        "space": space,
    }


# --- the programme team's pages -----------------------------------------------------------------


@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:  # pragma: no cover - LoginRequiredMiddleware answers first
        raise PermissionDenied
    programme = user.has_perm("telework.manage_agreements")
    managed = set() if programme else queries.managed_telecentre_ids(user)
    if not programme and not managed:
        raise PermissionDenied(_("Cette page est réservée à l'équipe du programme et aux gestionnaires de télécentre."))
    telecentres = Telecentre.objects.select_related("place").order_by("place__name")
    if not programme:
        telecentres = telecentres.filter(pk__in=managed)
    visible = queries.agreements_for(user)
    employers = queries.employers().filter(pk__in=visible.values("employer_id"))
    form = FilterForm(request.GET or None, telecentres=telecentres, employers=employers)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "status": form.cleaned_data["statut"],
            "telecentre": form.cleaned_data["telecentre"],
            "employer": form.cleaned_data["employeur"],
            "text": form.cleaned_data["q"],
        }
    page = Paginator(queries.agreements_for(user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"agreement": a, "status_label": status_label(a)} for a in page.object_list]
    return render(
        request,
        "telework/agreements/list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "may_create": programme,
            "filtered": bool(
                request.GET.get("statut")
                or request.GET.get("q")
                or request.GET.get("telecentre")
                or request.GET.get("employeur")
            ),
        },
    )


def _submission_key(request: HttpRequest, token: str) -> str:
    return f"telework:agreement-create:{request.user.pk}:{token}"


def _agreement_form(request: HttpRequest, agreement: EmployerAgreement | None) -> HttpResponse:
    if request.method == "POST":
        form = AgreementForm(request.POST, agreement=agreement)
        token = (request.POST.get("submission") or "")[:64]
        key = _submission_key(request, token) if token and agreement is None else ""
        if key and not cache.add(key, 0, SUBMISSION_SECONDS):  # the same form sent again
            done = cache.get(key)
            if done:
                messages.info(request, _("Cette convention est déjà créée."))
                return redirect("telework:agreement_detail", pk=done)
            messages.info(request, _("La création de cette convention est en cours : retrouvez-la dans la liste."))
            return redirect("telework:agreement_list")
        if form.is_valid():
            try:
                if agreement is None:
                    agreement = services.agreement_create(actor=request.user, **form.service_kwargs())
                    if key:
                        cache.set(key, agreement.pk, SUBMISSION_SECONDS)
                    messages.success(
                        request,
                        _(
                            "La convention %(reference)s est créée, en préparation. "
                            "Ajoutez les salariés, puis enregistrez la signature."
                        )
                        % {"reference": agreement.reference},
                    )
                else:
                    agreement = services.agreement_update(
                        actor=request.user, agreement=agreement, **form.service_kwargs()
                    )
                    messages.success(
                        request, _("La convention %(reference)s est enregistrée.") % {"reference": agreement.reference}
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("telework:agreement_detail", pk=agreement.pk)
        if key:
            cache.delete(key)  # not created: the corrected form may be sent again
    elif agreement is not None:
        form = AgreementForm(initial=AgreementForm.initial_from(agreement), agreement=agreement)
    else:
        form = AgreementForm(
            initial={"starts_on": timezone.localdate(), "days_per_week": 2, "submission": secrets.token_urlsafe(16)}
        )
    return render(request, "telework/agreements/form.html", {"form": form, "agreement": agreement})


@programme_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest) -> HttpResponse:
    return _agreement_form(request, None)


@permission_required_for_object("telework.manage_agreements", _agreement)
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int, obj: EmployerAgreement) -> HttpResponse:
    if obj.status == AgreementStatus.ENDED:
        messages.error(request, _("Cette convention est terminée : elle ne change plus."))
        return redirect("telework:agreement_detail", pk=obj.pk)
    return _agreement_form(request, obj)


@permission_required_for_object("telework.view_agreement", _agreement)
@require_GET
def agreement_detail(request: HttpRequest, pk: int, obj: EmployerAgreement) -> HttpResponse:
    context = _agreement_context(request, obj, PROGRAMME)
    programme = request.user.has_perm("telework.manage_agreements")
    context.update(
        {
            "programme": programme,
            "activate_form": ActivateForm(initial={"signed_on": timezone.localdate()}),
            "end_form": EndForm(initial={"ends_on": obj.ends_on or timezone.localdate()}),
        }
    )
    return render(request, "telework/agreements/detail.html", context)


@permission_required_for_object("telework.manage_agreements", _agreement)
@require_POST
def agreement_activate(request: HttpRequest, pk: int, obj: EmployerAgreement) -> HttpResponse:
    form = ActivateForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_activate(actor=request.user, agreement=obj, signed_on=form.cleaned_data["signed_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("La convention %(reference)s est en vigueur. Les salariés nommés reçoivent leur invitation.")
                % {"reference": obj.reference},
            )
            return redirect("telework:agreement_detail", pk=obj.pk)
    return _detail_with_errors(request, obj, activate_form=form)


@permission_required_for_object("telework.manage_agreements", _agreement)
@require_POST
def agreement_end(request: HttpRequest, pk: int, obj: EmployerAgreement) -> HttpResponse:
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            agreement = services.agreement_end(actor=request.user, agreement=obj, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("La convention %(reference)s prend fin le %(date)s.")
                % {"reference": agreement.reference, "date": date_format(agreement.ends_on, "j F Y")},
            )
            return redirect("telework:agreement_detail", pk=obj.pk)
    return _detail_with_errors(request, obj, end_form=form)


def _detail_with_errors(request: HttpRequest, agreement: EmployerAgreement, **forms: Any) -> HttpResponse:
    context = _agreement_context(request, agreement, PROGRAMME)
    context.update(
        {
            "programme": True,
            "activate_form": ActivateForm(initial={"signed_on": timezone.localdate()}),
            "end_form": EndForm(initial={"ends_on": agreement.ends_on or timezone.localdate()}),
            **forms,
        }
    )
    return render(request, "telework/agreements/detail.html", context, status=400)


# --- employees (both spaces) ---------------------------------------------------------------------


def _back(space: str, agreement: EmployerAgreement) -> HttpResponse:
    name = "telework:employer_agreement" if space == EMPLOYER else "telework:agreement_detail"
    return redirect(name, pk=agreement.pk)


@permission_required_for_object("telework.manage_agreement_employees", _agreement)
@require_http_methods(["GET", "POST"])
def employee_add(request: HttpRequest, pk: int, obj: EmployerAgreement, space: str = PROGRAMME) -> HttpResponse:
    if services.is_over(obj):
        messages.error(request, _("Cette convention est terminée : on ne peut plus y ajouter de salarié."))
        return _back(space, obj)
    form = EmployeeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            employee = services.employee_add(actor=request.user, agreement=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if obj.status == AgreementStatus.ACTIVE:
                text = _("%(name)s est ajouté(e). L'invitation part à %(email)s.")
            else:
                text = _("%(name)s est ajouté(e). L'invitation partira à %(email)s à la signature de la convention.")
            messages.success(request, text % {"name": employee, "email": employee.email})
            return _back(space, obj)
    return render(
        request,
        "telework/agreements/employee_add.html",
        {"agreement": obj, "form": form, "urls": _space_urls(space, obj)},
        status=400 if request.method == "POST" else 200,
    )


@permission_required_for_object("telework.manage_agreement_employees", _agreement)
@require_http_methods(["GET", "POST"])
def employees_import(request: HttpRequest, pk: int, obj: EmployerAgreement, space: str = PROGRAMME) -> HttpResponse:
    if services.is_over(obj):
        messages.error(request, _("Cette convention est terminée : on ne peut plus y ajouter de salarié."))
        return _back(space, obj)
    problems: list[str] = []
    if request.method == "POST":
        form = EmployeeImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                added = services.employees_import(actor=request.user, agreement=obj, rows=form.cleaned_data["rows"])
            except ValidationError as exc:
                problems = list(exc.messages)
                form.add_error("text", _("Aucun salarié n'est ajouté : corrigez les lignes signalées et recommencez."))
            else:
                messages.success(request, _("%(count)s salariés sont ajoutés.") % {"count": len(added)})
                return _back(space, obj)
    else:
        form = EmployeeImportForm()
    return render(
        request,
        "telework/agreements/employees_import.html",
        {"agreement": obj, "form": form, "problems": problems, "urls": _space_urls(space, obj)},
        status=400 if request.method == "POST" else 200,
    )


def _employee(obj: EmployerAgreement, employee_pk: int) -> AgreementEmployee:
    return get_object_or_404(AgreementEmployee, pk=employee_pk, agreement=obj)


@permission_required_for_object("telework.manage_agreement_employees", _agreement)
@require_http_methods(["GET", "POST"])
def employee_remove(
    request: HttpRequest, pk: int, employee_pk: int, obj: EmployerAgreement, space: str = PROGRAMME
) -> HttpResponse:
    employee = _employee(obj, employee_pk)
    if request.method == "POST":
        try:
            removal = services.employee_remove(actor=request.user, employee=employee)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = _("%(name)s ne fait plus partie de la convention.") % {"name": employee}
            if removal.cancelled_bookings:
                text += " " + _("%(count)s réservations à venir sont annulées.") % {"count": removal.cancelled_bookings}
            messages.success(request, text)
        return _back(space, obj)
    if employee.removed_on is not None:
        return _back(space, obj)
    return render(
        request,
        "telework/agreements/employee_remove.html",
        {
            "agreement": obj,
            "employee": employee,
            "future_bookings": queries.future_bookings_count(employee),
            "urls": _space_urls(space, obj),
            "action": request.path,
        },
    )


@permission_required_for_object("telework.manage_agreement_employees", _agreement)
@require_POST
def employee_readd(
    request: HttpRequest, pk: int, employee_pk: int, obj: EmployerAgreement, space: str = PROGRAMME
) -> HttpResponse:
    employee = _employee(obj, employee_pk)
    try:
        again = services.employee_readd(actor=request.user, employee=employee)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s est de nouveau salarié(e) de la convention ; une invitation lui est envoyée.")
            % {"name": again},
        )
    return _back(space, obj)


# --- the employer's space ---------------------------------------------------------------------


employer_space_required = permission_required_for_object("telework.view_employer_space", _no_object, pass_object=False)


@employer_space_required
@require_GET
def employer_home(request: HttpRequest) -> HttpResponse:
    agreements = list(queries.employer_agreements(request.user))
    rows = [{"agreement": a, "status_label": status_label(a)} for a in agreements]
    return render(request, "telework/agreements/employer_home.html", {"rows": rows})


@permission_required_for_object("telework.manage_agreement_employees", _agreement)
@require_GET
def employer_agreement(request: HttpRequest, pk: int, obj: EmployerAgreement) -> HttpResponse:
    return render(request, "telework/agreements/employer_agreement.html", _agreement_context(request, obj, EMPLOYER))


# --- joining ------------------------------------------------------------------------------------


@require_GET
def join(request: HttpRequest) -> HttpResponse:
    """The invitations waiting for the signed-in person, and the agreements they joined."""
    invitations = queries.pending_invitations(request.user)
    employments = [
        {
            "employee": e,
            "others": [t for t in e.agreement.telecentres.all() if t.pk not in e.open_ids],
            "joined": [t for t in e.agreement.telecentres.all() if t.pk in e.open_ids],
        }
        for e in queries.my_employments(request.user)
    ]
    return render(
        request,
        "telework/agreements/join.html",
        {
            "invitations": invitations,
            "employments": employments,
            "unverified": queries.unverified_invitations(request.user),
        },
    )


def _joinable(request: HttpRequest, pk: int) -> AgreementEmployee:
    """The person's own invitation (or joined line): anyone else's is a 404."""
    employee = (
        AgreementEmployee.objects.filter(pk=pk, removed_on__isnull=True).select_related("agreement__employer").first()
    )
    if employee is None:
        raise Http404(_("Cette invitation n'existe pas ou n'est plus valable."))
    if employee.user_id is not None:
        if employee.user_id != request.user.pk:
            raise Http404(_("Cette invitation n'existe pas ou n'est plus valable."))
    elif employee.email.lower() not in services.verified_emails(request.user):
        raise Http404(_("Cette invitation n'existe pas ou n'est plus valable."))
    return employee


@require_http_methods(["GET", "POST"])
def join_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _joinable(request, pk)
    agreement = employee.agreement
    if agreement.status != AgreementStatus.ACTIVE or services.is_over(agreement):
        messages.error(request, _("Cette convention n'est pas en vigueur."))
        return redirect("telework:join")
    joined = set(
        agreement.memberships.filter(member_id=request.user.pk, ends_on__isnull=True).values_list(
            "telecentre_id", flat=True
        )
    )
    telecentres = [t for t in queries.agreement_telecentres(agreement) if t.pk not in joined]
    if not telecentres:
        messages.info(request, _("Vous êtes déjà inscrit(e) dans tous les télécentres de cette convention."))
        return redirect("telework:join")
    form = JoinForm(request.POST if request.method == "POST" else None, telecentres=telecentres)
    existing = None
    if request.method == "POST" and form.is_valid():
        telecentre = form.cleaned_data["telecentre"]
        try:
            membership = services.agreement_join(
                actor=request.user,
                employee=employee,
                telecentre=telecentre,
                end_existing=form.cleaned_data["end_existing"],
            )
        except services.JoinError as exc:
            if exc.code == "has_membership":
                existing = exc.membership
                form.add_error("end_existing", exc.messages[0])
            else:
                add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Bienvenue ! %(employer)s prend en charge vos journées au %(telecentre)s. "
                    "Vous pouvez réserver votre poste."
                )
                % {"employer": agreement.employer.name, "telecentre": membership.telecentre.place.name},
            )
            availability = _url_or_empty("telework:availability", telecentre.place.slug)
            return redirect(availability or reverse("telework:join"))
    elif request.method == "GET" and len(telecentres) == 1:
        existing = queries.open_membership(request.user, telecentres[0])
        if existing is not None and existing.agreement_id == agreement.pk:
            existing = None
    return render(
        request,
        "telework/agreements/join_confirm.html",
        {"employee": employee, "agreement": agreement, "form": form, "telecentres": telecentres, "existing": existing},
        status=400 if request.method == "POST" else 200,
    )


def _url_or_empty(name: str, *args: Any) -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


_employee_paths = [
    ("salaries/ajouter/", employee_add, "employee_add"),
    ("salaries/importer/", employees_import, "employees_import"),
    ("salaries/<int:employee_pk>/retirer/", employee_remove, "employee_remove"),
    ("salaries/<int:employee_pk>/reinscrire/", employee_readd, "employee_readd"),
]

urlpatterns = [
    path("conventions/", agreement_list, name="agreement_list"),
    path("conventions/nouvelle/", agreement_create, name="agreement_create"),
    path("conventions/<int:pk>/", agreement_detail, name="agreement_detail"),
    path("conventions/<int:pk>/modifier/", agreement_edit, name="agreement_edit"),
    path("conventions/<int:pk>/signature/", agreement_activate, name="agreement_activate"),
    path("conventions/<int:pk>/fin/", agreement_end, name="agreement_end"),
    *[path(f"conventions/<int:pk>/{route}", view, name=name) for route, view, name in _employee_paths],
    path("employeur/", employer_home, name="employer_home"),
    path("employeur/conventions/<int:pk>/", employer_agreement, name="employer_agreement"),
    *[
        path(f"employeur/conventions/<int:pk>/{route}", view, {"space": EMPLOYER}, name=f"employer_{name}")
        for route, view, name in _employee_paths
    ],
    path("rejoindre/", join, name="join"),
    path("rejoindre/<int:pk>/", join_confirm, name="join_confirm"),
]
