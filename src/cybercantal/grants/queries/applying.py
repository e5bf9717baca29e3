"""Reads of the applying part: the person's businesses, their drafts, a dossier with what its
steps show."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404

from cybercantal.accounts.models import Organisation, Role, RoleMembership

from ..models import Application, ExpenseCategory, ExpenseLine, GrantProgramme, Status


def businesses_of(user: Any) -> QuerySet[Organisation]:
    """The businesses for which the person is an applicant today, by name."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    organisation_type = ContentType.objects.get_for_model(Organisation)
    ids = (
        RoleMembership.objects.filter(user_id=user.pk, role=Role.BUSINESS_APPLICANT, scope_type=organisation_type)
        .active()
        .values("scope_id")
    )
    return (
        Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.BUSINESS)
        .select_related("commune")
        .order_by("name", "pk")
    )


def draft_of(programme: GrantProgramme, organisation: Organisation) -> Application | None:
    return Application.objects.filter(programme=programme, organisation=organisation, status=Status.DRAFT).first()


def application_by_reference(reference: str) -> Application:
    """The dossier with what the steps show, or 404 (junk references included)."""
    if not reference or len(reference) > 24 or "\x00" in reference:
        raise Http404
    application = (
        Application.objects.select_related(
            "programme", "organisation", "premises_commune__departement", "premises_commune__parent", "canton"
        )
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise Http404
    return application


def lines_of(application: Application) -> list[ExpenseLine]:
    return list(application.lines.select_related("category", "quote").order_by("position", "pk"))


def categories_of(programme: GrantProgramme) -> QuerySet[ExpenseCategory]:
    return programme.categories.order_by("position", "label")


def published_programme(slug: str) -> GrantProgramme:
    if not slug or len(slug) > 60:
        raise Http404
    programme = GrantProgramme.objects.filter(slug=slug, is_published=True).first()
    if programme is None:
        raise Http404
    return programme
