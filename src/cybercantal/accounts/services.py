"""Every write about people, organisations and roles.

Each function takes keyword arguments (the ``actor`` first), runs in one transaction,
checks who may do it, writes the journal, and sends emails only after commit. Refusals
are ``ValidationError`` (bad input, with the field concerned) or ``NotAllowed`` (the actor
may not do this), both with a French message.

``actor=None`` means "the platform itself" (management commands, demo data); views always
pass the signed-in person.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.tasks import send_email

from . import personal_data
from .models import DEPARTEMENT_ROLES, SCOPED_ROLES, Organisation, Role, RoleMembership, User
from .queries import forget_cached_roles, has_staff_role
from .validators import normalise_siret

logger = logging.getLogger(__name__)

# How long the administrators have to act on a deletion request (shown to the person).
DELETION_DELAY_DAYS = 30

_UNSET: Any = object()


class NotAllowed(PermissionDenied):
    """The actor may not do this. ``str(exc)`` is a French sentence for the person."""


def require_permission(actor: Any, perm: str, obj: Any = None, message: str = "") -> None:
    """The check every service of every app starts with: ``actor`` (a user, or None for the
    platform itself: demo data, periodic jobs) must hold ``perm`` on ``obj``, else
    ``NotAllowed`` with a French sentence (``message`` or a general one)."""
    if actor is None:  # the platform itself
        return
    if not actor.has_perm(perm, obj):
        raise NotAllowed(message or _("Vous n'avez pas le droit de faire cette opération."))


_require = require_permission


# --- Organisations ----------------------------------------------------------------------------


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:200] or "organisation"
    slug, n = base, 2
    existing = Organisation.objects.exclude(pk=exclude_pk) if exclude_pk else Organisation.objects.all()
    while existing.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _save_organisation(organisation: Organisation) -> None:
    try:
        with transaction.atomic():  # savepoint: the outer transaction survives a refusal
            organisation.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
            organisation.save()
    except IntegrityError as exc:
        siret_taken = (
            organisation.siret
            and Organisation.objects.filter(siret=organisation.siret).exclude(pk=organisation.pk).exists()
        )
        if siret_taken:
            raise ValidationError({"siret": _("Une organisation porte déjà ce numéro SIRET.")}) from exc
        raise ValidationError(_("L'organisation n'a pas pu être enregistrée : une donnée est en conflit.")) from exc


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    siret: str = "",
    commune: Any = None,
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Create an organisation. SIRET is optional, checked (Luhn, La Poste rule) and unique."""
    _require(actor, "accounts.add_organisation")
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        siret=normalise_siret(siret),
        commune=commune,
        email=email.strip(),
        phone=phone.strip(),
        slug=_unique_slug(name),
    )
    _save_organisation(organisation)
    journal.record(actor=actor, action="organisation.created", target=organisation, data={"kind": kind})
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str = _UNSET,
    kind: str = _UNSET,
    siret: str = _UNSET,
    commune: Any = _UNSET,
    email: str = _UNSET,
    phone: str = _UNSET,
) -> Organisation:
    """Change the given fields of an organisation (the others stay as they are)."""
    _require(actor, "accounts.change_organisation", organisation)
    changes = {
        "name": name.strip() if name is not _UNSET else _UNSET,
        "kind": kind,
        "siret": normalise_siret(siret) if siret is not _UNSET else _UNSET,
        "commune": commune,
        "email": email.strip() if email is not _UNSET else _UNSET,
        "phone": phone.strip() if phone is not _UNSET else _UNSET,
    }
    changed = []
    for field, value in changes.items():
        if value is not _UNSET and getattr(organisation, field) != value:
            setattr(organisation, field, value)
            changed.append(field)
    if not changed:
        return organisation
    _save_organisation(organisation)
    journal.record(actor=actor, action="organisation.updated", target=organisation, data={"fields": changed})
    return organisation


# --- Role memberships ----------------------------------------------------------------------------


def _check_scope(role: str, scope: models.Model | None) -> None:
    if role in SCOPED_ROLES and scope is None:
        raise ValidationError(
            {
                "scope": _("Le rôle « %(role)s » s'exerce sur un lieu ou une organisation : précisez-le.")
                % {"role": Role(role).label}
            }
        )
    if role in DEPARTEMENT_ROLES and scope is not None:
        raise ValidationError(
            {
                "scope": _("Le rôle « %(role)s » couvre tout le département : il ne prend pas de périmètre.")
                % {"role": Role(role).label}
            }
        )
    if scope is not None and getattr(scope, "pk", None) is None:
        raise ValidationError({"scope": _("Le périmètre doit être un lieu ou une organisation enregistré.")})


