"""THE permissions of the platform: ``rules`` predicates and the permissions built on them.

Every app asks ``user.has_perm("app.action_model", obj)``; the answer comes from here and
nowhere else. Predicates read the person's active memberships, fetched once per request
(see ``queries.active_memberships``), so a page that checks many permissions still costs
one query.

Adding a programme: add its predicates (if new) and its permissions in a section below,
then add a line per permission to the role table in ``tests/test_permissions.py``.

Conventions:
- ``has_role(role)``: an active membership with that role, whatever its scope.
- ``has_role_on(roles)``: object-level; an active membership with one of ``roles`` scoped
  to the object itself, or to the object's ``organisation`` when it has one.
- Active superusers get every permission from Django itself (``PermissionsMixin``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rules

from .models import ADMIN_ONLY_ROLES, Role
from .queries import active_roles, holds_role_on

# --- Predicates ---------------------------------------------------------------------------


def has_role(role: str) -> rules.Predicate:
    """Active membership with ``role`` (any scope)."""

    def check(user: Any) -> bool:
        return role in active_roles(user)

    return rules.Predicate(check, name=f"has_role:{role}")


def has_any_role(*roles: str) -> rules.Predicate:
    """Active membership with one of ``roles`` (any scope)."""
    wanted = frozenset(roles)

    def check(user: Any) -> bool:
        return bool(wanted & active_roles(user))

    return rules.Predicate(check, name=f"has_any_role:{','.join(sorted(wanted))}")


def has_role_on(roles: Iterable[str] | str) -> rules.Predicate:
    """Object-level: active membership with one of ``roles`` scoped to the object or its organisation."""
    wanted = frozenset([roles] if isinstance(roles, str) else roles)

    def check(user: Any, obj: Any) -> bool:
        return holds_role_on(user, wanted, obj)

    return rules.Predicate(check, name=f"has_role_on:{','.join(sorted(wanted))}")


@rules.predicate
def is_active_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


is_administrator = has_role(Role.ADMINISTRATOR) | is_active_superuser
is_programme_manager = has_role(Role.PROGRAMME_MANAGER)
is_grant_instructor = has_role(Role.GRANT_INSTRUCTOR)
is_platform_manager = is_administrator | is_programme_manager


@rules.predicate
def is_self(user: Any, other: Any) -> bool:
    """Object-level: the object is the person themself."""
    return other is not None and getattr(user, "pk", None) is not None and getattr(other, "pk", None) == user.pk


@rules.predicate
def role_is_admin_only(user: Any, role: Any) -> bool:
    """Object-level (the object is a role value): only an administrator may grant it."""
    return role in ADMIN_ONLY_ROLES


# --- Accounts -------------------------------------------------------------------------------
# Granting a role: administrators grant any role, programme managers any but the admin ones.
rules.add_perm("accounts.grant_role", is_administrator | (is_programme_manager & ~role_is_admin_only))
rules.add_perm("accounts.end_role", is_administrator | (is_programme_manager & ~role_is_admin_only))
rules.add_perm("accounts.anonymise_user", is_administrator)
# Back office (Django admin, which also needs ``is_staff``).
rules.add_perm("accounts", is_platform_manager)
rules.add_perm("accounts.view_user", is_platform_manager)
rules.add_perm("accounts.add_user", is_administrator)
rules.add_perm("accounts.change_user", is_administrator)
rules.add_perm("accounts.view_organisation", is_platform_manager)
rules.add_perm("accounts.add_organisation", is_platform_manager)
rules.add_perm("accounts.change_organisation", is_platform_manager)
rules.add_perm("accounts.view_rolemembership", is_platform_manager)
rules.add_perm("accounts.add_rolemembership", is_platform_manager)
rules.add_perm("accounts.change_rolemembership", is_platform_manager)
# Nobody deletes people, organisations or memberships through the admin: memberships end,
# people are anonymised (the journal must keep making sense).

# --- Core: the journal ------------------------------------------------------------------------
rules.add_perm("core", is_administrator)
rules.add_perm("core.view_journal", is_administrator)
rules.add_perm("core.view_journalentry", is_administrator)

# --- Places (contract with the places app) -----------------------------------------------------
PLACE_EDITOR_ROLES = (Role.TELECENTRE_MANAGER, Role.MEDIATOR, Role.KIOSK_AGENT)

rules.add_perm("places", is_platform_manager)
rules.add_perm("places.add_place", is_platform_manager)
rules.add_perm("places.change_place", is_platform_manager | has_role_on(PLACE_EDITOR_ROLES))
# Handing a place to another structure (its ``organisation``) changes who manages it: that is
# the programme's decision, not the place's own managers'.
rules.add_perm("places.assign_organisation", is_platform_manager)
rules.add_perm("places.import_lmn", is_platform_manager)

# --- Mediation (EPN network) -------------------------------------------------------------------
# Objects of the mediation app (sessions, equipment, accompaniments, computers, beneficiaries)
# are checked through the place they belong to: ``has_role_on_place`` follows ``obj.place``.


def has_role_on_place(roles: Iterable[str] | str) -> rules.Predicate:
    """Object-level: like ``has_role_on`` but for an object that belongs to a place
    (``obj.place``), or a place itself."""
    wanted = frozenset([roles] if isinstance(roles, str) else roles)

    def check(user: Any, obj: Any) -> bool:
        place = getattr(obj, "place", obj)
        return holds_role_on(user, wanted, place)

    return rules.Predicate(check, name=f"has_role_on_place:{','.join(sorted(wanted))}")


@rules.predicate
def is_author(user: Any, obj: Any) -> bool:
    """Object-level: the person wrote the record (``obj.author``)."""
    return obj is not None and getattr(user, "pk", None) is not None and getattr(obj, "author_id", None) == user.pk


is_mediator = has_role(Role.MEDIATOR)
is_kiosk_agent = has_role(Role.KIOSK_AGENT)
mediator_here = has_role_on_place(Role.MEDIATOR)
field_agent_here = has_role_on_place((Role.MEDIATOR, Role.KIOSK_AGENT))

rules.add_perm("mediation", is_platform_manager)
# Workshops: the catalogue is shared by the network; sessions belong to a place.
rules.add_perm("mediation.manage_workshops", is_platform_manager | is_mediator)
rules.add_perm("mediation.manage_session", is_platform_manager | mediator_here)  # obj: place or session
rules.add_perm("mediation.register_someone", is_platform_manager | mediator_here)  # obj: session
rules.add_perm("mediation.take_attendance", is_platform_manager | mediator_here)  # obj: session
# Accompaniments (CRA): written by mediators and kiosk agents for their places.
rules.add_perm("mediation.record_accompaniment", field_agent_here)  # obj: place
rules.add_perm("mediation.view_accompaniments", is_platform_manager | is_mediator | is_kiosk_agent)
rules.add_perm("mediation.view_accompaniment", is_platform_manager | is_author | mediator_here)  # obj
rules.add_perm("mediation.change_accompaniment", is_platform_manager | is_author)  # obj
rules.add_perm("mediation.follow_beneficiary", mediator_here)  # obj: place
rules.add_perm("mediation.view_beneficiary", is_platform_manager | mediator_here)  # obj: beneficiary
rules.add_perm("mediation.erase_beneficiary", is_platform_manager | mediator_here)  # obj: beneficiary
# Equipment: each EPN keeps its inventory; imports and the forecast are the programme's.
rules.add_perm("mediation.view_equipment", is_platform_manager | is_mediator)
rules.add_perm("mediation.manage_equipment", is_platform_manager | mediator_here)  # obj: place or equipment
rules.add_perm("mediation.import_equipment", is_platform_manager)
rules.add_perm("mediation.view_renewal_forecast", is_platform_manager)
# Mediators, hiring aid and labels: the programme team's decisions.
rules.add_perm("mediation.manage_mediators", is_platform_manager)
rules.add_perm("mediation.view_mediator", is_platform_manager | is_self)  # obj: the mediator's user
rules.add_perm("mediation.manage_hiring_aid", is_platform_manager)
rules.add_perm("mediation.manage_labels", is_platform_manager)
# Free access: public computers and anonymous visit counts, per place.
rules.add_perm("mediation.manage_free_access", is_platform_manager | mediator_here)  # obj: place
# Statistics: mediators see their places', the programme team the whole network's.
rules.add_perm("mediation.view_statistics", is_platform_manager | is_mediator)
rules.add_perm("mediation.view_network_statistics", is_platform_manager)

# --- Kiosks (public-service bornes) --------------------------------------------------------------
# Kiosk objects are checked through their host place: a kiosk has ``place``; a help request
# or an incident has ``kiosk.place``.


def has_role_at_kiosk(roles: Iterable[str] | str) -> rules.Predicate:
    """Object-level: an active membership with one of ``roles`` on the host place of the
    object (a kiosk, or anything with a ``kiosk``)."""
    wanted = frozenset([roles] if isinstance(roles, str) else roles)

    def check(user: Any, obj: Any) -> bool:
        kiosk = getattr(obj, "kiosk", obj)
        return holds_role_on(user, wanted, getattr(kiosk, "place", None))

    return rules.Predicate(check, name=f"has_role_at_kiosk:{','.join(sorted(wanted))}")


agent_here = has_role_at_kiosk(Role.KIOSK_AGENT)

rules.add_perm("kiosks", is_platform_manager)
rules.add_perm("kiosks.manage_fleet", is_platform_manager)  # kiosks, tokens, incidents' causes
rules.add_perm("kiosks.view_fleet", is_platform_manager)  # dashboard, coverage, uptime, usage
rules.add_perm("kiosks.manage_catalogue", is_platform_manager)  # procedures and their revisions
rules.add_perm("kiosks.manage_training", is_platform_manager)  # training sessions, attendees
rules.add_perm("kiosks.view_statistics", is_platform_manager)  # reasons and outcomes per canton
rules.add_perm("kiosks.use_agent_screen", is_kiosk_agent)
rules.add_perm("kiosks.handle_help_request", agent_here)  # obj: kiosk or help request

# --- Grants (Auverdata and other aid programmes) ------------------------------------------------
# A dossier belongs to a business (``application.organisation``): its applicants are the people
# with the business-applicant role on that organisation. Instructors and the programme team see
# every dossier; the applicant sees theirs and never the instructors' private notes.

applicant_of = has_role_on(Role.BUSINESS_APPLICANT)  # obj: an application (or the organisation)
is_business_applicant = has_role(Role.BUSINESS_APPLICANT)


@rules.predicate
def application_is_editable(user: Any, application: Any) -> bool:
    """Object-level: the dossier is a draft or waits for corrections."""
    return application is not None and bool(getattr(application, "is_editable", False))


is_grants_staff = is_grant_instructor | is_platform_manager

rules.add_perm("grants", is_platform_manager)
rules.add_perm("grants.manage_programmes", is_platform_manager)  # programmes, categories, envelope
rules.add_perm("grants.import_coverage", is_platform_manager)
rules.add_perm("grants.view_application", is_grants_staff | applicant_of)  # obj: application
rules.add_perm("grants.edit_application", applicant_of & application_is_editable)  # obj: application
rules.add_perm("grants.message_application", is_grants_staff | applicant_of)  # obj: application
rules.add_perm("grants.claim_payment", applicant_of)  # obj: application (upload paid invoices)
# Conflict of interest: nobody instructs, decides or pays a dossier of a business they apply
# for (checked when the dossier is given; the queue itself, without an object, stays open).
not_own_business = ~applicant_of
rules.add_perm("grants.instruct", is_grants_staff & not_own_business)  # queue, notes, lines, corrections
rules.add_perm("grants.decide", is_grants_staff & not_own_business)  # accept, refuse, close
rules.add_perm("grants.reopen_decision", is_grants_staff & not_own_business)  # explicit, journalled
rules.add_perm("grants.record_payment", is_grants_staff & not_own_business)  # check invoices, order payment
rules.add_perm("grants.export_payments", is_grants_staff)
rules.add_perm("grants.view_dashboard", is_grants_staff)

# --- Telework (telecentres network) ------------------------------------------------------------
# A telecentre is run by its managers: the telecentre-manager role scoped to its place or to
# its operator organisation. Objects of a telecentre (resources, plans, bookings, closures,
# memberships) are checked through ``obj.telecentre`` (a booking through its resource).
# Employer managers (role scoped to the employer organisation) see their agreements, their
# employees' usage and their invoices, nothing more. Members see their own bookings,
# memberships and invoices. The programme team (business attraction) sees the whole network and
# runs prospecting.


def _telecentre_of(obj: Any) -> Any:
    for path in ("telecentre", "resource.telecentre"):
        target = obj
        for attribute in path.split("."):
            target = getattr(target, attribute, None)
        if target is not None:
            return target
    return obj


@rules.predicate
def manages_telecentre(user: Any, obj: Any) -> bool:
    """Object-level: telecentre manager of the object's telecentre (scoped to its place or
    its operator organisation). ``obj``: a telecentre or an object with ``telecentre`` or
    ``resource``."""
    telecentre = _telecentre_of(obj)
    place = getattr(telecentre, "place", None)
    if place is None:
        return False
    if holds_role_on(user, {Role.TELECENTRE_MANAGER}, place):
        return True
    operator = getattr(telecentre, "operator", None)
    return operator is not None and holds_role_on(user, {Role.TELECENTRE_MANAGER}, operator)


@rules.predicate
def manages_operator(user: Any, operator: Any) -> bool:
    """Object-level (the object is an operator organisation): telecentre manager scoped to it,
    or to one of the telecentres it operates."""
    if operator is None or getattr(operator, "pk", None) is None:
        return False
    if holds_role_on(user, {Role.TELECENTRE_MANAGER}, operator):
        return True
    return any(holds_role_on(user, {Role.TELECENTRE_MANAGER}, t.place) for t in operator.operated_telecentres.all())


@rules.predicate
def manages_employer_of(user: Any, obj: Any) -> bool:
    """Object-level: employer manager of the agreement's employer (``obj`` is an agreement, or
    has ``agreement``, or is an invoice paid by an organisation)."""
    employer = getattr(obj, "employer", None)
    if employer is None:
        agreement = getattr(obj, "agreement", None)
        employer = getattr(agreement, "employer", None)
    if employer is None:
        employer = getattr(obj, "payer_organisation", None)
    return employer is not None and holds_role_on(user, {Role.EMPLOYER_MANAGER}, employer)


@rules.predicate
def is_member_of(user: Any, obj: Any) -> bool:
    """Object-level: the booking, membership or series is the person's own; an invoice paid by them."""
    owner_id = getattr(obj, "member_id", None)
    if owner_id is None:
        owner_id = getattr(obj, "payer_user_id", None)
    return owner_id is not None and owner_id == getattr(user, "pk", None)


