"""Demo data of the part "schools": school years, subjects, the ENT of every demo collège,
and one full school, the « Collège des Puys (démo) » organisation of the demo teacher and
pupil accounts.

- the current and the previous school year (computed from today, 1 September – 31 August);
- the national subjects (codes as in the schools' software);
- a ``School`` for each demo college place (UAI ``01500NNL``, deterministic);
- the first college place by name gets the demo organisation and: 8 classes (6e A/B … 3e
  A/B) and 2 groups (Latin 5e, Anglais groupe 1) this year, last year's 6e–4e with the
  same pupils, 20–25 invented pupils per class (no email: ``<login>@ent.invalid``, an ENT
  login, most activated, some not), invented teachers for every subject, the demo teacher
  (maths in 5e B, main teacher, and 4e A), the demo pupil Hugo Teyssedou (5e B and Latin;
  he signs in with his demo email), the demo parent linked to him, a head of school
  ``direction@demo.cybercantal.fr`` (the demo account of the school-staff role) and an ENT
  administrator ``vie-scolaire@…``.

Idempotent and fast: everything is keyed (place, login, email, names) and written with
``bulk_create``; a second run creates nothing. Invented people only.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from unidecode import unidecode

from cybercantal.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_STARTS_ON, demo_email
from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
from cybercantal.accounts.services import organisation_create
from cybercantal.places.models import Place, PlaceKind

from ..models import Enrolment, EntAccount, ParentLink, School, SchoolClass, SchoolMember, SchoolYear, Subject, Teaching
from ..queries.schools import school_year_get_or_create_for

DEMO_ORGANISATION = "Collège des Puys (démo)"
HEAD_EMAIL = demo_email(Role.SCHOOL_STAFF)  # direction@…, Marie Lacombe (accounts.demo)
ENT_ADMIN_EMAIL = f"vie-scolaire@{DEMO_DOMAIN}"

# Codes of the schools' software (STS / SIECLE "matières"), national names.
SUBJECTS = [
    ("FRANC", "Français", "Français"),
    ("MATHS", "Mathématiques", "Maths"),
    ("HIGEO", "Histoire-géographie-EMC", "Histoire-géo"),
    ("AGL1", "Anglais LV1", "Anglais"),
    ("ESP2", "Espagnol LV2", "Espagnol"),
    ("SVT", "Sciences de la vie et de la Terre", "SVT"),
    ("PH-CH", "Physique-chimie", "Physique-chimie"),
    ("TECHN", "Technologie", "Techno"),
    ("A-PLA", "Arts plastiques", "Arts plastiques"),
    ("EDMUS", "Éducation musicale", "Musique"),
    ("EPS", "Éducation physique et sportive", "EPS"),
    ("LCALA", "Latin", "Latin"),
]

CLASS_NAMES = ["6e A", "6e B", "5e A", "5e B", "4e A", "4e B", "3e A", "3e B"]
GROUPS = [("Latin 5e", "LCALA", "5e"), ("Anglais groupe 1", "AGL1", "")]

FIRST_NAMES = [
    "Léa", "Lucas", "Emma", "Nathan", "Chloé", "Louis", "Manon", "Hugo", "Camille", "Tom", "Inès", "Jules",
    "Jade", "Théo", "Louise", "Raphaël", "Zoé", "Arthur", "Lina", "Paul", "Clara", "Enzo", "Alice", "Maël",
    "Anna", "Noah", "Rose", "Gabriel", "Lou", "Mathis", "Eva", "Sacha", "Julia", "Nolan", "Léna", "Timéo",
    "Ambre", "Axel", "Margaux", "Baptiste", "Lilou", "Evan", "Elsa", "Robin", "Agathe", "Valentin",
]  # fmt: skip
LAST_NAMES = [
    "Aymard", "Bastide", "Bouygues", "Brunhes", "Chabrol", "Chambon", "Delpuech", "Escalier", "Fabre", "Falgoux",
    "Gaillard", "Garric", "Lacoste", "Lafon", "Lapeyre", "Laroussinie", "Malbec", "Mazeyrac", "Meallet", "Montarnal",
    "Moulier", "Nozières", "Pagès", "Peyrac", "Pouget", "Raynal", "Rigal", "Roux", "Salat", "Sauvat", "Serre",
    "Souquières", "Tible", "Vaissier", "Vermenouze", "Veyrines", "Vidalenc", "Vigier", "Boudou", "Cantuel",
]  # fmt: skip
# Invented teachers: subject code -> (first name, last name, classes or None for all classes).
TEACHERS = [
    ("FRANC", "Sylvie", "Aldebert", None),
    ("MATHS", "Pierre", "Cabrespine", ["6e A", "6e B", "5e A", "4e B", "3e A", "3e B"]),
    ("HIGEO", "Marc", "Delzangles", None),
    ("AGL1", "Helen", "Marcombe", None),
    ("ESP2", "Lucia", "Fernandez", ["5e A", "5e B", "4e A", "4e B", "3e A", "3e B"]),
    ("SVT", "Agnès", "Puechmaille", None),
    ("PH-CH", "Thierry", "Lavergne", ["5e A", "5e B", "4e A", "4e B", "3e A", "3e B"]),
    ("TECHN", "Karim", "Benali", None),
    ("A-PLA", "Odile", "Vaurs", None),
    ("EDMUS", "Rémi", "Chastang", None),
    ("EPS", "Julie", "Montourcy", None),
    ("LCALA", "Bernard", "Issartel", []),
]
MAIN_TEACHERS = {"6e A": "FRANC", "6e B": "HIGEO", "5e A": "SVT", "4e A": "AGL1", "4e B": "TECHN", "3e A": "FRANC"}


def _uai(index: int) -> str:
    return f"01500{index:02d}{'ABCDEFGHJKLMNPRSTUVWXYZ'[index % 23]}"


def _login(first: str, last: str) -> str:
    return f"{unidecode(first)}.{unidecode(last)}".lower().replace(" ", "-").replace("'", "")


def _subjects() -> tuple[dict[str, Subject], int]:
    existing = {s.code: s for s in Subject.objects.filter(code__in=[code for code, *_rest in SUBJECTS])}
    new = [Subject(code=c, name=n, short_name=s) for c, n, s in SUBJECTS if c not in existing]
    Subject.objects.bulk_create(new)
    return {s.code: s for s in Subject.objects.filter(code__in=[code for code, *_rest in SUBJECTS])}, len(new)


def _demo_organisation() -> Organisation:
    organisation = Organisation.objects.filter(name=DEMO_ORGANISATION).order_by("pk").first()
    if organisation is None:
        organisation = organisation_create(actor=None, name=DEMO_ORGANISATION, kind=Organisation.Kind.SCHOOL)
    return organisation


def _schools() -> tuple[School | None, int]:
    """A school per demo college place; the first by name is the demo organisation's."""
    places = sorted(Place.objects.filter(kind=PlaceKind.COLLEGE).select_related("organisation"), key=lambda p: p.name)
    if not places:
        return None, 0
    by_place = {s.place_id: s for s in School.objects.filter(place__in=places).select_related("organisation")}
    demo_org = _demo_organisation()
    demo_school = School.objects.filter(organisation=demo_org).first()
    taken_uai = set(School.objects.values_list("uai", flat=True))
    created = 0
    for index, place in enumerate(places, start=1):
        if place.pk in by_place:
            continue
        if index == 1 and demo_school is None:
            organisation = demo_org
        else:
            organisation = Organisation.objects.filter(
                name=place.name, kind=Organisation.Kind.SCHOOL, school__isnull=True
            ).first() or organisation_create(actor=None, name=place.name, kind=Organisation.Kind.SCHOOL)
        uai = _uai(index)
        if uai in taken_uai:
            continue
        school = School.objects.create(place=place, organisation=organisation, uai=uai, name=place.name)
        taken_uai.add(uai)
        by_place[place.pk] = school
        created += 1
        if organisation == demo_org:
            demo_school = school
    return demo_school, created


