"""Provisioning of the ENT: people imported from the schools' CSV files, ENT accounts for
people without email, one-time activation codes (letters), activation, password resets.

Rules kept here (and tested in ``tests/test_provisioning_*.py``):

- an import writes everything or nothing (one transaction; any wrong row: nothing); the
  school's row is locked for the whole import, so two imports of the same school run one
  after the other (the second finds the people the first created: no duplicates);
- the same file twice creates and updates nothing; people are recognised by the school
  software's identifier (``SchoolMember.external_id``), teachers also by their address,
  parents by their address or, without one, by their name among the pupil's parents;
- pupils absent from a full student file leave the school only when asked
  (``mark_leavers``): their ``left_on`` is today and their student role ends;
- the school's staff import every list; a teacher imports only the pupils of the classes
  and groups she teaches (``import_scope``): a row naming another class, moving a pupil who
  is in another class, or recording a departure is refused with its line; her file never
  marks departures nor touches the groups she does not teach;
- a person without email gets an ENT login (``hugo.teyssedou``, ``hugo.teyssedou2``…),
  ``User.email = <login>@ent.invalid`` (nothing is ever sent there) and an unusable password
  until they activate their account with a one-time code printed on a letter;
- a code is 10 characters of an unambiguous alphabet (no 0/O, 1/I/L), shown grouped
  (``K7QM-4PZT-9X``), valid ``CODE_VALID_DAYS`` days, stored hashed, compared in constant
  time, works once; issuing a new one makes the previous one useless;
- a password reset by a teacher or the school's staff issues a new code and makes the
  password unusable: the pupil is signed out everywhere (Django checks the session's
  password hash on every request).

Codes are hashed with PBKDF2 (``make_password`` with ``CodeHasher``: 20,000 iterations
instead of a password's million, because a class's letters make 30 hashes in one request;
a code has ~50 bits of randomness, expires and is rate-limited, so this is enough).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from unidecode import unidecode

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.accounts.services import require_permission, role_end, role_grant
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.core.text import normalise

from .. import imports
from ..access import forget
from ..imports import ImportFileError, ParentRow, Parsed, Problem, StudentRow, TeacherRow
from ..models import (
    Enrolment,
    EntAccount,
    ImportRun,
    ParentLink,
    School,
    SchoolClass,
    SchoolMember,
    SchoolYear,
    Subject,
    Teaching,
)

logger = logging.getLogger(__name__)
User = get_user_model()

ENT_DOMAIN = "ent.invalid"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CODE_VALID_DAYS = 30
LOGIN_PART_MAX = 28

# Rate limits of activation and sign-in (failures per window, in the cache).
FAILURE_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_IP = 50  # a whole class behind the collège's one address

STUDENTS, TEACHERS, PARENTS = imports.STUDENTS, imports.TEACHERS, imports.PARENTS


# --- codes and logins -------------------------------------------------------------------------


class CodeHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with fewer iterations, for one-time activation codes only."""

    iterations = 20_000


_CODE_HASHER = CodeHasher()


def new_code() -> str:
    """Ten random characters of ``CODE_ALPHABET`` (about 50 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7QM4PZT9X`` -> ``K7QM-4PZT-9X`` (easier to read and type)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def clean_code(text: str) -> str:
    """What a person typed, upper case, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:40]


def hash_code(code: str) -> str:
    return make_password(clean_code(code), hasher=_CODE_HASHER)


def code_matches(code: str, encoded: str) -> bool:
    """Constant-time comparison of a typed code with the stored hash."""
    if not encoded or not encoded.startswith(f"{_CODE_HASHER.algorithm}$"):
        _CODE_HASHER.encode("x", _CODE_HASHER.salt())  # same work for an unknown login
        return False
    return _CODE_HASHER.verify(clean_code(code), encoded)


def login_base(first_name: str, last_name: str) -> str:
    """``Hugo``, ``Teyssèdou`` -> ``hugo.teyssedou``: ASCII, lower case, letters, digits and
    hyphens; spaces and apostrophes dropped (``d'Alembert`` -> ``dalembert``)."""

    def part(text: str) -> str:
        folded = unidecode(text or "").lower()
        folded = re.sub(r"[\s'’`]+", "", folded)
        folded = re.sub(r"[^a-z0-9-]+", "", folded)
        folded = re.sub(r"-{2,}", "-", folded).strip("-")
        return folded[:LOGIN_PART_MAX].strip("-")

    first, last = part(first_name), part(last_name)
    base = ".".join(p for p in (first, last) if p) or "eleve"
    return base


def unique_logins(bases: Sequence[str]) -> list[str]:
    """A free login for each base, in order: the base itself, then ``base2``, ``base3``…
    (also unique among the bases of the same call). Reads the taken ones in a few queries."""
    wanted = sorted(set(bases))
    taken: set[str] = set()
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        query = Q()
        for base in chunk:
            query |= Q(login__startswith=base)
        taken.update(EntAccount.objects.filter(query).values_list("login", flat=True))
    result = []
    for base in bases:
        login, number = base, 1
        while login in taken:
            number += 1
            login = f"{base}{number}"
        taken.add(login)
        result.append(login)
    return result


def placeholder_email(login: str) -> str:
    return f"{login}@{ENT_DOMAIN}"


def has_real_email(user: Any) -> bool:
    return not (user.email or "").lower().endswith(f"@{ENT_DOMAIN}")


# --- the school year --------------------------------------------------------------------------


def current_year(on: dt.date | None = None) -> SchoolYear | None:
    on = on or timezone.localdate()
    return SchoolYear.objects.filter(starts_on__lte=on, ends_on__gte=on).first()


def import_years(school: School) -> list[SchoolYear]:
    """The years an import may fill: the current one and those where the school has classes
    (the next one, prepared before the rentrée)."""
    today = timezone.localdate()
    return list(
        SchoolYear.objects.filter(Q(starts_on__lte=today, ends_on__gte=today) | Q(classes__school=school))
        .filter(ends_on__gte=today)
        .distinct()
        .order_by("starts_on")
    )


# --- the import plan (reads only) -------------------------------------------------------------