@rules.predicate
def manages_invoice_operator(user: Any, invoice: Any) -> bool:
    return manages_operator.test(user, getattr(invoice, "operator", None))


@rules.predicate
def manages_an_agreement_telecentre(user: Any, agreement: Any) -> bool:
    return any(manages_telecentre.test(user, t) for t in agreement.telecentres.all())


is_employer_manager = has_role(Role.EMPLOYER_MANAGER)
is_telecentre_manager = has_role(Role.TELECENTRE_MANAGER)

rules.add_perm("telework", is_platform_manager)
# Network: the programme team creates telecentres; managers run theirs (rules, resources,
# closures, plans, the day's bookings and arrivals).
rules.add_perm("telework.manage_network", is_platform_manager)
rules.add_perm("telework.manage_telecentre", is_platform_manager | manages_telecentre)  # obj: telecentre or its object
# Bookings: the member, or the telecentre's managers (who may book for someone at the desk).
rules.add_perm("telework.view_booking", is_member_of | is_platform_manager | manages_telecentre)  # obj: booking
rules.add_perm("telework.cancel_booking", is_member_of | is_platform_manager | manages_telecentre)  # obj: booking
rules.add_perm("telework.book_for_others", is_platform_manager | manages_telecentre)  # obj: telecentre
# Memberships and credits: the member sees theirs; managers grant plans and credits.
rules.add_perm("telework.view_membership", is_member_of | is_platform_manager | manages_telecentre)  # obj: membership
rules.add_perm("telework.manage_memberships", is_platform_manager | manages_telecentre)  # obj: telecentre
# Employer agreements: the programme team signs them; the telecentres' managers read those that
# cover them; the employer's managers read theirs and name or remove employees.
rules.add_perm("telework.manage_agreements", is_platform_manager)
rules.add_perm(
    "telework.view_agreement", is_platform_manager | manages_employer_of | manages_an_agreement_telecentre
)  # obj: agreement
rules.add_perm("telework.manage_agreement_employees", is_platform_manager | manages_employer_of)  # obj: agreement
rules.add_perm("telework.view_employer_space", is_employer_manager)
# Invoices: the payer (member or employer manager), the operator's managers, the programme team.
rules.add_perm(
    "telework.view_invoice", is_member_of | manages_employer_of | manages_invoice_operator | is_platform_manager
)  # obj: invoice
rules.add_perm("telework.issue_invoices", is_platform_manager | manages_operator)  # obj: operator organisation
rules.add_perm("telework.credit_invoice", is_platform_manager | manages_invoice_operator)  # obj: invoice
rules.add_perm("telework.export_invoices", is_platform_manager | is_telecentre_manager)
# Occupancy and impact: the managers for their telecentres, the programme team for all.
rules.add_perm("telework.view_occupancy", is_platform_manager | manages_telecentre)  # obj: telecentre
rules.add_perm("telework.view_network_occupancy", is_platform_manager)
# Prospecting: the département's business-attraction team.
rules.add_perm("telework.manage_prospects", is_platform_manager)
# Agreements part: removing an employee cancels their future bookings under the agreement, and
# the employer's managers who remove them do it through ``booking_cancel``, which asks for this
# permission on each booking (``manages_employer_of`` follows ``booking.agreement.employer``; a
# booking not paid by an agreement is never reached).
rules.set_perm(
    "telework.cancel_booking", is_member_of | is_platform_manager | manages_telecentre | manages_employer_of
)  # obj: booking