def role_grant_check(
    *,
    actor: User | None,
    user: User,
    role: str,
    scope: models.Model | None,
    starts_on: dt.date,
    ends_on: dt.date | None,
) -> None:
    """Every rule of ``role_grant``, without writing: forms call it to show errors by field."""
    if role not in Role.values:
        raise ValidationError({"role": _("Ce rôle n'existe pas.")})
    _require(
        actor,
        "accounts.grant_role",
        role,
        _("Vous ne pouvez pas attribuer le rôle « %(role)s ».") % {"role": Role(role).label},
    )
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("La date de fin doit être postérieure ou égale à la date de début.")})
    _check_scope(role, scope)
    if not user.is_active:
        raise ValidationError({"user": _("Ce compte est désactivé : on ne peut pas lui attribuer de rôle.")})
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    overlapping = RoleMembership.objects.filter(
        user=user, role=role, scope_type=scope_type, scope_id=scope.pk if scope is not None else None
    ).filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=starts_on))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError(_("Cette personne a déjà ce rôle sur ce périmètre pour une partie de ces dates."))


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    scope: models.Model | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> RoleMembership:
    """Give ``user`` the ``role`` (on ``scope``) from ``starts_on`` (today) to ``ends_on`` (open)."""
    starts_on = starts_on or timezone.localdate()
    # Lock the person's row: two simultaneous grants of the same role are serialised, so
    # the overlap check below cannot be raced.
    User.objects.select_for_update().filter(pk=user.pk).first()
    role_grant_check(actor=actor, user=user, role=role, scope=scope, starts_on=starts_on, ends_on=ends_on)
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    scope_id = scope.pk if scope is not None else None
    try:
        with transaction.atomic():
            membership = RoleMembership.objects.create(
                user=user,
                role=role,
                scope_type=scope_type,
                scope_id=scope_id,
                starts_on=starts_on,
                ends_on=ends_on,
                granted_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("Ce rôle n'a pas pu être attribué : les dates ou le périmètre sont incohérents.")
        ) from exc
    journal.record(
        actor=actor,
        action="role.granted",
        target=membership,
        data={
            "user_id": user.pk,
            "role": role,
            "scope_type": f"{scope_type.app_label}.{scope_type.model}" if scope_type else "",
            "scope_id": scope_id,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    forget_cached_roles(user)
    return membership


def role_end_check(*, actor: User | None, membership: RoleMembership, on: dt.date) -> None:
    """Every rule of ``role_end``, without writing."""
    _require(
        actor,
        "accounts.end_role",
        membership.role,
        _("Vous ne pouvez pas retirer le rôle « %(role)s ».") % {"role": membership.get_role_display()},
    )
    if on < membership.starts_on:
        raise ValidationError(
            {
                "on": _("La date de fin ne peut pas précéder le début du rôle (%(date)s).")
                % {"date": membership.starts_on.strftime("%d/%m/%Y")}
            }
        )
    if membership.ends_on is not None and membership.ends_on < on:
        raise ValidationError(
            {"on": _("Ce rôle a déjà pris fin le %(date)s.") % {"date": membership.ends_on.strftime("%d/%m/%Y")}}
        )


@transaction.atomic
def role_end(*, actor: User | None, membership: RoleMembership, on: dt.date) -> RoleMembership:
    """End a membership: ``on`` is its last day (the person keeps the role until that evening)."""
    given = membership
    membership = RoleMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    role_end_check(actor=actor, membership=membership, on=on)
    previous = membership.ends_on
    membership.ends_on = on
    membership.save(update_fields=["ends_on"])
    journal.record(
        actor=actor,
        action="role.ended",
        target=membership,
        data={
            "user_id": membership.user_id,
            "role": membership.role,
            "ends_on": on.isoformat(),
            "previous_ends_on": previous.isoformat() if previous else None,
        },
    )
    forget_cached_roles(membership.user)
    if "user" in given._state.fields_cache:  # the caller's own user object, if it has one
        forget_cached_roles(given.user)
    given.ends_on = on
    return membership


# --- People: back-office changes, staff sign-ins -------------------------------------------------


@transaction.atomic
def user_save(
    *, actor: User | None, user: User, created: bool, fields: list[str], ip_address: str | None = None
) -> User:
    """Save a person changed in the back office (its form has set ``fields``) and journal it.

    Password fields are never named in the journal.
    """
    _require(actor, "accounts.add_user" if created else "accounts.change_user", None if created else user)
    user.save()
    changed = sorted(set(fields) - {"password", "password1", "password2", "usable_password"})
    journal.record(
        actor=actor,
        action="account.created" if created else "account.updated",
        target=user,
        data={"fields": changed},
        ip_address=ip_address,
    )
    forget_cached_roles(user)
    return user


def staff_login_record(*, user: User, methods: list[str], ip_address: str | None) -> None:
    """Journal a completed sign-in of a person who may act on others' data (staff roles).

    Other people's sign-ins are not journalled: the journal is an audit trail, not a log of visits.
    """
    forget_cached_roles(user)
    if not has_staff_role(user):
        return
    journal.record(actor=user, action="auth.staff_login", target=user, data={"methods": methods}, ip_address=ip_address)


# --- Personal data: export, deletion request, anonymisation -----------------------------------------


@transaction.atomic
def personal_data_export(*, actor: User, ip_address: str | None = None) -> dict[str, Any]:
    """Everything the platform holds on ``actor``, as JSON-able data, and a journal entry."""
    data = personal_data.collect(actor)
    journal.record(
        actor=actor,
        action="data.export",
        target=actor,
        data={"sections": sorted(data["sections"])},
        ip_address=ip_address,
    )
    return data


def administrators() -> models.QuerySet[User]:
    """Active people with the administrator role today, or superusers."""
    today = timezone.localdate()
    role_holders = RoleMembership.objects.filter(role=Role.ADMINISTRATOR).active(today).values("user_id")
    return User.objects.filter(is_active=True).filter(models.Q(pk__in=role_holders) | models.Q(is_superuser=True))


def deletion_deadline(user: User) -> dt.date | None:
    if user.deletion_requested_at is None:
        return None
    return timezone.localdate(user.deletion_requested_at) + dt.timedelta(days=DELETION_DELAY_DAYS)


def _email_deletion_request(user_pk: int) -> None:
    user = User.objects.get(pk=user_pk)
    recipients = sorted(set(administrators().values_list("email", flat=True)))
    if not recipients:
        recipients = [email for _name, email in getattr(settings, "ADMINS", [])]
    if not recipients:
        logger.warning("deletion request without any administrator to tell", extra={"user_id": user_pk})
        return
    deadline = deletion_deadline(user)
    admin_url = reverse("admin:accounts_user_change", args=[user.pk])
    # Through the task queue (core.tasks): a slow mail server never holds up the person.
    send_email.enqueue(
        subject=str(_("Demande de suppression de compte")),
        body=_(
            "Bonjour,\n\n"
            "La personne n° %(pk)s a demandé la suppression de son compte le %(requested)s.\n"
            "Elle a été informée que sa demande serait traitée au plus tard le %(deadline)s.\n\n"
            "Pour traiter la demande : ouvrez sa fiche dans l'administration (%(url)s), vérifiez "
            "qu'aucune obligation légale n'impose de conserver certaines données, puis utilisez "
            "l'action « Anonymiser ».\n"
        )
        % {
            "pk": user.pk,
            "requested": timezone.localtime(user.deletion_requested_at).strftime("%d/%m/%Y %H:%M"),
            "deadline": deadline.strftime("%d/%m/%Y") if deadline else "",
            "url": admin_url,
        },
        to=recipients,
    )


@transaction.atomic
def deletion_request(*, actor: User) -> User:
    """``actor`` asks for their account to be deleted. Administrators are told after commit.

    Asking twice keeps the first date (the deadline does not move).
    """
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.deletion_requested_at is not None:
        actor.deletion_requested_at = user.deletion_requested_at
        return user
    user.deletion_requested_at = timezone.now()
    user.save(update_fields=["deletion_requested_at"])
    actor.deletion_requested_at = user.deletion_requested_at
    journal.record(actor=actor, action="account.deletion_requested", target=user)
    transaction.on_commit(lambda: _email_deletion_request(user.pk))
    return user


@transaction.atomic
def user_anonymise(*, actor: User | None, user: User) -> User:
    """Replace a person's identity by a placeholder, deactivate them and end their roles.

    Their email addresses, MFA authenticators and each programme's personal data (through
    the ``personal_data`` erase hooks) go too. Journal rows stay: they are the audit trail.
    """
    _require(actor, "accounts.anonymise_user", user, _("Seul un administrateur peut anonymiser un compte."))
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(_("Vous ne pouvez pas anonymiser votre propre compte."))
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user = User.objects.select_for_update().get(pk=user.pk)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    ended = 0
    for membership in RoleMembership.objects.filter(user=user).filter(
        models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today)
    ):
        membership.ends_on = max(membership.starts_on, yesterday)
        membership.save(update_fields=["ends_on"])
        ended += 1
    personal_data.erase(user)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.email = f"anonyme-{user.pk}@anonyme.invalid"
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()  # also invalidates every open session of this person
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    journal.record(actor=actor, action="account.anonymised", target=user, data={"memberships_ended": ended})
    forget_cached_roles(user)
    return user


@transaction.atomic
def user_mfa_reset(*, actor: User | None, user: User) -> int:
    """Remove a person's TOTP and recovery codes (lost phone). Staff must set TOTP up again.

    Returns how many authenticators were removed.
    """
    from allauth.mfa.models import Authenticator

    _require(
        actor,
        "accounts.anonymise_user",
        user,
        _("Seul un administrateur peut réinitialiser la double authentification."),
    )
    removed, _details = Authenticator.objects.filter(user=user).delete()
    journal.record(actor=actor, action="mfa.reset", target=user, data={"removed": removed})
    return removed