@dataclass
class PlannedPerson:
    row: Any
    member: Any = None  # SchoolMember (None: a new person)
    user: Any = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import will do, computed without writing (the preview shows it)."""

    kind: str
    school: School
    year: SchoolYear
    parsed: Parsed
    create: list[PlannedPerson] = field(default_factory=list)
    update: list[PlannedPerson] = field(default_factory=list)
    unchanged: list[PlannedPerson] = field(default_factory=list)
    leavers: list[SchoolMember] = field(default_factory=list)
    # resolved references (class ids by normalised name, subjects, pupils)
    classes: dict[str, SchoolClass] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    students: dict[str, SchoolMember] = field(default_factory=dict)
    # for parents: a key per person (several rows may be the same parent)
    parent_keys: dict[int, str] = field(default_factory=dict)
    parent_users: dict[str, Any] = field(default_factory=dict)
    # None: the whole school (its staff); else the classes and groups a teacher may fill
    scope: frozenset[int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.create),
            "updated": len(self.update),
            "unchanged": len(self.unchanged),
            "leavers": len(self.leavers),
        }


def _class_key(name: str) -> str:
    return normalise(name).strip()


def _classes_of(school: School, year: SchoolYear) -> dict[str, SchoolClass]:
    return {_class_key(c.name): c for c in SchoolClass.objects.filter(school=school, year=year)}


def _unknown_class(name: str, year: SchoolYear) -> str:
    return _(
        "la classe ou le groupe « %(name)s » n'existe pas dans ce collège pour %(year)s : créez-le d'abord "
        "ou corrigez le nom."
    ) % {"name": name, "year": year.label}


def import_scope(actor: Any, school: School, kind: str = STUDENTS) -> frozenset[int] | None:
    """What ``actor`` may import into ``school``: ``None`` for every list of the school (its
    staff, the platform), or the ids of the classes and groups she teaches for a teacher
    (pupils only). Raises ``NotAllowed`` for anyone else, or a teacher sending another list."""
    from cybercantal.accounts.services import NotAllowed

    from ..access import access_for

    if actor is None or actor.has_perm("learning.manage_school", school):
        return None
    require_permission(
        actor, "learning.import_students", school, message=_("Seul le personnel du collège importe ses listes.")
    )
    if kind != STUDENTS:
        raise NotAllowed(
            _(
                "Un enseignant importe seulement les élèves de ses classes : les enseignants et les responsables "
                "légaux sont importés par le personnel du collège."
            )
        )
    return frozenset(access_for(actor).taught)


def import_plan(*, actor: Any, school: School, parsed: Parsed, year: SchoolYear | None = None) -> ImportPlan:
    """Check ``parsed`` against the school (classes, subjects, pupils) and compute what the
    import would do. Raises ``ImportFileError`` (nothing imported) or ``NotAllowed``.

    A teacher's import (``import_scope``) only fills the classes and groups she teaches: a
    row naming another class or group, moving a pupil who is in another class, or recording
    a departure is a problem of that row; the school's other pupils are not looked at (no
    departures)."""
    scope = import_scope(actor, school, parsed.kind)
    year = year or current_year()
    if year is None:
        raise ImportFileError([Problem(0, "", _("Aucune année scolaire n'est en cours : créez-la d'abord."))])
    plan = ImportPlan(kind=parsed.kind, school=school, year=year, parsed=parsed, scope=scope)
    plan.classes = _classes_of(school, year)
    planner = {STUDENTS: _plan_students, TEACHERS: _plan_teachers, PARENTS: _plan_parents}[parsed.kind]
    problems = planner(plan)
    if problems:
        raise ImportFileError(problems)
    return plan


def _plan_students(plan: ImportPlan) -> list[Problem]:
    rows: list[StudentRow] = plan.parsed.rows
    labels = {c.key: c.label for c in imports.COLUMNS[STUDENTS]}
    problems: list[Problem] = []
    members = {
        m.external_id: m
        for m in SchoolMember.objects.filter(
            school=plan.school, kind=SchoolMember.Kind.STUDENT, external_id__in=[r.external_id for r in rows]
        ).select_related("user")
    }
    enrolments: dict[int, dict[str, Any]] = defaultdict(lambda: {"class": None, "groups": set()})
    for student_id, class_id, is_group in Enrolment.objects.filter(
        student_id__in=[m.user_id for m in members.values()], year=plan.year, school_class__school=plan.school
    ).values_list("student_id", "school_class_id", "is_group"):
        if is_group:
            enrolments[student_id]["groups"].add(class_id)
        else:
            enrolments[student_id]["class"] = class_id
    scope = plan.scope
    for row in rows:
        klass = plan.classes.get(_class_key(row.class_name))
        if klass is None:
            problems.append(Problem(row.line, labels["class_name"], _unknown_class(row.class_name, plan.year)))
        elif scope is not None and klass.pk not in scope:
            problems.append(Problem(row.line, labels["class_name"], _not_taught(row.class_name)))
        elif klass.kind != SchoolClass.Kind.CLASS:
            problems.append(
                Problem(
                    row.line,
                    labels["class_name"],
                    _("« %(name)s » est un groupe : indiquez la classe ici et le groupe dans « Groupes ».")
                    % {"name": row.class_name},
                )
            )
        for group_name in row.groups:
            group = plan.classes.get(_class_key(group_name))
            if group is None:
                problems.append(Problem(row.line, labels["groups"], _unknown_class(group_name, plan.year)))
            elif scope is not None and group.pk not in scope:
                problems.append(Problem(row.line, labels["groups"], _not_taught(group_name)))
            elif group.kind != SchoolClass.Kind.GROUP:
                problems.append(
                    Problem(
                        row.line,
                        labels["groups"],
                        _("« %(name)s » est une classe, pas un groupe : indiquez-la dans la colonne « Classe ».")
                        % {"name": group_name},
                    )
                )
        member = members.get(row.external_id)
        if scope is not None:
            current_class = enrolments[member.user_id]["class"] if member is not None else None
            problems += _teacher_row_problems(row, member, current_class, klass, labels)
        if problems and problems[-1].line == row.line:
            continue
        person = PlannedPerson(row=row, member=member, user=member.user if member else None)
        if member is None:
            plan.create.append(person)
            continue
        user = member.user
        current = enrolments[user.pk]
        wanted_groups = {plan.classes[_class_key(g)].pk for g in row.groups}
        current_groups = current["groups"] if scope is None else current["groups"] & scope
        if (user.last_name, user.first_name) != (row.last_name, row.first_name):
            person.changes.append(_("nom"))
        if current["class"] != klass.pk:  # type: ignore[union-attr]
            person.changes.append(_("classe"))
        if current_groups != wanted_groups:
            person.changes.append(_("groupes"))
        if member.left_on != row.left_on:
            person.changes.append(_("date de sortie"))
        (plan.update if person.changes else plan.unchanged).append(person)
    if scope is not None:
        return problems  # a teacher's file is not the whole school: no departures
    in_file = {r.external_id for r in rows}
    plan.leavers = list(
        SchoolMember.objects.filter(school=plan.school, kind=SchoolMember.Kind.STUDENT, left_on__isnull=True)
        .exclude(external_id="")
        .exclude(external_id__in=in_file)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    return problems


def _not_taught(name: str) -> str:
    return _(
        "vous n'enseignez pas en « %(name)s » : seul le personnel du collège importe les élèves de cette classe "
        "ou de ce groupe."
    ) % {"name": name}


def _teacher_row_problems(
    row: StudentRow,
    member: SchoolMember | None,
    current_class: int | None,
    klass: SchoolClass | None,
    labels: dict[str, str],
) -> list[Problem]:
    """What a teacher may not do with a row: move a pupil who is in another class (or none of
    hers), record a departure, bring back a pupil who left. The other pupil's name and
    class are not given (the teacher does not teach them)."""
    problems = []
    if member is not None:
        if current_class is not None and klass is not None and current_class != klass.pk:
            problems.append(
                Problem(
                    row.line,
                    labels["class_name"],
                    _(
                        "l'élève n° %(number)s est inscrit dans une autre classe : seul le personnel du collège "
                        "change un élève de classe."
                    )
                    % {"number": row.external_id},
                )
            )
        if member.left_on is not None and member.left_on != row.left_on:
            problems.append(
                Problem(
                    row.line,
                    labels["left_on"],
                    _("l'élève n° %(number)s a quitté le collège : seul le personnel du collège le réinscrit.")
                    % {"number": row.external_id},
                )
            )
    if row.left_on is not None and (member is None or member.left_on != row.left_on):
        problems.append(
            Problem(
                row.line,
                labels["left_on"],
                _("seul le personnel du collège enregistre le départ d'un élève : laissez cette colonne vide."),
            )
        )
    return problems


def _users_by_email(emails: Sequence[str]) -> dict[str, Any]:
    from django.db.models.functions import Lower

    wanted = sorted({e.lower() for e in emails if e})
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            found[user.email.lower()] = user
    return found


def _subject_index() -> dict[str, Subject]:
    index: dict[str, Subject] = {}
    for subject in Subject.objects.all():
        for text in (subject.short_name, subject.name, subject.code):
            if text:
                index[normalise(text).strip()] = subject
    return index


def _plan_teachers(plan: ImportPlan) -> list[Problem]:
    rows: list[TeacherRow] = plan.parsed.rows
    labels = {c.key: c.label for c in imports.COLUMNS[TEACHERS]}
    problems: list[Problem] = []
    plan.subjects = _subject_index()
    members = {
        m.external_id: m
        for m in SchoolMember.objects.filter(
            school=plan.school, kind=SchoolMember.Kind.TEACHER, external_id__in=[r.external_id for r in rows]
        ).select_related("user")
    }
    by_email = _users_by_email([r.email for r in rows])
    teachings: dict[int, set[tuple[int, int, bool]]] = defaultdict(set)
    for teacher_id, class_id, subject_id, main in Teaching.objects.filter(
        school_class__school=plan.school, school_class__year=plan.year
    ).values_list("teacher_id", "school_class_id", "subject_id", "is_main_teacher"):
        teachings[teacher_id].add((class_id, subject_id, main))
    for row in rows:
        row_problems: list[Problem] = []
        row_problems += [
            Problem(row.line, labels["subjects"], _("matière inconnue : « %(name)s ».") % {"name": subject})
            for subject in row.subjects
            if normalise(subject).strip() not in plan.subjects
        ]
        for cell in row.teachings:
            if _class_key(cell.class_name) not in plan.classes:
                row_problems.append(Problem(row.line, labels["classes"], _unknown_class(cell.class_name, plan.year)))
            if cell.subject and normalise(cell.subject).strip() not in plan.subjects:
                row_problems.append(
                    Problem(row.line, labels["classes"], _("matière inconnue : « %(name)s ».") % {"name": cell.subject})
                )
        taught_names = {_class_key(c.class_name) for c in row.teachings}
        for name in row.main_classes:
            if _class_key(name) not in plan.classes:
                row_problems.append(Problem(row.line, labels["main_classes"], _unknown_class(name, plan.year)))
            elif _class_key(name) not in taught_names:
                row_problems.append(
                    Problem(
                        row.line,
                        labels["main_classes"],
                        _("l'enseignant n'a pas la classe « %(name)s » dans la colonne « Classes ».") % {"name": name},
                    )
                )
        member = members.get(row.external_id)
        user: Any = member.user if member else by_email.get(row.email)
        if member is None and user is not None and not user.is_active:
            row_problems.append(
                Problem(row.line, labels["email"], _("le compte de cette adresse est désactivé : écrivez au support."))
            )
        if row_problems:
            problems += row_problems
            continue
        person = PlannedPerson(row=row, member=member, user=user)
        if member is None:
            plan.create.append(person)
            continue
        if (user.last_name, user.first_name) != (row.last_name, row.first_name):
            person.changes.append(_("nom"))
        if teachings[user.pk] != _wanted_teachings(plan, row):
            person.changes.append(_("classes"))
        if member.left_on is not None:
            person.changes.append(_("retour"))
        (plan.update if person.changes else plan.unchanged).append(person)
    return problems


def _wanted_teachings(plan: ImportPlan, row: TeacherRow) -> set[tuple[int, int, bool]]:
    main = {_class_key(name) for name in row.main_classes}
    return {
        (
            plan.classes[_class_key(cell.class_name)].pk,
            plan.subjects[normalise(cell.subject).strip()].pk,
            _class_key(cell.class_name) in main,
        )
        for cell in row.teachings
    }


def _person_key(last_name: str, first_name: str) -> str:
    return f"{normalise(last_name).strip()}|{normalise(first_name).strip()}"


def _plan_parents(plan: ImportPlan) -> list[Problem]:
    rows: list[ParentRow] = plan.parsed.rows
    labels = {c.key: c.label for c in imports.COLUMNS[PARENTS]}
    problems: list[Problem] = []
    plan.students = {
        m.external_id: m
        for m in SchoolMember.objects.filter(
            school=plan.school, kind=SchoolMember.Kind.STUDENT, external_id__in=[r.student_external_id for r in rows]
        ).select_related("user")
    }
    student_ids = [m.user_id for m in plan.students.values()]
    links = {
        (link.student_id, link.parent_id): link
        for link in ParentLink.objects.filter(student_id__in=student_ids).select_related("parent")
    }
    parents_by_name: dict[tuple[int, str], Any] = {}
    for (student_id, _parent_id), existing in links.items():
        parents_by_name[(student_id, _person_key(existing.parent.last_name, existing.parent.first_name))] = (
            existing.parent
        )
    by_email = _users_by_email([r.email for r in rows if r.email])
    # Rows of the same person (several children): same address, or same name without one.
    for row in rows:
        member = plan.students.get(row.student_external_id)
        if member is None:
            problems.append(
                Problem(
                    row.line,
                    labels["student_external_id"],
                    _("aucun élève du collège n'a le numéro « %(id)s » : importez d'abord les élèves.")
                    % {"id": row.student_external_id},
                )
            )
            continue
        if member.left_on is not None and member.left_on < timezone.localdate():
            problems.append(
                Problem(
                    row.line,
                    labels["student_external_id"],
                    _("l'élève « %(id)s » a quitté le collège.") % {"id": row.student_external_id},
                )
            )
            continue
        key = f"@{row.email}" if row.email else f"#{_person_key(row.last_name, row.first_name)}"
        plan.parent_keys[row.line] = key
        user = plan.parent_users.get(key)
        if user is None:
            user = by_email.get(row.email) if row.email else None
            if user is None:  # imported earlier without an address, or added by hand
                user = parents_by_name.get((member.user_id, _person_key(row.last_name, row.first_name)))
            if user is not None and user.pk == member.user_id:
                problems.append(
                    Problem(row.line, labels["email"], _("c'est l'adresse de l'élève lui-même, pas d'un responsable."))
                )
                continue
            if user is not None:
                plan.parent_users[key] = user
        person = PlannedPerson(row=row, user=user)
        link: ParentLink | None = links.get((member.user_id, user.pk)) if user is not None else None
        if link is None:
            plan.create.append(person)
        elif link.relation != row.relation:
            person.changes.append(_("lien"))
            plan.update.append(person)
        else:
            plan.unchanged.append(person)
    return problems


# --- applying the plan ------------------------------------------------------------------------


class ImportConflictError(ValidationError):
    """Another import wrote the same people at the same moment: nothing was imported."""


@transaction.atomic
def people_import(
    *,
    actor: Any,
    school: School,
    parsed: Parsed,
    file_name: str,
    year: SchoolYear | None = None,
    mark_leavers: bool = False,
) -> ImportRun:
    """Import ``parsed`` (students, teachers or parents) into ``school``: everything, or
    nothing with ``ImportFileError``. Returns the ``ImportRun`` with its counts. A teacher
    imports only the pupils of her classes (``import_plan``) and never marks departures."""
    if import_scope(actor, school, parsed.kind) is not None:
        mark_leavers = False
    # One import at a time per school: the second waits here, then plans against what the
    # first wrote (no duplicate person).
    school = lock_for_update(School.objects.filter(pk=school.pk)).select_related("organisation").get()
    plan = import_plan(actor=actor, school=school, parsed=parsed, year=year)
    left = 0
    try:
        with transaction.atomic():
            if parsed.kind == STUDENTS:
                _apply_students(plan)
                if mark_leavers:
                    left = _apply_leavers(plan, actor)
            elif parsed.kind == TEACHERS:
                _apply_teachers(plan)
            else:
                _apply_parents(plan)
    except IntegrityError as exc:
        logger.info("import conflict", exc_info=True)
        raise ImportConflictError(
            _(
                "Un autre import a enregistré les mêmes personnes au même moment : rien n'a été importé. "
                "Recommencez dans un instant."
            ),
            code="conflict",
        ) from exc
    counts = plan.counts
    run = ImportRun.objects.create(
        school=school,
        kind=parsed.kind,
        file_name=(file_name or "import.csv")[:200],
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        left=left,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    journal.record(
        actor=actor,
        action="learning.import",
        target=run,
        data={
            "school_id": school.pk,
            "kind": parsed.kind,
            "year": plan.year.label,
            "rows": len(parsed.rows),
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "left": left,
            "scope": "school" if plan.scope is None else "classes",
        },
    )
    return run


def _new_users(people: Iterable[tuple[str, str, str]]) -> list[Any]:
    """Insert users (email, first name, last name) with an unusable password, in bulk."""
    users = [
        User(email=email, first_name=first[:150], last_name=last[:150], password=make_password(None))
        for email, first, last in people
    ]
    return User.objects.bulk_create(users)


def _new_ent_accounts(people: Sequence[tuple[str, str]]) -> list[tuple[Any, str]]:
    """Users without email (first name, last name): logins, placeholder addresses, accounts."""
    logins = unique_logins([login_base(first, last) for first, last in people])
    users = _new_users(
        (placeholder_email(login), first, last) for login, (first, last) in zip(logins, people, strict=True)
    )
    EntAccount.objects.bulk_create(
        [EntAccount(user=user, login=login) for user, login in zip(users, logins, strict=True)]
    )
    return list(zip(users, logins, strict=True))


def _grant_missing(users: Iterable[Any], role: str, scope: Any, *, new: Iterable[Any] = ()) -> None:
    """Give ``role`` (on ``scope``) to those of ``users`` who do not hold it today.

    People created by this import (``new``) cannot hold any role yet: their memberships are
    inserted in bulk with one journal entry (``role_grant`` would lock, check and journal
    each of them, 5 queries a person: 1,000 pupils took 12 s). The others go through
    ``accounts.services.role_grant``."""
    fresh = {u.pk: u for u in new}
    users = [u for u in {u.pk: u for u in users}.values() if u.is_active]
    if not users:
        return
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    scope_id = scope.pk if scope is not None else None
    others = [u for u in users if u.pk not in fresh]
    holding: set[int] = set()
    if others:
        holders = RoleMembership.objects.active().filter(user__in=others, role=role)
        holders = holders.for_scope(scope) if scope is not None else holders.filter(scope_type__isnull=True)
        holding = set(holders.values_list("user_id", flat=True))
    for user in others:
        if user.pk not in holding:
            role_grant(actor=None, user=user, role=role, scope=scope)
    bulk = [u for u in users if u.pk in fresh]
    if bulk:
        today = timezone.localdate()
        RoleMembership.objects.bulk_create(
            [RoleMembership(user=u, role=role, scope_type=scope_type, scope_id=scope_id, starts_on=today) for u in bulk]
        )
        journal.record(
            actor=None,
            action="role.granted",
            data={
                "role": role,
                "scope_type": f"{scope_type.app_label}.{scope_type.model}" if scope_type else "",
                "scope_id": scope_id,
                "starts_on": today.isoformat(),
                "user_ids": [u.pk for u in bulk],
                "by": "learning.import",
            },
        )


def _set_enrolments(plan: ImportPlan, pairs: list[tuple[Any, StudentRow]]) -> None:
    """The class and groups of the year for each (user, row): one query to read, bulk writes."""
    school_class_ids = [c.pk for c in plan.classes.values()]
    existing: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in Enrolment.objects.filter(
        student_id__in=[u.pk for u, _row in pairs], year=plan.year, school_class_id__in=school_class_ids
    ):
        existing[enrolment.student_id].append(enrolment)
    to_create: list[Enrolment] = []
    to_update: list[Enrolment] = []
    to_delete: list[int] = []
    for user, row in pairs:
        klass = plan.classes[_class_key(row.class_name)]
        groups = {plan.classes[_class_key(g)].pk for g in row.groups}
        mine = existing.get(user.pk, [])
        class_enrolment = next((e for e in mine if not e.is_group), None)
        if class_enrolment is None:
            to_create.append(Enrolment(student=user, school_class=klass, year=plan.year, is_group=False))
        elif class_enrolment.school_class_id != klass.pk:
            class_enrolment.school_class = klass
            to_update.append(class_enrolment)
        have = {e.school_class_id: e for e in mine if e.is_group}
        to_delete += [
            e.pk
            for class_id, e in have.items()
            if class_id not in groups and (plan.scope is None or class_id in plan.scope)
        ]
        to_create += [
            Enrolment(student=user, school_class_id=group_id, year=plan.year, is_group=True)
            for group_id in groups
            if group_id not in have
        ]
    if to_delete:
        Enrolment.objects.filter(pk__in=to_delete).delete()
    if to_update:
        Enrolment.objects.bulk_update(to_update, ["school_class"])
    if to_create:
        Enrolment.objects.bulk_create(to_create)


def _apply_students(plan: ImportPlan) -> None:
    school = plan.school
    created = _new_ent_accounts([(p.row.first_name, p.row.last_name) for p in plan.create])
    today = timezone.localdate()
    SchoolMember.objects.bulk_create(
        [
            SchoolMember(
                school=school,
                user=user,
                kind=SchoolMember.Kind.STUDENT,
                external_id=person.row.external_id,
                joined_on=today,
                left_on=person.row.left_on,
            )
            for person, (user, _login) in zip(plan.create, created, strict=True)
        ]
    )
    for person, (user, _login) in zip(plan.create, created, strict=True):
        person.user = user
    users_to_update = []
    members_to_update = []
    members_to_update_people: list[PlannedPerson] = []
    for person in plan.update:
        row, user, member = person.row, person.user, person.member
        if (user.last_name, user.first_name) != (row.last_name, row.first_name):
            user.last_name, user.first_name = row.last_name, row.first_name
            users_to_update.append(user)
        if member.left_on != row.left_on:
            member.left_on = row.left_on
            members_to_update.append(member)
            members_to_update_people.append(person)
    if users_to_update:
        User.objects.bulk_update(users_to_update, ["last_name", "first_name"])
    if members_to_update:
        SchoolMember.objects.bulk_update(members_to_update, ["left_on"])
    _set_enrolments(plan, [(p.user, p.row) for p in plan.create + plan.update])
    _end_student_roles(plan, [p for p in members_to_update_people if p.row.left_on is not None])
    _grant_missing(
        [p.user for p in plan.create + plan.update if p.row.left_on is None or p.row.left_on >= today],
        Role.STUDENT,
        school.organisation,
        new=[user for user, _login in created],
    )
    for person in plan.create + plan.update:
        forget(person.user)


def _apply_leavers(plan: ImportPlan, actor: Any) -> int:
    """Pupils absent from the file leave today (``schools.member_leave``: ``left_on`` and
    the end of their student role)."""
    from .schools import member_leave

    today = timezone.localdate()
    for member in plan.leavers:
        member_leave(actor=actor, member=member, on=today)
    return len(plan.leavers)


def _end_student_roles(plan: ImportPlan, people: Sequence[PlannedPerson]) -> None:
    """A date of departure in the file ends the pupil's student role that day."""
    for person in people:
        on = person.row.left_on
        memberships = (
            RoleMembership.objects.filter(user=person.user, role=Role.STUDENT)
            .for_scope(plan.school.organisation)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on))
        )
        for membership in memberships:
            role_end(actor=None, membership=membership, on=max(on, membership.starts_on))