# --- Learning (cartable électronique, ENT) -----------------------------------------------------
# Access follows who is where, not roles alone: the classes a student is enrolled in this
# year, a parent's children, what a teacher teaches, the schools where a person is staff
# (the head of school among them). ``learning.access.access_for`` reads it once per request.
# Objects are checked through their class (``obj.school_class_id``; a lesson through its
# course, an attempt through its assignment, an answer through its attempt) or their school.
# The programme team creates schools and appoints their staff; it sees no pupil's work.


def _learning_access(user: Any) -> Any:
    from cybercantal.learning.access import access_for

    return access_for(user)


def _first_id(obj: Any, paths: tuple[str, ...]) -> int | None:
    """The first of the dotted ``paths`` (``"course.school_class_id"``) that leads to a value."""
    for path in paths:
        target = obj
        for attribute in path.split("."):
            target = getattr(target, attribute, None)
            if target is None:
                break
        if target is not None:
            return int(target)
    return None


def _class_id_of(obj: Any) -> int | None:
    """The class or group an ENT object belongs to (no query when the ids are at hand)."""
    from cybercantal.learning.models import SchoolClass

    if isinstance(obj, SchoolClass):
        return obj.pk
    return _first_id(obj, ("school_class_id", "course.school_class_id", "assignment.school_class_id",
                           "attempt.assignment.school_class_id", "lesson.course.school_class_id"))  # fmt: skip


