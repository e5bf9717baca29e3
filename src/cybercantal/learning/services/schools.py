"""Every write of the part "schools": schools, their staff, classes and groups, who is in
them, parents, departures and the year rollover.

Conventions (DESIGN §2): keyword-only arguments, ``actor`` first (``None`` = the platform
itself: demo data, jobs, management commands), one transaction, a journal entry for each
change, French ``ValidationError`` / ``NotAllowed`` (``accounts.services``) for refusals,
an ``IntegrityError`` from a constraint (two people at once) turned into a French message.

**People services are idempotent**: calling them again with the same arguments changes
nothing and writes no journal entry, so the CSV imports (part "provisioning") can call them
row by row on every import. Each also grants, when missing, the matching ``accounts`` role
(TEACHER / STUDENT scoped to the school's organisation, PARENT unscoped) through
``accounts.services.role_grant`` (with ``actor=None``: the permission checked is this
part's ``learning.manage_school``); roles are granted to active users only.

Who may call what (the check is done here):

=================================================================  ==========================
``school_create(*, actor, place, uai, name=None) -> School``        ``learning.manage_schools``
``staff_appoint(*, actor, school, user=None, email="",                ``learning.manage_schools``
  first_name="", last_name="", is_head=False) -> SchoolMember``
``staff_remove(*, actor, member) -> None``                          ``learning.manage_schools``
``member_add(*, actor, school, user, kind, external_id="")          ``learning.manage_school``
  -> SchoolMember``                                                  (on the school)
``member_leave(*, actor, member, on) -> SchoolMember``              ``learning.manage_school``
``class_create(*, actor, school, name, kind="class", level="",       ``learning.manage_school``
  year=None) -> SchoolClass``
``class_update(*, actor, school_class, name=..., level=...)``        ``learning.manage_school``
``class_delete(*, actor, school_class) -> None``                    ``learning.manage_school``
``enrol_student(*, actor, school_class, student, external_id="")    ``learning.manage_school``
  -> Enrolment``
``unenrol_student(*, actor, school_class, student) -> bool``        ``learning.manage_school``
``group_members_set(*, actor, group, students) -> MembersChange``   ``learning.manage_school``
``teaching_add(*, actor, school_class, teacher, subject,             ``learning.manage_school``
  is_main_teacher=None, external_id="") -> Teaching``
``teaching_remove(*, actor, school_class, teacher, subject) -> bool````learning.manage_school``
``parent_link_add(*, actor, school, parent, student,                 ``learning.manage_school``
  relation="guardian") -> ParentLink``
``parent_link_remove(*, actor, school, parent, student) -> bool``   ``learning.manage_school``
``rollover_apply(*, actor, school, to_year, promotions,              ``learning.manage_school``
  from_year=None) -> RolloverResult``
=================================================================  ==========================

Details that importers rely on:

- ``enrol_student`` on a *class* moves the pupil when they are already in another class of
  the same year (one class per year); on a *group* it adds. It adds the pupil to the school
  (``SchoolMember`` kind student, ``external_id`` stored when given and free) and clears a
  past ``left_on`` (a pupil who comes back).
- ``teaching_add`` adds the teacher to the school; ``is_main_teacher=None`` keeps the flag.
- ``member_leave`` sets ``left_on`` (the last day in the school; the retention job counts
  from it) and ends the accounts role that day. Enrolments stay (history of the year).
- ``parent_link_add`` requires ``student`` to be a pupil of ``school``.

Staff appointed by email without an account: a ``User`` is created with that address
(verified: the programme team vouches for it, and the only way in is through that mailbox)
and an unusable password, and gets an invitation email whose link is allauth's own "reset
password from key" page, where they choose their password. No new flow, no new token: the
link is valid ``PASSWORD_RESET_TIMEOUT`` (3 days); after that, "mot de passe oublié" works.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Organisation, Role, RoleMembership
from cybercantal.accounts.services import NotAllowed, organisation_create, require_permission, role_end, role_grant
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.tasks import email_on_commit

from ..access import forget
from ..models import Enrolment, Level, ParentLink, School, SchoolClass, SchoolMember, SchoolYear, Subject, Teaching
from ..queries.schools import current_year, school_year_get_or_create_for

__all__ = [
    "UAI_PATTERN",
    "MembersChange",
    "NotAllowed",
    "RolloverResult",
    "class_create",
    "class_delete",
    "class_update",
    "current_year",
    "default_promotion",
    "enrol_student",
    "group_members_set",
    "member_add",
    "member_leave",
    "parent_link_add",
    "parent_link_remove",
    "rollover_apply",
    "rollover_preview",
    "school_create",
    "school_year_get_or_create_for",
    "staff_appoint",
    "staff_remove",
    "teaching_add",
    "teaching_remove",
    "unenrol_student",
]

UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")
CLASS_NAME_MAX = 60
_UNSET: Any = object()

MEMBER_ROLES: dict[str, str] = {SchoolMember.Kind.STUDENT: Role.STUDENT, SchoolMember.Kind.TEACHER: Role.TEACHER}


# --- Helpers ---------------------------------------------------------------------------------


def _require_school(actor: Any, school: School | SchoolClass) -> None:
    require_permission(actor, "learning.manage_school", school, _("Seul le personnel de ce collège peut faire cela."))


def _forget(*users: Any) -> None:
    for user in users:
        forget(user)


def _ensure_role(user: Any, role: str, scope: Any = None) -> None:
    """Give ``user`` the accounts ``role`` (on ``scope``) from today if they lack it today.

    A membership that ends later (a leaver who comes back) is followed by a new open one the
    day after it ends. Inactive users (anonymised, disabled) get no role."""
    if not user.is_active:
        return
    today = timezone.localdate()
    user_model = get_user_model()
    lock_for_update(user_model.objects.filter(pk=user.pk)).first()  # serialise grants of this person
    memberships = RoleMembership.objects.filter(user=user, role=role)
    memberships = memberships.for_scope(scope) if scope is not None else memberships.filter(scope_type__isnull=True)
    latest_end: dt.date | None = None
    for membership in memberships.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)):
        if membership.ends_on is None:
            return  # open membership: nothing to do
        latest_end = max(latest_end or membership.ends_on, membership.ends_on)
    if latest_end is not None and memberships.filter(starts_on__gt=latest_end, ends_on__isnull=True).exists():
        return
    starts_on = latest_end + dt.timedelta(days=1) if latest_end is not None else today
    role_grant(actor=None, user=user, role=role, scope=scope, starts_on=starts_on)


def _end_role(user: Any, role: str, scope: Any, on: dt.date) -> None:
    """End ``user``'s ``role`` on ``scope`` on ``on`` (their last day) if it runs past it."""
    memberships = RoleMembership.objects.filter(user=user, role=role)
    memberships = memberships.for_scope(scope) if scope is not None else memberships.filter(scope_type__isnull=True)
    for membership in memberships.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on)):
        if membership.starts_on > on:
            # Starts after the last day: shortened to its first day (the least we can keep).
            if membership.ends_on is None or membership.ends_on > membership.starts_on:
                role_end(actor=None, membership=membership, on=membership.starts_on)
            continue
        role_end(actor=None, membership=membership, on=on)


