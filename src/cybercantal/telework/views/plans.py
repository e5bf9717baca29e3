"""Part "plans": plans, memberships, the member's space, credits, the member's profile.

Who may use each page:
- ``plans`` (``<slug>/formules/``): everyone, no sign-in;
- ``subscribe`` (``<slug>/formules/<pk>/adherer/``): any signed-in person, for themself;
- ``my_space``, ``profile``: any signed-in person, their own data only;
- ``plan_manage``, ``plan_create``, ``plan_edit``, ``plan_delete``: ``telework.manage_telecentre``
  on the telecentre (its managers, the programme team);
- ``members``: ``telework.manage_memberships`` on the telecentre;
- ``membership_detail``: ``telework.view_membership`` (the member, the telecentre's managers,
  the programme team); ``membership_buy_again``, ``membership_end``: the same people (the
  service checks again); ``membership_grant``: ``telework.manage_memberships``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.forms import plausible_key

from ..forms.plans import BuyAgainForm, EndForm, GestureForm, MembersFilterForm, PlanForm, ProfileForm
from ..models import MONTHLY_PLAN_KINDS, MemberProfile, Membership, Plan, PlanKind, Telecentre, TelecentreStatus
from ..queries import plans as queries
from ..services import plans as services

PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 50


def _telecentre(request: HttpRequest, slug: str, **kwargs: Any) -> Telecentre:
    telecentre = queries.telecentre_by_slug(slug) if plausible_key(slug, digits=False) else None
    if telecentre is None:
        raise Http404(_("Ce télécentre n'existe pas."))
    return telecentre


def _membership(request: HttpRequest, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("member", "plan", "agreement__employer", "telecentre__place"), pk=pk
    )


def _plan_of(telecentre: Telecentre, pk: int) -> Plan:
    return get_object_or_404(Plan.objects.select_related("telecentre__place"), pk=pk, telecentre=telecentre)


# --- public -----------------------------------------------------------------------------------


@login_not_required
@require_GET
def plans(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: the telecentre's plans on sale, HT and TTC, what each includes."""
    telecentre = _telecentre(request, slug)
    current = queries.open_membership(request.user, telecentre)
    return render(
        request,
        "telework/plans/plans.html",
        {
            "telecentre": telecentre,
            "cards": queries.public_plans(telecentre),
            "current": current,
            "is_open": telecentre.status == TelecentreStatus.OPEN,
            "may_manage": request.user.is_authenticated
            and request.user.has_perm("telework.manage_telecentre", telecentre),
        },
    )


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Signed-in people: the confirmation page (price, what happens), then the membership."""
    telecentre = _telecentre(request, slug)
    plan = _plan_of(telecentre, pk)
    if not plan.is_active or not plan.is_public:
        raise Http404(_("Cette formule n'est plus proposée."))
    current = queries.open_membership(request.user, telecentre)
    error = ""
    if request.method == "POST":
        try:
            services.membership_subscribe(actor=request.user, plan=plan)
        except ValidationError as exc:
            fresh = queries.open_membership(request.user, telecentre)
            if fresh is not None and fresh.plan_id == plan.pk and getattr(exc, "code", None) == "duplicate":
                # A double submit: the first one did it.
                messages.info(request, _("Votre adhésion « %(plan)s » est enregistrée.") % {"plan": plan.name})
                return redirect("telework:my_space")
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("Bienvenue au %(telecentre)s : votre formule « %(plan)s » est active.")
                % {"telecentre": telecentre.name, "plan": plan.name},
            )
            return redirect("telework:my_space")
    card = queries.plan_card(plan)
    return render(
        request,
        "telework/plans/subscribe.html",
        {
            "telecentre": telecentre,
            "plan": plan,
            "card": card,
            "current": current,
            "current_view": queries.membership_view(current, with_ledger=False) if current else None,
            "error": error,
            "is_monthly": plan.kind in MONTHLY_PLAN_KINDS,
            "is_pack": plan.kind in services.PACK_KINDS,
        },
        status=400 if error else 200,
    )


# --- the member -------------------------------------------------------------------------------


@require_GET
def my_space(request: HttpRequest) -> HttpResponse:
    """Signed-in people: their memberships, live balances, ledgers, next bookings."""
    views = queries.my_memberships(request.user)
    for view in views:
        view.ledger = view.ledger[:10]
    return render(
        request,
        "telework/plans/my_space.html",
        {
            "views": views,
            "has_open": any(v.is_open for v in views),
            "upcoming": [
                (b, queries.describe_period(b.starts_at, b.ends_at, b.part))
                for b in queries.upcoming_bookings(request.user)
            ],
            "telecentres": queries.open_telecentres() if not any(v.is_open for v in views) else [],
        },
    )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Signed-in people: their billing identity and usual commute (optional)."""
    current = MemberProfile.objects.select_related("home_commune").filter(user=request.user).first()
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.profile_update(actor=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Votre profil est enregistré."))
                return redirect("telework:profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_from(current))
    return render(request, "telework/plans/profile.html", {"form": form}, status=400 if form.errors else 200)


# --- managers: plans ----------------------------------------------------------------------------


manage_required = permission_required_for_object("telework.manage_telecentre", _telecentre)


@manage_required
@require_GET
def plan_manage(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    rows = [(plan, queries.plan_card(plan)) for plan in queries.managed_plans(obj)]
    return render(request, "telework/plans/manage.html", {"telecentre": obj, "rows": rows})


def _plan_form(request: HttpRequest, telecentre: Telecentre, plan: Plan | None) -> HttpResponse:
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                if plan is None:
                    plan = services.plan_create(actor=request.user, telecentre=telecentre, **form.service_kwargs())
                    messages.success(request, _("La formule « %(name)s » est créée.") % {"name": plan.name})
                else:
                    plan = services.plan_update(actor=request.user, plan=plan, **form.service_kwargs())
                    messages.success(request, _("La formule « %(name)s » est enregistrée.") % {"name": plan.name})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("telework:plan_manage", slug=telecentre.slug)
    elif plan is not None:
        form = PlanForm(initial=PlanForm.initial_from(plan))
    else:
        form = PlanForm(initial={"kind": PlanKind.CARNET, "eligible_kinds": ["seat_pool", "office"]})
    in_use = plan.memberships.exists() if plan is not None and plan.pk else False
    return render(
        request,
        "telework/plans/plan_form.html",
        {"telecentre": telecentre, "plan": plan, "form": form, "in_use": in_use},
        status=400 if form.errors else 200,
    )


@manage_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    return _plan_form(request, obj, None)


@manage_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, slug: str, pk: int, obj: Telecentre) -> HttpResponse:
    return _plan_form(request, obj, _plan_of(obj, pk))


@manage_required
@require_POST
def plan_delete(request: HttpRequest, slug: str, pk: int, obj: Telecentre) -> HttpResponse:
    plan = _plan_of(obj, pk)
    if services.plan_delete(actor=request.user, plan=plan):
        messages.success(request, _("La formule « %(name)s » est supprimée.") % {"name": plan.name})
    else:
        messages.warning(
            request,
            _("Des membres ont choisi « %(name)s » : elle est désactivée (plus d'adhésion), pas supprimée.")
            % {"name": plan.name},
        )
    return redirect("telework:plan_manage", slug=obj.slug)


# --- managers: members --------------------------------------------------------------------------


@permission_required_for_object("telework.manage_memberships", _telecentre)
@require_GET
def members(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    plan_list = list(Plan.objects.filter(telecentre=obj).order_by("name"))
    form = MembersFilterForm(request.GET or None, plans=plan_list)
    text, plan_id, state = "", None, "current"
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["q"] or ""
        plan_id = form.cleaned_data["plan"]
        state = form.cleaned_data["state"] or "current"
    page = Paginator(queries.members(obj, text=text, plan_id=plan_id, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "telework/plans/members.html",
        {"telecentre": obj, "form": form, "page": page, "query": query.urlencode()},
    )


# --- a membership ---------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, membership: Membership, **extra: Any) -> dict[str, Any]:
    view = queries.membership_view(membership)
    may_manage = request.user.has_perm("telework.manage_memberships", membership.telecentre)
    page = Paginator(view.ledger, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "membership": membership,
        "view": view,
        "page": page,
        "is_member": membership.member_id == request.user.pk,
        "may_manage": may_manage,
        "may_end": view.is_open and membership.agreement_id is None and membership.ends_on is None,
        "default_end": services.default_end(membership),
        "gesture_form": extra.pop("gesture_form", None) or (GestureForm() if may_manage and view.is_open else None),
        "end_form": extra.pop("end_form", None) or EndForm(initial={"ends_on": services.default_end(membership)}),
        **extra,
    }


@permission_required_for_object("telework.view_membership", _membership)
@require_GET
def membership_detail(request: HttpRequest, pk: int, obj: Membership) -> HttpResponse:
    return render(request, "telework/plans/membership.html", _detail_context(request, obj))


@permission_required_for_object("telework.manage_memberships", _membership)
@require_POST
def membership_grant(request: HttpRequest, pk: int, obj: Membership) -> HttpResponse:
    form = GestureForm(request.POST)
    if form.is_valid():
        try:
            grant = services.membership_grant_gesture(actor=request.user, membership=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Crédits offerts à %(name)s : %(amount)s, valables jusqu'au %(date)s.")
                % {
                    "amount": queries.amount_text(grant.amount, grant.unit),
                    "name": obj.member.get_full_name() or obj.member.email,
                    "date": date_format(grant.expires_on, "j F Y"),
                },
            )
            return redirect("telework:membership_detail", pk=obj.pk)
    return render(
        request, "telework/plans/membership.html", _detail_context(request, obj, gesture_form=form), status=400
    )


@permission_required_for_object("telework.view_membership", _membership)
@require_POST
def membership_end(request: HttpRequest, pk: int, obj: Membership) -> HttpResponse:
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            ended = services.membership_end(actor=request.user, membership=obj, on=form.cleaned_data["ends_on"])
        except ValidationError as exc:
            if getattr(exc, "code", None) == "forbidden":
                raise PermissionDenied(exc.messages[0]) from exc
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("L'adhésion « %(plan)s » prendra fin le %(date)s au soir.")
                % {"plan": ended.plan.name if ended.plan else "", "date": date_format(ended.ends_on, "l j F Y")},
            )
            return redirect("telework:membership_detail", pk=obj.pk)
    return render(request, "telework/plans/membership.html", _detail_context(request, obj, end_form=form), status=400)


@permission_required_for_object("telework.view_membership", _membership)
@require_http_methods(["GET", "POST"])
def membership_buy_again(request: HttpRequest, pk: int, obj: Membership) -> HttpResponse:
    view = queries.membership_view(obj, with_ledger=False)
    if not view.can_buy_again:
        raise Http404(_("Cette formule ne se rachète pas."))
    error = ""
    if request.method == "POST":
        form = BuyAgainForm(request.POST)
        if form.is_valid():
            try:
                services.membership_buy_again(
                    actor=request.user, membership=obj, expected_purchases=form.cleaned_data["purchases"]
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "forbidden":
                    raise PermissionDenied(exc.messages[0]) from exc
                if getattr(exc, "code", None) == "duplicate":
                    messages.info(request, exc.messages[0])
                    return redirect("telework:my_space")
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("C'est acheté : vos nouveaux crédits sont dans votre solde."))
                if obj.member_id == request.user.pk:
                    return redirect("telework:my_space")
                return redirect("telework:membership_detail", pk=obj.pk)
        else:
            error = _("La page a expiré : rechargez-la et recommencez.")
    plan = obj.plan
    assert plan is not None  # noqa: S101 - can_buy_again implies a plan
    return render(
        request,
        "telework/plans/buy_again.html",
        {
            "membership": obj,
            "plan": plan,
            "card": queries.plan_card(plan),
            "view": view,
            "form": BuyAgainForm(initial={"purchases": view.purchases}),
            "error": error,
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("mon-espace/", my_space, name="my_space"),
    path("mon-espace/profil/", profile, name="profile"),
    path("adhesions/<int:pk>/", membership_detail, name="membership_detail"),
    path("adhesions/<int:pk>/credits/", membership_grant, name="membership_grant"),
    path("adhesions/<int:pk>/fin/", membership_end, name="membership_end"),
    path("adhesions/<int:pk>/racheter/", membership_buy_again, name="membership_buy_again"),
    path("gestion/<slug:slug>/formules/", plan_manage, name="plan_manage"),
    path("gestion/<slug:slug>/formules/nouvelle/", plan_create, name="plan_create"),
    path("gestion/<slug:slug>/formules/<int:pk>/", plan_edit, name="plan_edit"),
    path("gestion/<slug:slug>/formules/<int:pk>/supprimer/", plan_delete, name="plan_delete"),
    path("gestion/<slug:slug>/membres/", members, name="members"),
    path("<slug:slug>/formules/", plans, name="plans"),
    path("<slug:slug>/formules/<int:pk>/adherer/", subscribe, name="subscribe"),
]