def _school_id_of(obj: Any) -> int | None:
    from cybercantal.learning.models import School, SchoolClass

    if isinstance(obj, School):
        return obj.pk
    if isinstance(obj, SchoolClass):
        return obj.school_id
    school_id = getattr(obj, "school_id", None)
    if school_id is not None:
        return int(school_id)
    class_id = _class_id_of(obj)
    if class_id is None:
        return None
    return SchoolClass.objects.filter(pk=class_id).values_list("school_id", flat=True).first()


def _subject_id_of(obj: Any) -> int | None:
    return _first_id(obj, ("subject_id", "course.subject_id"))


@rules.predicate
def is_in_class(user: Any, obj: Any) -> bool:
    """Object-level: a student enrolled (this year) in the object's class or group."""
    class_id = _class_id_of(obj)
    return class_id is not None and class_id in _learning_access(user).class_ids


@rules.predicate
def has_child_in_class(user: Any, obj: Any) -> bool:
    """Object-level: the parent of a student enrolled in the object's class or group."""
    class_id = _class_id_of(obj)
    return class_id is not None and class_id in _learning_access(user).children_class_ids


@rules.predicate
def teaches_class(user: Any, obj: Any) -> bool:
    """Object-level: teaches the object's class or group (any subject)."""
    class_id = _class_id_of(obj)
    return class_id is not None and class_id in _learning_access(user).taught