def _check_class_name(name: str, field_name: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({field_name: _("Donnez un nom à la classe ou au groupe, par exemple « 5e B ».")})
    if len(name) > CLASS_NAME_MAX:
        raise ValidationError(
            {field_name: _("Le nom est trop long : %(max)s caractères au plus.") % {"max": CLASS_NAME_MAX}}
        )
    if any(ord(char) < 32 for char in name):
        raise ValidationError({field_name: _("Le nom contient des caractères invalides.")})
    return name


def _level_of(name: str) -> str:
    match = re.match(r"^([6543])e\b", name)
    return f"{match.group(1)}e" if match else ""


def _clash_error(name: str, year: SchoolYear) -> ValidationError:
    return ValidationError(
        {
            "name": _("Une classe ou un groupe « %(name)s » existe déjà en %(year)s dans ce collège.")
            % {"name": name, "year": year.label}
        },
        code="duplicate",
    )


# --- Schools and their staff -----------------------------------------------------------------


@transaction.atomic
def school_create(*, actor: Any, place: Any, uai: str, name: str | None = None) -> School:
    """Open the ENT of a collège: ``place`` (a Place of kind college without a school), its
    UAI code, its name (the place's by default). Its organisation is the place's own when it
    is a free organisation of kind school, else a free school organisation of that name, else
    a new one."""
    from cybercantal.places.models import PlaceKind

    require_permission(actor, "learning.manage_schools", None, _("Seule l'équipe du programme ouvre un collège."))
    uai = (uai or "").strip().upper()
    if not UAI_PATTERN.match(uai):
        raise ValidationError(
            {"uai": _("Le code UAI compte sept chiffres suivis d'une lettre majuscule, par exemple 0150012A.")}
        )
    if place is None or getattr(place, "kind", None) != PlaceKind.COLLEGE:
        raise ValidationError({"place": _("Choisissez un lieu de type « collège ».")})
    if School.objects.filter(place=place).exists():
        raise ValidationError({"place": _("Ce collège a déjà son ENT.")})
    if School.objects.filter(uai=uai).exists():
        raise ValidationError({"uai": _("Le code UAI %(uai)s est déjà celui d'un autre collège.") % {"uai": uai}})
    name = " ".join((name or place.name).split())[:200]
    organisation = None
    own = getattr(place, "organisation", None)
    if (
        own is not None
        and own.kind == Organisation.Kind.SCHOOL
        and not School.objects.filter(organisation=own).exists()
    ):
        organisation = own
    if organisation is None:
        organisation = (
            Organisation.objects.filter(kind=Organisation.Kind.SCHOOL, name=name, school__isnull=True)
            .order_by("pk")
            .first()
        )
    if organisation is None:
        organisation = organisation_create(actor=None, name=name, kind=Organisation.Kind.SCHOOL)
    try:
        with transaction.atomic():
            school = School.objects.create(place=place, organisation=organisation, uai=uai, name=name)
    except IntegrityError as exc:
        raise ValidationError(_("Ce collège vient d'être ouvert par quelqu'un d'autre (lieu ou code UAI).")) from exc
    journal.record(actor=actor, action="learning.school.created", target=school, data={"uai": uai})
    return school


def _invite_staff(user: Any, school: School) -> None:
    """Email a newly created staff account the link to choose a password (allauth's reset
    from key page)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    from cybercantal.core.links import absolute_url

    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"}).replace("UID-KEY", key)
    body = _(
        "Bonjour,\n\n"
        "Vous êtes désormais chargé(e) de l'ENT du %(school)s (cartable électronique du Cantal).\n\n"
        "Votre compte a été créé avec cette adresse (%(email)s). Choisissez votre mot de passe "
        "en suivant ce lien, valable quelques jours :\n%(link)s\n\n"
        "Passé ce délai, utilisez « Mot de passe oublié » sur la page de connexion.\n\n"
        "L'équipe du cartable électronique"
    ) % {"school": school.name, "email": user.email, "link": absolute_url(path)}
    email_on_commit(
        subject=_("Votre accès à l'ENT du %(school)s") % {"school": school.name}, body=body, to=[user.email]
    )


def _user_for_email(email: str, first_name: str, last_name: str) -> tuple[Any, bool]:
    from allauth.account.models import EmailAddress
    from django.core.validators import validate_email

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Saisissez une adresse électronique valide.")}) from exc
    if email.lower().endswith(".invalid"):
        raise ValidationError({"email": _("Cette adresse ne reçoit pas de courrier : donnez une adresse réelle.")})
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
        user = address.user if address is not None else None
    if user is not None:
        return user, False
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                email=email, password=None, first_name=first_name.strip()[:150], last_name=last_name.strip()[:150]
            )
    except IntegrityError:
        return user_model.objects.get(email__iexact=email), False
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user, True


@transaction.atomic
def staff_appoint(
    *,
    actor: Any,
    school: School,
    user: Any = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_head: bool = False,
) -> SchoolMember:
    """Make ``user`` (or the person with ``email``, whose account is created and invited
    when there is none) an ENT administrator of ``school`` (``is_head``: the head of school).
    Appointing again updates ``is_head`` and brings back someone who had left."""
    require_permission(
        actor, "learning.manage_schools", None, _("Seule l'équipe du programme nomme le personnel d'un collège.")
    )
    created = False
    if user is None:
        user, created = _user_for_email(email, first_name, last_name)
    if not user.is_active:
        raise ValidationError({"email": _("Ce compte est désactivé : il ne peut pas administrer un collège.")})
    member, new = SchoolMember.objects.get_or_create(
        school=school, user=user, kind=SchoolMember.Kind.STAFF, defaults={"is_head": is_head}
    )
    changed = new
    if not new and (member.is_head != is_head or member.left_on is not None):
        member.is_head, member.left_on = is_head, None
        member.save(update_fields=["is_head", "left_on"])
        changed = True
    if changed:
        journal.record(
            actor=actor,
            action="learning.staff.appointed",
            target=member,
            data={"user_id": user.pk, "is_head": is_head, "account_created": created},
        )
    _ensure_role(user, Role.SCHOOL_STAFF, school.organisation)
    if created:
        _invite_staff(user, school)
    _forget(user)
    return member


@transaction.atomic
def staff_remove(*, actor: Any, member: SchoolMember) -> None:
    """Take away a person's staff role in a school at once (their row goes: staff rows hold
    no data of their own; the journal keeps the trace)."""
    require_permission(actor, "learning.manage_schools", None, _("Seule l'équipe du programme retire le personnel."))
    if member.kind != SchoolMember.Kind.STAFF:
        raise ValidationError(_("Cette personne ne fait pas partie du personnel du collège."))
    journal.record(actor=actor, action="learning.staff.removed", target=member.school, data={"user_id": member.user_id})
    SchoolMember.objects.filter(pk=member.pk).delete()
    _end_role(member.user, Role.SCHOOL_STAFF, member.school.organisation, timezone.localdate() - dt.timedelta(days=1))
    _forget(member.user)


# --- Members --------------------------------------------------------------------------------


def _member_add(actor: Any, school: School, user: Any, kind: str, external_id: str = "") -> tuple[SchoolMember, bool]:
    """Add (or bring back) ``user`` in ``school`` as ``kind``; returns (member, changed)."""
    external_id = (external_id or "").strip()[:40]
    try:
        with transaction.atomic():
            member, created = SchoolMember.objects.get_or_create(school=school, user=user, kind=kind)
    except IntegrityError:  # pragma: no cover - get_or_create already retries the race
        member, created = SchoolMember.objects.get(school=school, user=user, kind=kind), False
    changed = created
    fields = []
    if member.left_on is not None and member.left_on < timezone.localdate():
        member.left_on = None
        member.joined_on = timezone.localdate()
        fields += ["left_on", "joined_on"]
    if external_id and member.external_id != external_id:
        taken = (
            SchoolMember.objects.filter(school=school, kind=kind, external_id=external_id)
            .exclude(pk=member.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {
                    "external_id": _("L'identifiant %(id)s est déjà celui d'une autre personne de ce collège.")
                    % {"id": external_id}
                }
            )
        member.external_id = external_id
        fields.append("external_id")
    if fields:
        try:
            with transaction.atomic():
                member.save(update_fields=fields)
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "external_id": _("L'identifiant %(id)s vient d'être donné à une autre personne.")
                    % {"id": external_id}
                }
            ) from exc
        changed = True
    role = MEMBER_ROLES.get(kind)
    if role is not None:
        _ensure_role(user, role, school.organisation)
    if changed:
        journal.record(
            actor=actor,
            action="learning.member.added" if created else "learning.member.updated",
            target=member,
            data={"kind": kind, "fields": fields},
        )
    return member, changed


@transaction.atomic
def member_add(*, actor: Any, school: School, user: Any, kind: str, external_id: str = "") -> SchoolMember:
    """``user`` is a pupil or a teacher of ``school`` (idempotent; brings back a leaver)."""
    _require_school(actor, school)
    if kind not in (SchoolMember.Kind.STUDENT, SchoolMember.Kind.TEACHER):
        raise ValidationError({"kind": _("Qualité inconnue : élève ou enseignant.")})
    member, _changed = _member_add(actor, school, user, kind, external_id)
    _forget(user)
    return member


@transaction.atomic
def member_leave(*, actor: Any, member: SchoolMember, on: dt.date) -> SchoolMember:
    """``member`` leaves the school: ``on`` is their last day (``left_on``; the retention of a
    pupil's data counts from it). Their accounts role (pupil, teacher) ends that day. An
    earlier ``left_on`` is kept (leaving twice changes nothing)."""
    _require_school(actor, member.school)
    member = SchoolMember.objects.select_related("school__organisation", "user").get(pk=member.pk)
    if member.left_on is not None and member.left_on <= on:
        return member
    previous = member.left_on
    member.left_on = on
    member.save(update_fields=["left_on"])
    role = MEMBER_ROLES.get(member.kind)
    if role is not None:
        _end_role(member.user, role, member.school.organisation, on)
    journal.record(
        actor=actor,
        action="learning.member.left",
        target=member,
        data={"on": on.isoformat(), "previous": previous.isoformat() if previous else None},
    )
    _forget(member.user)
    return member


# --- Classes and groups -----------------------------------------------------------------------


@transaction.atomic
def class_create(
    *,
    actor: Any,
    school: School,
    name: str,
    kind: str = SchoolClass.Kind.CLASS,
    level: str = "",
    year: SchoolYear | None = None,
) -> SchoolClass:
    """A class ("5e B") or a group ("Latin 5e") of ``school`` in ``year`` (this year)."""
    _require_school(actor, school)
    name = _check_class_name(name)
    if kind not in SchoolClass.Kind.values:
        raise ValidationError({"kind": _("Choisissez classe ou groupe.")})
    if level and level not in Level.values:
        raise ValidationError({"level": _("Niveau inconnu.")})
    year = year or current_year()
    if SchoolClass.objects.filter(school=school, year=year, name__iexact=name).exists():
        raise _clash_error(name, year)
    try:
        with transaction.atomic():
            school_class = SchoolClass.objects.create(
                school=school, year=year, name=name, kind=kind, level=level or _level_of(name)
            )
    except IntegrityError as exc:  # someone else created it at the same moment
        raise _clash_error(name, year) from exc
    journal.record(
        actor=actor, action="learning.class.created", target=school_class, data={"kind": kind, "year": year.label}
    )
    return school_class


@transaction.atomic
def class_update(*, actor: Any, school_class: SchoolClass, name: str = _UNSET, level: str = _UNSET) -> SchoolClass:
    """Rename a class or group, or change its level."""
    _require_school(actor, school_class)
    changed = []
    if name is not _UNSET:
        name = _check_class_name(name)
        if name != school_class.name:
            clash = (
                SchoolClass.objects.filter(school_id=school_class.school_id, year_id=school_class.year_id)
                .filter(name__iexact=name)
                .exclude(pk=school_class.pk)
            )
            if clash.exists():
                raise _clash_error(name, school_class.year)
            school_class.name = name
            changed.append("name")
    if level is not _UNSET and level != school_class.level:
        if level and level not in Level.values:
            raise ValidationError({"level": _("Niveau inconnu.")})
        school_class.level = level
        changed.append("level")
    if not changed:
        return school_class
    try:
        with transaction.atomic():
            school_class.save(update_fields=changed)
    except IntegrityError as exc:
        raise _clash_error(school_class.name, school_class.year) from exc
    journal.record(actor=actor, action="learning.class.updated", target=school_class, data={"fields": changed})
    return school_class


@transaction.atomic
def class_delete(*, actor: Any, school_class: SchoolClass) -> None:
    """Delete a class or group created by mistake. Refused once it holds work (courses,
    exercises given, cahier de textes, homework): that is the pupils' and teachers' work."""
    _require_school(actor, school_class)
    held = []
    if school_class.courses.exists():
        held.append(_("des cours"))
    if school_class.assignments.exists():
        held.append(_("des exercices donnés"))
    if school_class.homework.exists() or school_class.lesson_logs.exists():
        held.append(_("un cahier de textes ou des devoirs"))
    if held:
        raise ValidationError(
            _("« %(name)s » ne peut pas être supprimée : elle contient %(what)s. Retirez plutôt ses élèves.")
            % {"name": school_class.name, "what": ", ".join(str(item) for item in held)},
            code="not_empty",
        )
    users = list(get_user_model().objects.filter(enrolments__school_class=school_class)) + list(
        get_user_model().objects.filter(teachings__school_class=school_class)
    )
    journal.record(
        actor=actor,
        action="learning.class.deleted",
        target=school_class.school,
        data={"class_id": school_class.pk, "name": school_class.name, "year": school_class.year.label},
    )
    school_class.delete()
    _forget(*users)


# --- Pupils in classes and groups -------------------------------------------------------------


def _check_pupil_school(school_class: SchoolClass, student: Any) -> None:
    if getattr(student, "pk", None) is None:
        raise ValidationError({"student": _("Élève inconnu.")})


@transaction.atomic
def enrol_student(*, actor: Any, school_class: SchoolClass, student: Any, external_id: str = "") -> Enrolment:
    """Put ``student`` in ``school_class`` (idempotent). A class replaces the pupil's other
    class of the same year (a move); a group comes on top."""
    _require_school(actor, school_class)
    _check_pupil_school(school_class, student)
    school = school_class.school
    _member_add(actor, school, student, SchoolMember.Kind.STUDENT, external_id)
    is_group = school_class.kind == SchoolClass.Kind.GROUP
    existing = Enrolment.objects.filter(student=student, school_class=school_class).first()
    if existing is not None:
        return existing
    moved_from = None
    if not is_group:
        current = lock_for_update(
            Enrolment.objects.filter(student=student, year_id=school_class.year_id, is_group=False)
        ).first()
        if current is not None:
            moved_from = current.school_class_id
            current.delete()
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                student=student, school_class=school_class, year_id=school_class.year_id, is_group=is_group
            )
    except IntegrityError as exc:
        other = (
            Enrolment.objects.filter(student=student, year_id=school_class.year_id, is_group=False)
            .select_related("school_class")
            .first()
        )
        if other is not None and other.school_class_id == school_class.pk:
            return other
        raise ValidationError(
            {
                "student": _(
                    "%(name)s vient d'être inscrit(e) dans une autre classe (%(other)s) par quelqu'un d'autre."
                )
                % {
                    "name": student.get_full_name() or student,
                    "other": other.school_class.name if other else "?",
                }
            },
            code="conflict",
        ) from exc
    journal.record(
        actor=actor,
        action="learning.enrolment.created",
        target=enrolment,
        data={"class_id": school_class.pk, "student_id": student.pk, "moved_from": moved_from},
    )
    _forget(student)
    return enrolment


@transaction.atomic
def unenrol_student(*, actor: Any, school_class: SchoolClass, student: Any) -> bool:
    """Take ``student`` out of ``school_class``; False when they were not in it."""
    _require_school(actor, school_class)
    deleted, _details = Enrolment.objects.filter(student=student, school_class=school_class).delete()
    if deleted:
        journal.record(
            actor=actor,
            action="learning.enrolment.deleted",
            target=school_class,
            data={"student_id": student.pk},
        )
        _forget(student)
    return bool(deleted)


@dataclass(frozen=True)
class MembersChange:
    added: int
    removed: int


@transaction.atomic
def group_members_set(*, actor: Any, group: SchoolClass, students: Iterable[Any]) -> MembersChange:
    """The pupils of ``group`` become exactly ``students`` (pupils of the school still there).
    Works for a class too (a pupil checked there moves from their other class)."""
    _require_school(actor, group)
    wanted = {student.pk: student for student in students}
    pupils_here = set(
        SchoolMember.objects.filter(school_id=group.school_id, kind=SchoolMember.Kind.STUDENT)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=timezone.localdate()))
        .filter(user_id__in=list(wanted))
        .values_list("user_id", flat=True)
    )
    strangers = set(wanted) - pupils_here
    if strangers:
        raise ValidationError({"students": _("Seuls les élèves de ce collège peuvent être inscrits.")})
    current = set(Enrolment.objects.filter(school_class=group).values_list("student_id", flat=True))
    added = removed = 0
    for student_id in sorted(set(wanted) - current):
        enrol_student(actor=actor, school_class=group, student=wanted[student_id])
        added += 1
    for student_id in sorted(current - set(wanted)):
        removed += Enrolment.objects.filter(student_id=student_id, school_class=group).delete()[0]
    if removed:
        journal.record(
            actor=actor,
            action="learning.enrolment.deleted",
            target=group,
            data={"student_ids": sorted(current - set(wanted))},
        )
    return MembersChange(added=added, removed=removed)


# --- Teachers -------------------------------------------------------------------------------


@transaction.atomic
def teaching_add(
    *,
    actor: Any,
    school_class: SchoolClass,
    teacher: Any,
    subject: Subject,
    is_main_teacher: bool | None = None,
    external_id: str = "",
) -> Teaching:
    """``teacher`` teaches ``subject`` to ``school_class`` (idempotent); ``is_main_teacher``
    None keeps the flag as it is."""
    _require_school(actor, school_class)
    _member_add(actor, school_class.school, teacher, SchoolMember.Kind.TEACHER, external_id)
    teaching, created = Teaching.objects.get_or_create(
        teacher=teacher,
        school_class=school_class,
        subject=subject,
        defaults={"is_main_teacher": bool(is_main_teacher)},
    )
    if not created and is_main_teacher is not None and teaching.is_main_teacher != is_main_teacher:
        teaching.is_main_teacher = is_main_teacher
        teaching.save(update_fields=["is_main_teacher"])
        created = True
    if created:
        journal.record(
            actor=actor,
            action="learning.teaching.saved",
            target=teaching,
            data={"class_id": school_class.pk, "subject": subject.code, "main": teaching.is_main_teacher},
        )
        _forget(teacher)
    return teaching


@transaction.atomic
def teaching_remove(*, actor: Any, school_class: SchoolClass, teacher: Any, subject: Subject) -> bool:
    _require_school(actor, school_class)
    deleted, _details = Teaching.objects.filter(teacher=teacher, school_class=school_class, subject=subject).delete()
    if deleted:
        journal.record(
            actor=actor,
            action="learning.teaching.deleted",
            target=school_class,
            data={"teacher_id": teacher.pk, "subject": subject.code},
        )
        _forget(teacher)
    return bool(deleted)


# --- Parents --------------------------------------------------------------------------------


@transaction.atomic
def parent_link_add(
    *,
    actor: Any,
    school: School,
    parent: Any,
    student: Any,
    relation: str = ParentLink.Relation.GUARDIAN,
) -> ParentLink:
    """``parent`` is a legal guardian of ``student`` (a pupil of ``school``); idempotent,
    ``relation`` updated when it differs. Grants the PARENT role (unscoped)."""
    _require_school(actor, school)
    if relation not in ParentLink.Relation.values:
        raise ValidationError({"relation": _("Lien de parenté inconnu.")})
    if parent.pk == student.pk:
        raise ValidationError({"parent": _("Un élève ne peut pas être son propre responsable légal.")})
    if not SchoolMember.objects.filter(school=school, user=student, kind=SchoolMember.Kind.STUDENT).exists():
        raise ValidationError({"student": _("Cet élève n'est pas inscrit dans ce collège.")})
    link, created = ParentLink.objects.get_or_create(parent=parent, student=student, defaults={"relation": relation})
    if not created and link.relation != relation:
        link.relation = relation
        link.save(update_fields=["relation"])
        created = True
    _ensure_role(parent, Role.PARENT)
    if created:
        journal.record(
            actor=actor,
            action="learning.parent_link.saved",
            target=link,
            data={"student_id": student.pk, "relation": relation},
        )
        _forget(parent)
    return link


@transaction.atomic
def parent_link_remove(*, actor: Any, school: School, parent: Any, student: Any) -> bool:
    """Remove the link; the PARENT role ends today when no child is left."""
    _require_school(actor, school)
    if not SchoolMember.objects.filter(school=school, user=student, kind=SchoolMember.Kind.STUDENT).exists():
        raise ValidationError({"student": _("Cet élève n'est pas inscrit dans ce collège.")})
    deleted, _details = ParentLink.objects.filter(parent=parent, student=student).delete()
    if not deleted:
        return False
    if not ParentLink.objects.filter(parent=parent).exists():
        _end_role(parent, Role.PARENT, None, timezone.localdate())
    journal.record(actor=actor, action="learning.parent_link.deleted", target=school, data={"student_id": student.pk})
    _forget(parent)
    return True


# --- Year rollover ------------------------------------------------------------------------------


def default_promotion(name: str) -> str | None:
    """6e A → 5e A, 5e → 4e, 4e → 3e; a 3e leaves (None); any other name is kept."""
    match = re.match(r"^([6543])e(\b.*)$", name)
    if not match:
        return name
    level = int(match.group(1))
    if level == 3:
        return None
    return f"{level - 1}e{match.group(2)}"


@dataclass
class RolloverRow:
    school_class: SchoolClass
    pupils: int
    target: str | None  # new class name, None: the pupils leave
    target_exists: bool = False


@dataclass
class RolloverPlan:
    from_year: SchoolYear
    to_year: SchoolYear
    rows: list[RolloverRow]
    groups: int  # groups of the old year (not carried over)

    @property
    def pupils(self) -> int:
        return sum(row.pupils for row in self.rows)

    @property
    def leavers(self) -> int:
        return sum(row.pupils for row in self.rows if row.target is None)


def rollover_preview(school: School, from_year: SchoolYear, to_year: SchoolYear) -> RolloverPlan:
    """What ``rollover_apply`` would do with the default promotions (a read)."""
    from django.db.models import Count

    classes = list(
        SchoolClass.objects.filter(school=school, year=from_year, kind=SchoolClass.Kind.CLASS)
        .annotate(pupil_count=Count("enrolments"))
        .order_by("name")
    )
    existing = set(SchoolClass.objects.filter(school=school, year=to_year).values_list("name", flat=True))
    rows = []
    for school_class in classes:
        target = default_promotion(school_class.name)
        rows.append(
            RolloverRow(
                school_class=school_class,
                pupils=school_class.pupil_count,  # type: ignore[attr-defined]
                target=target,
                target_exists=target in existing,
            )
        )
    groups = SchoolClass.objects.filter(school=school, year=from_year, kind=SchoolClass.Kind.GROUP).count()
    return RolloverPlan(from_year=from_year, to_year=to_year, rows=rows, groups=groups)


@dataclass
class RolloverResult:
    classes_created: int = 0
    pupils_moved: int = 0
    pupils_already_placed: int = 0
    leavers: int = 0
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def rollover_apply(
    *,
    actor: Any,
    school: School,
    to_year: SchoolYear,
    promotions: dict[int, str | None],
    from_year: SchoolYear | None = None,
) -> RolloverResult:
    """Start ``to_year`` in ``school``: for each class of the old year (``promotions``: old
    class id -> new class name, or None when its pupils leave the school), create the new
    class if missing and enrol its pupils there; leavers get ``left_on`` = the old year's
    last day. Groups and teachings are not carried over (teachers are re-imported).

    All or nothing: any refusal (unknown class, name clash with a group, two classes merged
    into one, ...) leaves everything as it was. Applying again changes nothing; a pupil who
    already has a class in the new year (imported meanwhile) keeps it."""
    _require_school(actor, school)
    # Serialise two rollovers of the same school.
    lock_for_update(School.objects.filter(pk=school.pk)).first()
    old_classes = {
        c.pk: c
        for c in SchoolClass.objects.filter(pk__in=list(promotions), school=school, kind=SchoolClass.Kind.CLASS)
        .select_related("year")
        .order_by("name")
    }
    unknown = set(promotions) - set(old_classes)
    if unknown:
        raise ValidationError(
            _("Certaines classes choisies n'existent pas dans ce collège ou ne sont pas des classes.")
        )
    years = {c.year_id for c in old_classes.values()}
    if from_year is None and old_classes:
        from_year = next(iter(old_classes.values())).year
    if from_year is None:
        raise ValidationError(_("Aucune classe à faire passer dans l'année suivante."))
    if years - {from_year.pk}:
        raise ValidationError(_("Toutes les classes doivent être de la même année scolaire."))
    if to_year.starts_on <= from_year.starts_on:
        raise ValidationError(_("La nouvelle année doit suivre l'année %(year)s.") % {"year": from_year.label})
    # Validate every target before writing anything.
    targets: dict[int, str | None] = {}
    seen: dict[str, str] = {}
    errors: list[str] = []
    for class_id, old in old_classes.items():
        raw = promotions[class_id]
        if raw is None or not str(raw).strip():
            targets[class_id] = None
            continue
        try:
            name = _check_class_name(str(raw))
        except ValidationError:
            errors.append(_("« %(old)s » : le nom de la nouvelle classe n'est pas valable.") % {"old": old.name})
            continue
        key = name.casefold()
        if key in seen:
            errors.append(
                _("« %(old)s » et « %(other)s » deviendraient toutes deux « %(name)s » : choisissez deux noms.")
                % {"old": old.name, "other": seen[key], "name": name}
            )
            continue
        seen[key] = old.name
        targets[class_id] = name
    existing = {c.name.casefold(): c for c in SchoolClass.objects.filter(school=school, year=to_year).order_by("pk")}
    for class_id, target_name in targets.items():
        if target_name is None:
            continue
        found = existing.get(target_name.casefold())
        if found is not None and found.kind == SchoolClass.Kind.GROUP:
            errors.append(
                _("« %(name)s » est déjà le nom d'un groupe en %(year)s : choisissez un autre nom pour « %(old)s ».")
                % {"name": target_name, "year": to_year.label, "old": old_classes[class_id].name}
            )
    if errors:
        raise ValidationError(errors, code="rollover")

    result = RolloverResult()
    leave_on = from_year.ends_on
    for class_id, old in old_classes.items():
        new_name = targets[class_id]
        pupil_ids = list(Enrolment.objects.filter(school_class=old).values_list("student_id", flat=True))
        if new_name is None:
            for member in SchoolMember.objects.filter(
                school=school, kind=SchoolMember.Kind.STUDENT, user_id__in=pupil_ids
            ).filter(Q(left_on__isnull=True) | Q(left_on__gt=leave_on)):
                member_leave(actor=actor, member=member, on=leave_on)
                result.leavers += 1
            continue
        target = existing.get(new_name.casefold())
        if target is None:
            target = SchoolClass.objects.create(
                school=school,
                year=to_year,
                name=new_name,
                kind=SchoolClass.Kind.CLASS,
                level=_level_of(new_name) or old.level,
            )
            existing[new_name.casefold()] = target
            result.classes_created += 1
        still_here = set(
            SchoolMember.objects.filter(school=school, kind=SchoolMember.Kind.STUDENT, user_id__in=pupil_ids)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=leave_on))
            .values_list("user_id", flat=True)
        )
        placed = set(
            Enrolment.objects.filter(student_id__in=still_here, year=to_year, is_group=False).values_list(
                "student_id", flat=True
            )
        )
        result.pupils_already_placed += len(placed)
        new = [
            Enrolment(student_id=student_id, school_class=target, year=to_year, is_group=False)
            for student_id in sorted(still_here - placed)
        ]
        try:
            with transaction.atomic():
                Enrolment.objects.bulk_create(new)
        except IntegrityError as exc:
            raise ValidationError(
                _("Des élèves viennent d'être inscrits par quelqu'un d'autre : recommencez le passage d'année.")
            ) from exc
        result.pupils_moved += len(new)
    journal.record(
        actor=actor,
        action="learning.rollover.applied",
        target=school,
        data={
            "from": from_year.label,
            "to": to_year.label,
            "classes_created": result.classes_created,
            "pupils_moved": result.pupils_moved,
            "leavers": result.leavers,
        },
    )
    return result