def _invitation(user: Any, *, school: School, role_label: str) -> None:
    """Email a person who has an address a link to choose their password (allauth's
    password-reset link; nothing is sent to a ``.invalid`` address)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    try:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
        )
        fallback = reverse("account_reset_password")
    except NoReverseMatch:  # pragma: no cover - allauth's URLs are always mounted
        return
    body = _(
        "Bonjour %(name)s,\n\n"
        "%(school)s vous a ouvert un compte « %(role)s » sur le cartable électronique (ENT) de %(platform)s.\n\n"
        "Votre identifiant est votre adresse : %(email)s\n"
        "Choisissez votre mot de passe avec ce lien (valable quelques jours) :\n%(link)s\n\n"
        "Si le lien ne marche plus, demandez-en un autre ici avec votre adresse :\n%(fallback)s\n\n"
        "Ensuite, le cartable est ici : %(ent)s\n"
    ) % {
        "name": user.get_full_name() or user.email,
        "school": school.name,
        "role": role_label,
        "platform": _platform_name(),
        "email": user.email,
        "link": absolute_url(path),
        "fallback": absolute_url(fallback),
        "ent": absolute_url(_ent_home_path()),
    }
    email_on_commit(
        subject=_("Votre compte du cartable électronique (%(school)s)") % {"school": school.name},
        body=body,
        to=[user.email],
    )


def _platform_name() -> str:
    from django.conf import settings

    return str(getattr(settings, "PLATFORM_NAME", "CyberCantal"))


def _ent_home_path() -> str:
    try:
        return reverse("learning:home")
    except NoReverseMatch:
        return "/ent/"


def _verified_address(users: Iterable[Any]) -> None:
    """The school's software vouches for the address: it is the person's verified primary
    address (allauth asks no confirmation email after they choose their password)."""
    from allauth.account.models import EmailAddress

    users = list(users)
    have = set(EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users if u.pk not in have]
    )


def _apply_teachers(plan: ImportPlan) -> None:
    school, today = plan.school, timezone.localdate()
    new_people = [p for p in plan.create if p.user is None]
    new_users = _new_users((p.row.email, p.row.first_name, p.row.last_name) for p in new_people)
    for person, user in zip(new_people, new_users, strict=True):
        person.user = user
    _verified_address(new_users)
    existing_members = {
        m.user_id: m
        for m in SchoolMember.objects.filter(
            school=school, kind=SchoolMember.Kind.TEACHER, user_id__in=[p.user.pk for p in plan.create]
        )
    }
    members_to_update = []
    new_members = []
    for person in plan.create:
        member = existing_members.get(person.user.pk)
        if member is None:
            new_members.append(
                SchoolMember(
                    school=school,
                    user=person.user,
                    kind=SchoolMember.Kind.TEACHER,
                    external_id=person.row.external_id,
                    joined_on=today,
                )
            )
        else:  # a teacher entered by hand earlier, now with the software's identifier
            member.external_id, member.left_on = person.row.external_id, None
            members_to_update.append(member)
    SchoolMember.objects.bulk_create(new_members)
    users_to_update = []
    for person in plan.update:
        user, row = person.user, person.row
        if (user.last_name, user.first_name) != (row.last_name, row.first_name):
            user.last_name, user.first_name = row.last_name, row.first_name
            users_to_update.append(user)
        if person.member.left_on is not None:
            person.member.left_on = None
            members_to_update.append(person.member)
    if users_to_update:
        User.objects.bulk_update(users_to_update, ["last_name", "first_name"])
    if members_to_update:
        SchoolMember.objects.bulk_update(members_to_update, ["external_id", "left_on"])
    # Teachings of the year: exactly those of the file, for the teachers of the file.
    people = plan.create + plan.update
    current = list(
        Teaching.objects.filter(
            teacher_id__in=[p.user.pk for p in people], school_class__school=school, school_class__year=plan.year
        )
    )
    by_teacher: dict[int, dict[tuple[int, int], Teaching]] = defaultdict(dict)
    for teaching in current:
        by_teacher[teaching.teacher_id][(teaching.school_class_id, teaching.subject_id)] = teaching
    to_create, to_update, to_delete = [], [], []
    for person in people:
        wanted = {(c, s): main for c, s, main in _wanted_teachings(plan, person.row)}
        have = by_teacher.get(person.user.pk, {})
        for key, teaching in have.items():
            if key not in wanted:
                to_delete.append(teaching.pk)
            elif teaching.is_main_teacher != wanted[key]:
                teaching.is_main_teacher = wanted[key]
                to_update.append(teaching)
        to_create += [
            Teaching(teacher=person.user, school_class_id=c, subject_id=s, is_main_teacher=main)
            for (c, s), main in wanted.items()
            if (c, s) not in have
        ]
    if to_delete:
        Teaching.objects.filter(pk__in=to_delete).delete()
    if to_update:
        Teaching.objects.bulk_update(to_update, ["is_main_teacher"])
    if to_create:
        Teaching.objects.bulk_create(to_create)
    _grant_missing([p.user for p in people], Role.TEACHER, school.organisation, new=new_users)
    for user in new_users:
        _invitation(user, school=school, role_label=str(Role.TEACHER.label))
    for person in people:
        forget(person.user)


def _apply_parents(plan: ImportPlan) -> None:
    school = plan.school
    # New parent accounts, one per person (several rows may be the same parent).
    new_keys: dict[str, ParentRow] = {}
    for person in plan.create:
        key = plan.parent_keys[person.row.line]
        if person.user is None and key not in plan.parent_users and key not in new_keys:
            new_keys[key] = person.row
    with_email = [(k, r) for k, r in new_keys.items() if r.email]
    without_email = [(k, r) for k, r in new_keys.items() if not r.email]
    email_users = _new_users((r.email, r.first_name, r.last_name) for _k, r in with_email)
    _verified_address(email_users)
    ent_users = _new_ent_accounts([(r.first_name, r.last_name) for _k, r in without_email])
    for (key, _row), user in zip(with_email, email_users, strict=True):
        plan.parent_users[key] = user
    for (key, _row), (user, _login) in zip(without_email, ent_users, strict=True):
        plan.parent_users[key] = user
    links = []
    for person in plan.create:
        person.user = plan.parent_users[plan.parent_keys[person.row.line]]
        student = plan.students[person.row.student_external_id]
        links.append(ParentLink(parent=person.user, student_id=student.user_id, relation=person.row.relation))
    ParentLink.objects.bulk_create(links)
    for person in plan.update:
        student = plan.students[person.row.student_external_id]
        ParentLink.objects.filter(parent=person.user, student_id=student.user_id).update(relation=person.row.relation)
    _grant_missing(
        [p.user for p in plan.create + plan.update],
        Role.PARENT,
        None,
        new=[*email_users, *(user for user, _login in ent_users)],
    )
    for user in email_users:
        _invitation(user, school=school, role_label=str(Role.PARENT.label))
    for person in plan.create + plan.update:
        forget(person.user)


# --- letters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """What one activation letter says (the code in clear: it exists only in this object
    and on the printed page)."""

    full_name: str
    login: str
    code: str  # formatted, "K7QM-4PZT-9X"
    expires_on: dt.date
    school_name: str
    class_name: str
    children: str = ""  # for a parent's letter: "Hugo Teyssedou (5e B)"


def _set_codes(accounts: Sequence[EntAccount], *, activated: bool = False) -> dict[int, tuple[str, dt.datetime]]:
    """New codes for ``accounts``: hashes stored (bulk), codes returned by account id."""
    expires_at = timezone.now() + dt.timedelta(days=CODE_VALID_DAYS)
    codes = {}
    for account in accounts:
        code = new_code()
        account.activation_code_hash = hash_code(code)
        account.activation_code_expires_at = expires_at
        if not activated:
            account.activated_at = None
        codes[account.pk] = (code, expires_at)
    EntAccount.objects.bulk_update(
        accounts, ["activation_code_hash", "activation_code_expires_at", "activated_at"], batch_size=500
    )
    return codes


def class_students(school_class: SchoolClass) -> list[Any]:
    """The pupils of a class or group who are still at school, by name, with their account."""
    today = timezone.localdate()
    leavers = SchoolMember.objects.filter(
        school_id=school_class.school_id, kind=SchoolMember.Kind.STUDENT, left_on__lt=today
    ).values("user_id")
    return list(
        User.objects.filter(enrolments__school_class=school_class)
        .exclude(pk__in=leavers)
        .select_related("ent_account")
        .order_by("last_name", "first_name", "pk")
    )


def _class_names(students: Iterable[Any], year_id: int) -> dict[int, str]:
    return dict(
        Enrolment.objects.filter(student__in=list(students), year_id=year_id, is_group=False).values_list(
            "student_id", "school_class__name"
        )
    )


def letters_summary(school_class: SchoolClass) -> dict[str, int]:
    """Counts shown before printing: pupils, pupils not activated, parents without email."""
    students = class_students(school_class)
    with_account = [s for s in students if hasattr(s, "ent_account")]
    parents = _parents_without_email(students, include_activated=True)
    return {
        "students": len(with_account),
        "not_activated": sum(1 for s in with_account if s.ent_account.activated_at is None),
        "parents": len(parents),
        "parents_not_activated": sum(1 for p in parents if p.ent_account.activated_at is None),
    }


def _parents_without_email(students: Sequence[Any], *, include_activated: bool) -> list[Any]:
    parents = (
        User.objects.filter(children_links__student__in=list(students), ent_account__isnull=False)
        .select_related("ent_account")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    if not include_activated:
        parents = parents.filter(ent_account__activated_at__isnull=True)
    return list(parents)


@transaction.atomic
def letters_issue(
    *, actor: Any, school_class: SchoolClass, audience: str = "students", include_activated: bool = False
) -> list[Letter]:
    """New activation codes for the pupils of ``school_class`` (or their parents without
    email), for those not yet activated or, with ``include_activated``, for all: the codes
    printed before stop working. Returns the letters to print, by name."""
    _require_letters(actor, school_class)
    school = school_class.school
    students = class_students(school_class)
    class_names = _class_names(students, school_class.year_id)
    letters: list[Letter] = []
    if audience == "parents":
        parents = _parents_without_email(students, include_activated=include_activated)
        accounts = [p.ent_account for p in parents]
        codes = _set_codes(accounts)
        children: dict[int, list[str]] = defaultdict(list)
        for parent_id, student_id, first, last in ParentLink.objects.filter(
            parent__in=parents, student__in=students
        ).values_list("parent_id", "student_id", "student__first_name", "student__last_name"):
            children[parent_id].append(f"{first} {last} ({class_names.get(student_id, school_class.name)})".strip())
        for parent in parents:
            code, expires_at = codes[parent.ent_account.pk]
            letters.append(
                Letter(
                    full_name=parent.get_full_name(),
                    login=parent.ent_account.login,
                    code=format_code(code),
                    expires_on=timezone.localdate(expires_at),
                    school_name=school.name,
                    class_name=school_class.name,
                    children=", ".join(sorted(children[parent.pk])),
                )
            )
    else:
        chosen = [
            s
            for s in students
            if hasattr(s, "ent_account") and (include_activated or s.ent_account.activated_at is None)
        ]
        accounts = [s.ent_account for s in chosen]
        codes = _set_codes(accounts)
        for student in chosen:
            code, expires_at = codes[student.ent_account.pk]
            letters.append(
                Letter(
                    full_name=student.get_full_name(),
                    login=student.ent_account.login,
                    code=format_code(code),
                    expires_on=timezone.localdate(expires_at),
                    school_name=school.name,
                    class_name=class_names.get(student.pk, school_class.name),
                )
            )
    journal.record(
        actor=actor,
        action="learning.letters_issued",
        target=school_class,
        data={"audience": audience, "count": len(letters), "include_activated": include_activated},
    )
    return letters


def may_print_letters(user: Any, school_class: SchoolClass) -> bool:
    """The school's staff and the class's teachers print its letters (``learning.print_letters``)."""
    return bool(user.has_perm("learning.print_letters", school_class))


def _require_letters(actor: Any, school_class: SchoolClass) -> None:
    if actor is not None and not may_print_letters(actor, school_class):
        from cybercantal.accounts.services import NotAllowed

        raise NotAllowed(_("Seuls les enseignants de la classe et le personnel du collège impriment ces lettres."))


@transaction.atomic
def student_password_reset(*, actor: Any, student: Any) -> Letter:
    """A new activation code for ``student`` (their letter), the old password unusable: the
    pupil is signed out everywhere and chooses a new password with the code."""
    require_permission(
        actor,
        "learning.reset_password",
        student,
        message=_("Seuls les enseignants de l'élève et le personnel de son collège réinitialisent son mot de passe."),
    )
    account = lock_for_update(EntAccount.objects.filter(user_id=student.pk)).first()
    if account is None:
        raise ValidationError(
            _(
                "Cet élève n'a pas d'identifiant ENT : il se connecte avec son adresse électronique "
                "(« Mot de passe oublié »)."
            )
        )
    user = User.objects.get(pk=student.pk)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    code, expires_at = _set_codes([account])[account.pk]
    enrolment = (
        Enrolment.objects.filter(student=user, is_group=False)
        .select_related("school_class__school")
        .order_by("-year__starts_on")
        .first()
    )
    school_name = enrolment.school_class.school.name if enrolment else ""
    class_name = enrolment.school_class.name if enrolment else ""
    journal.record(actor=actor, action="learning.password_reset", target=user, data={"login": account.login})
    return Letter(
        full_name=user.get_full_name(),
        login=account.login,
        code=format_code(code),
        expires_on=timezone.localdate(expires_at),
        school_name=school_name,
        class_name=class_name,
    )


# --- activation and sign-in -------------------------------------------------------------------


class ActivationError(ValidationError):
    """The code does not open the account; ``code``: ``wrong``, ``expired``, ``used``."""


def clean_login(text: str) -> str:
    return (text or "").strip().lower()[:254]


def activation_check(*, login: str, code: str) -> EntAccount:
    """The account that ``login`` and ``code`` open, or ``ActivationError`` (nothing is
    changed: the code is used by ``account_activate``)."""
    account = EntAccount.objects.select_related("user").filter(login=clean_login(login)).first()
    encoded = account.activation_code_hash if account is not None else ""
    if account is None or not account.user.is_active or not code_matches(code, encoded):
        raise ActivationError(
            _("Cet identifiant et ce code ne vont pas ensemble. Vérifie ta lettre (le code ressemble à K7QM-4PZT-9X)."),
            code="wrong",
        )
    if account.activation_code_expires_at is None:
        raise ActivationError(
            _(
                "Ce code a déjà servi : ton compte est activé. Connecte-toi avec ton mot de passe. "
                "Mot de passe oublié ? Demande une nouvelle lettre à ton professeur principal."
            ),
            code="used",
        )
    if account.activation_code_expires_at < timezone.now():
        raise ActivationError(
            _("Ce code a expiré le %(date)s. Demande une nouvelle lettre à ton professeur principal.")
            % {"date": date_format(timezone.localtime(account.activation_code_expires_at), "l j F Y")},
            code="expired",
        )
    return account


@transaction.atomic
def account_activate(*, account_id: int, code_hash: str, password: str) -> Any:
    """Use the code checked by ``activation_check`` (whose hash is ``code_hash``): the
    person's password is set, the code stops working. Two activations with the same code at
    once: the account's row is locked, the second finds the code used."""
    account = lock_for_update(EntAccount.objects.filter(pk=account_id)).first()
    if (
        account is None
        or not code_hash
        or not secrets.compare_digest(account.activation_code_hash, code_hash)
        or account.activation_code_expires_at is None
    ):
        raise ActivationError(
            _("Ce code a déjà servi ou a été remplacé par une nouvelle lettre. Recommence avec la dernière lettre."),
            code="used",
        )
    if account.activation_code_expires_at < timezone.now():
        raise ActivationError(
            _("Ce code a expiré. Demande une nouvelle lettre à ton professeur principal."), code="expired"
        )
    user = User.objects.get(pk=account.user_id)
    validate_password(password, user)  # French messages; raised before anything is written
    user.set_password(password)
    user.save(update_fields=["password"])
    account.activated_at = timezone.now()
    account.activation_code_expires_at = None  # the hash stays: the same code says "already used"
    account.save(update_fields=["activated_at", "activation_code_expires_at"])
    journal.record(actor=user, action="learning.account_activated", target=user, data={"login": account.login})
    return user