@rules.predicate
def teaches_class_subject(user: Any, obj: Any) -> bool:
    """Object-level: teaches the object's subject to its class (a course, a homework, a
    cahier de textes entry); for an object without a subject, teaches the class."""
    class_id = _class_id_of(obj)
    subjects = _learning_access(user).taught.get(class_id) if class_id is not None else None
    if not subjects:
        return False
    subject_id = _subject_id_of(obj)
    return subject_id is None or subject_id in subjects


@rules.predicate
def is_school_staff(user: Any, obj: Any) -> bool:
    """Object-level: staff (ENT administrator) of the object's school."""
    school_id = _school_id_of(obj)
    return school_id is not None and school_id in _learning_access(user).staff_school_ids


@rules.predicate
def is_school_head(user: Any, obj: Any) -> bool:
    """Object-level: head of the object's school."""
    school_id = _school_id_of(obj)
    return school_id is not None and school_id in _learning_access(user).head_school_ids


@rules.predicate
def teaches_in_school(user: Any, obj: Any) -> bool:
    school_id = _school_id_of(obj)
    return school_id is not None and school_id in _learning_access(user).teacher_school_ids


@rules.predicate
def is_owner(user: Any, obj: Any) -> bool:
    """Object-level: the person's own object (question, exercise, category, document space)."""
    owner_id = getattr(obj, "owner_id", None)
    if owner_id is None:
        owner_id = getattr(getattr(obj, "space", None), "owner_id", None)
    return owner_id is not None and owner_id == getattr(user, "pk", None)


