"""Views: mediators and their profile, the hiring aid programme, the labels of places.

Who may use them:
- the programme team (``mediation.manage_mediators``, ``manage_hiring_aid``, ``manage_labels``:
  programme managers and administrators) for everything;
- a mediator for their own profile only (``mediation.view_mediator`` on their person), at
  ``/mediation/mon-profil/`` or their profile's address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.models import Role, User
from cybercantal.core.money import format_euros
from cybercantal.core.spreadsheet import csv_response, decimal_fr
from cybercantal.mediation.forms import mediators as forms
from cybercantal.mediation.models import HiringAid, Mediator, PlaceLabel, Qualification
from cybercantal.mediation.queries import mediators as queries
from cybercantal.mediation.services import mediators as services
from cybercantal.places.models import Place

PAGE_SIZE = 25

View = Callable[..., HttpResponse]


def permission_required(perm: str) -> Callable[[View], View]:
    """A permission that does not depend on an object (the programme team's)."""
    return permission_required_for_object(perm, lambda request, *args, **kwargs: None, pass_object=False)


def _page(request: HttpRequest, object_list: Any) -> Any:
    paginator = Paginator(object_list, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    page.problem = ""
    return page


def _search_text(request: HttpRequest) -> str:
    """The ``q`` of a list, at most 100 characters, without control characters (PostgreSQL
    refuses a NUL byte in a query parameter: it would end in a 500)."""
    raw = request.GET.get("q", "")[:100]
    return "".join(char for char in raw if char.isprintable()).strip()


def _qualifications(values: list[str]) -> list[str]:
    labels = dict(Qualification.choices)
    return [str(labels.get(value, value)) for value in values]


def _money(amount: Any) -> str:
    return format_euros(amount)


def _get_mediator(request: HttpRequest, pk: int) -> Mediator:
    return get_object_or_404(Mediator.objects.select_related("user", "employer"), pk=pk)


def _mediator_user(request: HttpRequest, pk: int) -> User:
    """The object of ``view_mediator`` is the mediator's person (``is_self``)."""
    request._mediator = _get_mediator(request, pk)  # type: ignore[attr-defined]
    return request._mediator.user  # type: ignore[attr-defined]


def _get_aid(request: HttpRequest, pk: int) -> HiringAid:
    return get_object_or_404(queries.aids(), pk=pk)


# --- Mediators -------------------------------------------------------------------------------


@require_GET
@permission_required("mediation.manage_mediators")
def mediator_list(request: HttpRequest) -> HttpResponse:
    """Programme team: every mediator, their employer, EPN, qualifications and current aid."""
    text = _search_text(request)
    page = _page(request, queries.mediators(text=text))
    places = queries.places_by_user(mediator.user_id for mediator in page.object_list)
    rows = [
        {
            "mediator": mediator,
            "places": places.get(mediator.user_id, []),
            "qualifications": _qualifications(mediator.qualifications),
            "aid": mediator.current_aids[0] if mediator.current_aids else None,
            "aid_amount": _money(mediator.current_aids[0].amount_per_year) if mediator.current_aids else "",
        }
        for mediator in page.object_list
    ]
    query = f"q={text}" if text else ""
    return render(
        request,
        "mediation/mediators/list.html",
        {"page": page, "rows": rows, "text": text, "query": query, "htmx_target": ""},
    )


def _profile_context(request: HttpRequest, mediator: Mediator) -> dict[str, Any]:
    today = timezone.localdate()
    memberships = list(queries.place_memberships(mediator))
    places = Place.objects.select_related("commune").in_bulk({m.scope_id for m in memberships})
    history = [
        {
            "place": places.get(m.scope_id),
            "starts_on": m.starts_on,
            "ends_on": m.ends_on,
            "current": m.starts_on <= today and (m.ends_on is None or m.ends_on >= today),
        }
        for m in memberships
    ]
    can_see_aids = request.user.has_perm("mediation.manage_hiring_aid")
    aids = (
        [
            {
                "aid": aid,
                "amount_per_year": _money(aid.amount_per_year),
                "committed": _money(aid.committed_amount),
                "paid": _money(aid.paid),
                "remaining": _money(aid.committed_amount - aid.paid),
                "payments": [(p, _money(p.amount)) for p in aid.payments.all()],
            }
            for aid in queries.aids(mediator=mediator).prefetch_related(queries.payments_prefetch())
        ]
        if can_see_aids
        else []
    )
    return {
        "mediator": mediator,
        "qualifications": _qualifications(mediator.qualifications),
        "current_places": [row["place"] for row in history if row["current"] and row["place"] is not None],
        "history": history,
        "aids": aids,
        "can_see_aids": can_see_aids,
        "can_manage": request.user.has_perm("mediation.manage_mediators"),
        "is_self": mediator.user_id == request.user.pk,
    }


@require_GET
@permission_required_for_object("mediation.view_mediator", _mediator_user, pass_object=False)
def mediator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Programme team, or the mediator themself."""
    mediator = request._mediator  # type: ignore[attr-defined]
    return render(request, "mediation/mediators/detail.html", _profile_context(request, mediator))


@require_GET
@role_required(Role.MEDIATOR)
def my_profile(request: HttpRequest) -> HttpResponse:
    """A mediator's own profile."""
    mediator = queries.mediator_for_user(request.user)
    if mediator is None:
        return render(request, "mediation/mediators/no_profile.html")
    return render(request, "mediation/mediators/detail.html", _profile_context(request, mediator))


def _form_data(form: Any) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "employer": data["employer"],
        "qualifications": data["qualifications"],
        "qualifications_other": data["qualifications_other"],
        "professional_phone": data["professional_phone"],
        "started_on": data["started_on"],
    }


@require_http_methods(["GET", "POST"])
@permission_required("mediation.manage_mediators")
def mediator_create(request: HttpRequest) -> HttpResponse:
    """Programme team: a new mediator (an existing person, or a new account)."""
    form = forms.MediatorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = User.objects.filter(email__iexact=data["email"]).first()
        try:
            mediator = services.mediator_create(
                actor=request.user,
                user=existing,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                places=list(data["places"]),
                **_form_data(form),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le profil de %(name)s est créé.") % {"name": mediator.user})
            return redirect("mediation:mediator_detail", pk=mediator.pk)
    return render(
        request, "mediation/mediators/form.html", {"form": form, "mediator": None}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@permission_required("mediation.manage_mediators")
def mediator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Programme team: change a profile and the EPN the mediator works in."""
    mediator = _get_mediator(request, pk)
    current = queries.places_by_user([mediator.user_id]).get(mediator.user_id, [])
    initial = {
        "employer": mediator.employer,
        "qualifications": mediator.qualifications,
        "qualifications_other": mediator.qualifications_other,
        "professional_phone": mediator.professional_phone,
        "started_on": mediator.started_on,
        "places": current,
    }
    form = forms.MediatorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mediator_update(actor=request.user, mediator=mediator, **_form_data(form))
            services.mediator_set_places(
                actor=request.user, mediator=mediator, places=list(form.cleaned_data["places"])
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le profil est enregistré."))
            return redirect("mediation:mediator_detail", pk=mediator.pk)
    return render(
        request,
        "mediation/mediators/form.html",
        {"form": form, "mediator": mediator},
        status=400 if form.errors else 200,
    )


# --- Hiring aid ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("mediation.manage_hiring_aid")
def aid_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Programme team: record an aid decided for the employer of this mediator."""
    mediator = _get_mediator(request, pk)
    form = forms.HiringAidForm(request.POST or None, initial={"employer": mediator.employer})
    if request.method == "POST" and form.is_valid():
        try:
            aid = services.hiring_aid_create(actor=request.user, mediator=mediator, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("L'aide est enregistrée : %(amount)s engagés.") % {"amount": _money(aid.committed_amount)},
            )
            return redirect("mediation:aid_detail", pk=aid.pk)
    return render(
        request,
        "mediation/mediators/aid_form.html",
        {"form": form, "mediator": mediator},
        status=400 if form.errors else 200,
    )


def _aid_page(request: HttpRequest, aid: HiringAid, **forms_: Any) -> HttpResponse:
    payments = list(aid.payments.order_by("paid_on", "pk"))
    context = {
        "aid": aid,
        "amount_per_year": _money(aid.amount_per_year),
        "committed": _money(aid.committed_amount),
        "paid": _money(aid.paid),
        "remaining": _money(aid.committed_amount - aid.paid),
        "payments": [(p, _money(p.amount)) for p in payments],
        "payment_form": forms_.get("payment_form") or forms.PaymentForm(initial={"paid_on": timezone.localdate()}),
        "end_form": forms_.get("end_form") or forms.AidEndForm(prefix="end"),
        "error": forms_.get("error", ""),
        "can_cancel": not payments and aid.status != HiringAid.Status.CANCELLED,
    }
    status = 400 if any(f is not None and f.errors for f in forms_.values() if hasattr(f, "errors")) else 200
    if forms_.get("error"):
        status = 400
    return render(request, "mediation/mediators/aid_detail.html", context, status=status)


@require_GET
@permission_required("mediation.manage_hiring_aid")
def aid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Programme team: an aid, its payments, and the forms to pay or end it."""
    return _aid_page(request, _get_aid(request, pk))


@require_POST
@permission_required("mediation.manage_hiring_aid")
def aid_payment(request: HttpRequest, pk: int) -> HttpResponse:
    aid = _get_aid(request, pk)
    form = forms.PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = services.hiring_aid_payment_record(actor=request.user, aid=aid, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Versement de %(amount)s enregistré.") % {"amount": _money(payment.amount)})
            return redirect("mediation:aid_detail", pk=aid.pk)
    return _aid_page(request, aid, payment_form=form)


@require_POST
@permission_required("mediation.manage_hiring_aid")
def aid_end(request: HttpRequest, pk: int) -> HttpResponse:
    aid = _get_aid(request, pk)
    form = forms.AidEndForm(request.POST, prefix="end")
    if form.is_valid():
        try:
            services.hiring_aid_end(actor=request.user, aid=aid, on=form.cleaned_data["on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("L'aide prend fin."))
            return redirect("mediation:aid_detail", pk=aid.pk)
    return _aid_page(request, aid, end_form=form)


@require_POST
@permission_required("mediation.manage_hiring_aid")
def aid_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    aid = _get_aid(request, pk)
    try:
        services.hiring_aid_cancel(actor=request.user, aid=aid)
    except ValidationError as exc:
        return _aid_page(request, aid, error=" ".join(exc.messages))
    messages.success(request, _("L'aide est annulée."))
    return redirect("mediation:aid_detail", pk=aid.pk)


def _line(line: queries.Line) -> dict[str, Any]:
    return {
        "label": line.label,
        "key": line.key,
        "count": line.count,
        "committed": _money(line.committed),
        "paid": _money(line.paid),
        "remaining": _money(line.remaining),
    }


@require_GET
@permission_required("mediation.manage_hiring_aid")
def programme(request: HttpRequest) -> HttpResponse:
    """Programme team: committed, paid and remaining, per aid, per year, per employer, in total."""
    summary = queries.programme()
    rows = [
        {
            "aid": aid,
            "committed": _money(aid.committed_amount),
            "paid": _money(aid.paid),
            "remaining": _money(aid.committed_amount - aid.paid),
        }
        for aid in summary.aids
    ]
    return render(
        request,
        "mediation/mediators/programme.html",
        {
            "rows": rows,
            "by_year": [_line(line) for line in summary.by_year],
            "by_employer": [_line(line) for line in summary.by_employer],
            "total": _line(summary.total),
        },
    )


@require_GET
@permission_required("mediation.manage_hiring_aid")
def programme_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Programme team: the aids as CSV (``;``, decimal comma, UTF-8 with BOM: opens in a spreadsheet)."""
    summary = queries.programme()

    def rows() -> Iterator[list[Any]]:
        yield [
            _("Médiateur"),
            _("Employeur"),
            _("Début"),
            _("Fin"),
            _("Statut"),
            _("Montant annuel"),
            _("Engagé"),
            _("Versé"),
            _("Reste à verser"),
        ]
        for aid in summary.aids:
            yield [
                aid.mediator,
                aid.employer.name,
                aid.starts_on.isoformat(),
                aid.ends_on.isoformat(),
                aid.get_status_display(),
                decimal_fr(aid.amount_per_year),
                decimal_fr(aid.committed_amount),
                decimal_fr(aid.paid),
                decimal_fr(aid.committed_amount - aid.paid),
            ]
        total = summary.total
        yield [
            _("Total"),
            "",
            "",
            "",
            "",
            "",
            decimal_fr(total.committed),
            decimal_fr(total.paid),
            decimal_fr(total.remaining),
        ]

    return csv_response(f"aides-embauche-{timezone.localdate():%Y%m%d}.csv", rows(), stream=True)


# --- Labels ----------------------------------------------------------------------------------


@require_GET
@permission_required("mediation.manage_labels")
def label_list(request: HttpRequest) -> HttpResponse:
    """Programme team: every EPN with its label history."""
    text = _search_text(request)
    page = _page(request, queries.label_places(text=text))
    today = timezone.localdate()
    rows = [
        {
            "place": place,
            "labels": [
                {
                    "label": label,
                    "current": label.since <= today and (label.until is None or label.until >= today),
                }
                for label in place.labels.all()
            ],
        }
        for place in page.object_list
    ]
    query = f"q={text}" if text else ""
    return render(
        request,
        "mediation/mediators/labels.html",
        {"page": page, "rows": rows, "text": text, "query": query, "htmx_target": ""},
    )


def _label_place(request: HttpRequest, slug: str) -> Place:
    return get_object_or_404(Place.objects.select_related("commune"), slug=slug)


@require_http_methods(["GET", "POST"])
@permission_required("mediation.manage_labels")
def label_add(request: HttpRequest, slug: str) -> HttpResponse:
    place = _label_place(request, slug)
    form = forms.LabelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.place_label_add(actor=request.user, place=place, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le label est ajouté à %(place)s.") % {"place": place.name})
            return redirect("mediation:label_list")
    history = list(PlaceLabel.objects.filter(place=place).order_by("since", "pk"))
    status = 400 if form.errors else 200
    return render(
        request,
        "mediation/mediators/label_form.html",
        {"form": form, "place": place, "history": history},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@permission_required("mediation.manage_labels")
def label_end(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(PlaceLabel.objects.select_related("place"), pk=pk)
    form = forms.LabelEndForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.place_label_end(actor=request.user, label=label, on=form.cleaned_data["on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le label prend fin."))
            return redirect("mediation:label_list")
    status = 400 if form.errors else 200
    return render(request, "mediation/mediators/label_end.html", {"form": form, "label": label}, status=status)


@require_POST
@permission_required("mediation.manage_labels")
def label_remove(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(PlaceLabel, pk=pk)
    services.place_label_remove(actor=request.user, label=label)
    messages.success(request, _("Le label est supprimé de l'historique."))
    return redirect("mediation:label_list")


urlpatterns = [
    path("mediation/mediateurs/", mediator_list, name="mediator_list"),
    path("mediation/mediateurs/nouveau/", mediator_create, name="mediator_create"),
    path("mediation/mediateurs/<int:pk>/", mediator_detail, name="mediator_detail"),
    path("mediation/mediateurs/<int:pk>/modifier/", mediator_edit, name="mediator_edit"),
    path("mediation/mediateurs/<int:pk>/aides/nouvelle/", aid_create, name="aid_create"),
    path("mediation/mon-profil/", my_profile, name="my_profile"),
    path("mediation/aides-embauche/", programme, name="aid_programme"),
    path("mediation/aides-embauche/export.csv", programme_csv, name="aid_programme_csv"),
    path("mediation/aides-embauche/<int:pk>/", aid_detail, name="aid_detail"),
    path("mediation/aides-embauche/<int:pk>/versement/", aid_payment, name="aid_payment"),
    path("mediation/aides-embauche/<int:pk>/fin/", aid_end, name="aid_end"),
    path("mediation/aides-embauche/<int:pk>/annulation/", aid_cancel, name="aid_cancel"),
    path("mediation/labels/", label_list, name="label_list"),
    path("mediation/labels/lieu/<slug:slug>/ajouter/", label_add, name="label_add"),
    path("mediation/labels/<int:pk>/fin/", label_end, name="label_end"),
    path("mediation/labels/<int:pk>/suppression/", label_remove, name="label_remove"),
]