def _adult(email: str, first: str, last: str, password: str) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create(email=email, first_name=first, last_name=last, password=password)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _memberships(school: School, rows: list[tuple[Any, str]]) -> int:
    """SchoolMember rows (user, kind) that are missing; returns how many were created."""
    existing = set(
        SchoolMember.objects.filter(school=school, user__in=[u for u, _k in rows]).values_list("user_id", "kind")
    )
    new = [
        SchoolMember(school=school, user=user, kind=kind, joined_on=DEMO_STARTS_ON)
        for user, kind in rows
        if (user.pk, kind) not in existing
    ]
    SchoolMember.objects.bulk_create(new)
    return len(new)


def _roles(users: list[User], role: str, scope: Any) -> None:
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    scope_id = scope.pk if scope is not None else None
    has = set(
        RoleMembership.objects.filter(role=role, scope_type=scope_type, scope_id=scope_id, user__in=users)
        .active()
        .values_list("user_id", flat=True)
    )
    RoleMembership.objects.bulk_create(
        [
            RoleMembership(user=user, role=role, scope_type=scope_type, scope_id=scope_id, starts_on=DEMO_STARTS_ON)
            for user in users
            if user.pk not in has
        ]
    )


def _pupils(rng: random.Random) -> dict[str, list[tuple[str, str, str, bool]]]:
    """class name -> [(first, last, login, activated)], the same on every run."""
    roster: dict[str, list[tuple[str, str, str, bool]]] = {}
    seen = {"hugo.teyssedou"}
    for name in CLASS_NAMES:
        pupils = []
        for _ in range(rng.randint(20, 25)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = login = _login(first, last)
            number = 2
            while login in seen:
                login, number = f"{base}{number}", number + 1
            seen.add(login)
            pupils.append((first, last, login, rng.random() > 0.15))
        roster[name] = pupils
    return roster


def load() -> dict[str, int]:
    today = timezone.localdate()
    year = school_year_get_or_create_for(today)
    last_year = school_year_get_or_create_for(year.starts_on - dt.timedelta(days=1))
    subjects, subjects_created = _subjects()
    school, schools_created = _schools()
    counts = {"années scolaires": SchoolYear.objects.count(), "matières": subjects_created, "collèges": schools_created}
    if school is None:
        return counts
    organisation = school.organisation

    # Classes and groups of this year, and last year's 6e–4e.
    wanted = [(year, n, SchoolClass.Kind.CLASS, n[:2]) for n in CLASS_NAMES]
    wanted += [(year, n, SchoolClass.Kind.GROUP, level) for n, _code, level in GROUPS]
    wanted += [(last_year, n, SchoolClass.Kind.CLASS, n[:2]) for n in CLASS_NAMES if not n.startswith("3e")]
    existing = set(SchoolClass.objects.filter(school=school).values_list("year_id", "name"))
    new_classes = [
        SchoolClass(school=school, year=y, name=n, kind=k, level=lv)
        for y, n, k, lv in wanted
        if (y.pk, n) not in existing
    ]
    SchoolClass.objects.bulk_create(new_classes)
    classes = {(c.year_id, c.name): c for c in SchoolClass.objects.filter(school=school)}
    counts["classes et groupes"] = len(new_classes)

    # Pupils (no email: an ENT login), one hash for every activated demo pupil.
    rng = random.Random(15)  # noqa: S311 - invented names, not a secret
    roster = _pupils(rng)
    password = make_password(DEMO_PASSWORD)
    logins = [login for pupils in roster.values() for _f, _l, login, _a in pupils]
    have = set(EntAccount.objects.filter(login__in=logins).values_list("login", flat=True))
    new_users = []
    for pupils in roster.values():
        for first, last, login, activated in pupils:
            if login not in have:
                new_users.append(
                    User(
                        email=f"{login}@ent.invalid",
                        first_name=first,
                        last_name=last,
                        password=password if activated else make_password(None),
                    )
                )
    User.objects.bulk_create(new_users)
    users = {u.email: u for u in User.objects.filter(email__in=[f"{login}@ent.invalid" for login in logins])}
    now = timezone.now()
    EntAccount.objects.bulk_create(
        [
            EntAccount(user=users[f"{login}@ent.invalid"], login=login, activated_at=now if activated else None)
            for pupils in roster.values()
            for _f, _l, login, activated in pupils
            if login not in have
        ]
    )
    counts["élèves"] = len(new_users)

    # The demo pupil, his mother, the demo teacher.
    hugo = User.objects.filter(email__iexact=demo_email(Role.STUDENT)).first()
    parent = User.objects.filter(email__iexact=demo_email(Role.PARENT)).first()
    claire = User.objects.filter(email__iexact=demo_email(Role.TEACHER)).first()
    if hugo is not None:
        EntAccount.objects.get_or_create(user=hugo, defaults={"login": "hugo.teyssedou", "activated_at": now})

    # Enrolments: this year's classes; last year one level below (6e → none).
    enrol_rows: list[tuple[User, SchoolClass]] = []
    for class_name, pupils in roster.items():
        for _f, _l, login, _a in pupils:
            user = users[f"{login}@ent.invalid"]
            enrol_rows.append((user, classes[(year.pk, class_name)]))
            level = int(class_name[0])
            if level < 6:
                enrol_rows.append((user, classes[(last_year.pk, f"{level + 1}e{class_name[2:]}")]))
    if hugo is not None:
        enrol_rows += [(hugo, classes[(year.pk, "5e B")]), (hugo, classes[(last_year.pk, "6e B")])]
        enrol_rows.append((hugo, classes[(year.pk, "Latin 5e")]))
    group_pupils = {
        "Latin 5e": [u for u, c in enrol_rows if c.year_id == year.pk and c.name in ("5e A", "5e B")][::4],
        "Anglais groupe 1": [u for u, c in enrol_rows if c.year_id == year.pk and c.name in ("4e A", "4e B")][::2],
    }
    for group, members in group_pupils.items():
        enrol_rows += [(u, classes[(year.pk, group)]) for u in members if u != hugo]
    have_enrolments = set(
        Enrolment.objects.filter(school_class__school=school).values_list("student_id", "school_class_id")
    )
    new_enrolments = []
    for user, school_class in enrol_rows:
        if (user.pk, school_class.pk) in have_enrolments:
            continue
        have_enrolments.add((user.pk, school_class.pk))
        new_enrolments.append(
            Enrolment(
                student=user,
                school_class=school_class,
                year_id=school_class.year_id,
                is_group=school_class.kind == SchoolClass.Kind.GROUP,
            )
        )
    Enrolment.objects.bulk_create(new_enrolments)
    counts["inscriptions"] = len(new_enrolments)
    students = [*users.values(), *([hugo] if hugo is not None else [])]
    _memberships(school, [(u, SchoolMember.Kind.STUDENT) for u in students])
    _roles([u for u in students if u != hugo], Role.STUDENT, organisation)
    if hugo is not None and parent is not None:
        ParentLink.objects.get_or_create(parent=parent, student=hugo, defaults={"relation": ParentLink.Relation.MOTHER})

    # Teachers.
    teachings: list[tuple[User, str, str, bool]] = []  # (teacher, class name, subject code, main)
    teachers = []
    for code, first, last, class_names in TEACHERS:
        teacher = _adult(_login(first, last) + f"@{DEMO_DOMAIN}", first, last, password)
        teachers.append(teacher)
        teachings.extend(
            (teacher, class_name, code, MAIN_TEACHERS.get(class_name) == code)
            for class_name in (CLASS_NAMES if class_names is None else class_names)
        )
        if code == "LCALA":
            teachings.append((teacher, "Latin 5e", code, False))
        if code == "AGL1":
            teachings.append((teacher, "Anglais groupe 1", code, False))
    if claire is not None:
        teachers.append(claire)
        teachings += [(claire, "5e B", "MATHS", True), (claire, "4e A", "MATHS", False)]
    have_teachings = set(
        Teaching.objects.filter(school_class__school=school).values_list("teacher_id", "school_class_id", "subject_id")
    )
    new_teachings = []
    for teacher, class_name, code, main in teachings:
        school_class, subject = classes[(year.pk, class_name)], subjects[code]
        if (teacher.pk, school_class.pk, subject.pk) in have_teachings:
            continue
        new_teachings.append(
            Teaching(teacher=teacher, school_class=school_class, subject=subject, is_main_teacher=main)
        )
    Teaching.objects.bulk_create(new_teachings)
    counts["enseignants"] = _memberships(school, [(t, SchoolMember.Kind.TEACHER) for t in teachers])
    _roles([t for t in teachers if t != claire], Role.TEACHER, organisation)
    counts["services d'enseignement"] = len(new_teachings)

    # The head of school and the ENT administrator.
    head = _adult(HEAD_EMAIL, "Marie", "Lacombe", password)
    admin = _adult(ENT_ADMIN_EMAIL, "Olivier", "Mazières", password)
    for user, is_head in ((head, True), (admin, False)):
        SchoolMember.objects.get_or_create(
            school=school, user=user, kind=SchoolMember.Kind.STAFF, defaults={"is_head": is_head}
        )
    _roles([head, admin], Role.SCHOOL_STAFF, organisation)
    return counts