@rules.predicate
def is_shared_in_school(user: Any, obj: Any) -> bool:
    """Object-level: a question or exercise shared with the teachers of its school (a retired
    question is no longer shared: its author alone still sees it)."""
    shared = bool(getattr(obj, "shared", False)) and not getattr(obj, "retired", False)
    return shared and teaches_in_school.test(user, obj)


@rules.predicate
def is_published(user: Any, obj: Any) -> bool:
    status = getattr(obj, "status", None)
    course = getattr(obj, "course", None)
    if course is not None and getattr(course, "status", None) != "published":
        return False
    return status == "published"


@rules.predicate
def is_own_attempt(user: Any, obj: Any) -> bool:
    attempt = getattr(obj, "attempt", obj)
    return getattr(attempt, "student_id", None) == getattr(user, "pk", None)


@rules.predicate
def is_parent_of_attempt_student(user: Any, obj: Any) -> bool:
    attempt = getattr(obj, "attempt", obj)
    return getattr(attempt, "student_id", None) in _learning_access(user).child_ids


def _student_class_ids(student: Any) -> set[int]:
    """The pupil's classes and groups of this school year (a former class does not make its
    teacher one of the pupil's teachers: the pupil may be in another school now)."""
    from django.utils import timezone

    from cybercantal.learning.models import Enrolment

    today = timezone.localdate()
    return set(
        Enrolment.objects.filter(
            student=student, school_class__year__starts_on__lte=today, school_class__year__ends_on__gte=today
        ).values_list("school_class_id", flat=True)
    )


def _student_school_ids(student: Any) -> set[int]:
    """The schools the pupil is in today (not the ones they have left)."""
    from django.db.models import Q
    from django.utils import timezone

    from cybercantal.learning.models import SchoolMember

    today = timezone.localdate()
    return set(
        SchoolMember.objects.filter(user=student, kind="student")
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=today))
        .values_list("school_id", flat=True)
    )


@rules.predicate
def is_parent_of(user: Any, student: Any) -> bool:
    """Object-level (the object is a student): one of the person's children."""
    return getattr(student, "pk", None) in _learning_access(user).child_ids


@rules.predicate
def teaches_student(user: Any, student: Any) -> bool:
    """Object-level (the object is a student): teaches one of the student's classes."""
    taught = _learning_access(user).taught
    return bool(taught) and bool(_student_class_ids(student) & set(taught))


@rules.predicate
def is_staff_of_student(user: Any, student: Any) -> bool:
    """Object-level (the object is a student): staff of the student's school."""
    staff = _learning_access(user).staff_school_ids
    return bool(staff) and bool(_student_school_ids(student) & staff)


@rules.predicate
def is_current_class(user: Any, obj: Any) -> bool:
    """Object-level: a class or group of the current school year."""
    from django.utils import timezone

    year = getattr(obj, "year", None)
    if year is None:
        return False
    today = timezone.localdate()
    return bool(year.starts_on <= today <= year.ends_on)