def email_for_identifier(identifier: str) -> str:
    """The address to authenticate with: an ENT login gives its account's address (the
    placeholder, or the real one the pupil added later); an address is itself."""
    text = clean_login(identifier)
    if "@" in text:
        return text
    email = EntAccount.objects.filter(login=text).values_list("user__email", flat=True).first()
    return email or ""


# Rate limits: failures counted in the cache per login and per address.


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def _keys(login: str, ip: str | None) -> list[tuple[str, int]]:
    """Cache keys (hashed: any text typed in a form is a valid key) and their limits."""
    keys = [(f"learning:fail:login:{_digest(normalise(login).strip())}", MAX_FAILURES_PER_LOGIN)]
    if ip:
        keys.append((f"learning:fail:ip:{_digest(ip)}", MAX_FAILURES_PER_IP))
    return keys


def too_many_failures(login: str, ip: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(login, ip))


def failure_record(login: str, ip: str | None) -> None:
    for key, _limit in _keys(login, ip):
        if not cache.add(key, 1, FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, FAILURE_WINDOW_SECONDS)


def failures_clear(login: str) -> None:
    cache.delete(_keys(login, None)[0][0])


def wait_message() -> str:
    return _(
        "Trop d'essais ratés : attends %(minutes)s minutes avant de recommencer. "
        "Si tu n'y arrives pas, demande de l'aide à ton professeur principal."
    ) % {"minutes": FAILURE_WINDOW_SECONDS // 60}