@rules.predicate
def teaches_assignment_subject(user: Any, obj: Any) -> bool:
    """Object-level (an assignment, an attempt or an answer): teaches the assignment's class,
    in the exercise's subject (any subject when the exercise has none), or gave it. A history
    teacher of 5e B does not change the maths exercise's dates or grades."""
    from cybercantal.learning.models import Assignment

    assignment = obj if isinstance(obj, Assignment) else getattr(obj, "assignment", None)
    if assignment is None:
        assignment = getattr(getattr(obj, "attempt", None), "assignment", None)
    if assignment is None:
        return False
    subjects = _learning_access(user).taught.get(assignment.school_class_id)
    if not subjects:
        return False
    if assignment.created_by_id is not None and assignment.created_by_id == getattr(user, "pk", None):
        return True
    subject_id = assignment.exercise.subject_id
    return subject_id is None or subject_id in subjects


@rules.predicate
def is_ent_teacher(user: Any) -> bool:
    return _learning_access(user).is_teacher


@rules.predicate
def is_ent_staff(user: Any) -> bool:
    return _learning_access(user).is_staff


rules.add_perm("learning", is_platform_manager)
# Schools: the programme team opens them and appoints their staff; the staff run them
# (classes, people, imports, year rollover, activation letters).
rules.add_perm("learning.manage_schools", is_platform_manager)
# The programme team sees a school's page (classes, counts, its ENT staff) but no pupil's
# name: the people, the classes' members, the imports and the letters are the school's own
# business (pupils are minors: the least people see them).
rules.add_perm("learning.view_school", is_platform_manager | is_school_staff)  # obj: school
rules.add_perm("learning.manage_school", is_school_staff)  # obj: school or its class
rules.add_perm("learning.view_class", is_in_class | has_child_in_class | teaches_class | is_school_staff)  # obj: class
# Imports and letters: the staff import every list of the school; a teacher imports the pupils
# of the classes she teaches (``services.provisioning.import_scope`` checks each row) and
# prints the activation letters of those classes, for this school year only.
rules.add_perm("learning.import_students", is_school_staff | teaches_in_school)  # obj: school
rules.add_perm("learning.print_letters", (is_school_staff | teaches_class) & is_current_class)  # obj: class
# Passwords of pupils: their teachers and the school's staff reset them (new activation letter).
rules.add_perm("learning.reset_password", teaches_student | is_staff_of_student)  # obj: student (user)
rules.add_perm("learning.view_student", is_self | is_parent_of | teaches_student | is_staff_of_student)  # obj: student
rules.add_perm("learning.export_student_data", is_self | is_parent_of | is_staff_of_student)  # obj: student
# Courses: published ones for the class's pupils and their parents; the class's teachers
# write them (in the subject they teach it) and see drafts.
rules.add_perm(
    "learning.view_course", ((is_in_class | has_child_in_class) & is_published) | teaches_class | is_school_staff
)  # obj: course or lesson
rules.add_perm("learning.edit_course", teaches_class_subject)  # obj: course, or a class (new course)
# Documents: one's own space; a document reaches others only through a course or homework.
rules.add_perm("learning.manage_document", is_owner)  # obj: document, folder or space
# Question bank and exercises: one's own, and what colleagues of the school shared.
rules.add_perm("learning.use_question_bank", is_ent_teacher)
rules.add_perm("learning.manage_question", is_owner)  # obj: question, category, exercise
rules.add_perm("learning.view_question", is_owner | is_shared_in_school)  # obj: question
# Assignments and attempts.
rules.add_perm("learning.assign_exercise", teaches_class)  # obj: class
rules.add_perm(
    "learning.view_assignment", is_in_class | has_child_in_class | teaches_class | is_school_staff
)  # obj: assignment
rules.add_perm("learning.manage_assignment", teaches_assignment_subject)  # obj: assignment
rules.add_perm("learning.attempt_assignment", is_in_class)  # obj: assignment
rules.add_perm(
    "learning.view_attempt", is_own_attempt | is_parent_of_attempt_student | teaches_class
)  # obj: attempt or answer
rules.add_perm("learning.grade_attempt", teaches_assignment_subject)  # obj: attempt or answer
# Cahier de textes and homework: the class, its parents, its teachers, the school's staff
# read it; the class's teachers write it in their subject; the head signs it off.
rules.add_perm(
    "learning.view_homework", is_in_class | has_child_in_class | teaches_class | is_school_staff
)  # obj: homework, log or class
rules.add_perm("learning.edit_homework", teaches_class_subject)  # obj: homework or log, or a class
rules.add_perm("learning.view_workload", teaches_class | is_school_staff)  # obj: class
rules.add_perm("learning.sign_off", is_school_head)  # obj: class
