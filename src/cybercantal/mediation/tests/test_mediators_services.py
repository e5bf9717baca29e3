"""Services of the mediators part: profiles and their EPN, hiring aid and its payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
from cybercantal.accounts.queries import holds_role_on
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel
from cybercantal.mediation.models import HiringAid, HiringAidPayment, Mediator, Qualification
from cybercantal.mediation.queries import mediators as queries
from cybercantal.mediation.services import mediators as services
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory

from .factories import MediatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def commune_employer(db):
    return OrganisationFactory(name="Commune d'Ydes", kind=Organisation.Kind.COMMUNE)


def _aid(manager, mediator, employer, *, amount="15000", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)):
    return services.hiring_aid_create(
        actor=manager,
        mediator=mediator,
        employer=employer,
        amount_per_year=D(amount),
        starts_on=start,
        ends_on=end,
        conditions="Poste à temps plein",
        decided_on=dt.date(2024, 12, 10),
    )


# --- proration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), 12),
        (dt.date(2025, 1, 1), dt.date(2026, 6, 30), 18),
        (dt.date(2025, 3, 15), dt.date(2025, 10, 14), 7),
        (dt.date(2025, 3, 15), dt.date(2025, 10, 13), 6),  # the 7th month is not whole
        (dt.date(2025, 1, 31), dt.date(2025, 2, 27), 0),
        (dt.date(2024, 9, 1), dt.date(2027, 8, 31), 36),
    ],
)
def test_whole_months(start, end, months):
    assert services.whole_months(start, end) == months


def test_committed_amount_examples():
    assert services.committed_for(D("15000"), dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == D("15000.00")
    assert services.committed_for(D("15000"), dt.date(2025, 1, 1), dt.date(2026, 6, 30)) == D("22500.00")
    assert services.committed_for(D("10000"), dt.date(2025, 1, 1), dt.date(2025, 7, 31)) == D("5833.33")
    # Rounded once, half-up: 1 000,05 € a year over one month is 83,3375 € -> 83,34 €.
    assert services.committed_for(D("1000.05"), dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == D("83.34")


def test_hiring_aid_create_stores_the_prorated_commitment(mediator, manager, commune_employer):
    aid = _aid(manager, mediator, commune_employer, end=dt.date(2026, 6, 30))
    aid.refresh_from_db()
    assert aid.committed_amount == D("22500.00")
    assert aid.status == HiringAid.Status.ACTIVE
    entry = JournalEntry.objects.get(action="hiring_aid.created")
    assert entry.actor_id == manager.pk
    assert entry.data["committed_amount"] == "22500.00"


def test_hiring_aid_refuses_bad_input_in_french(mediator, manager, commune_employer):
    with pytest.raises(ValidationError) as exc:
        _aid(manager, mediator, commune_employer, amount="0")
    assert exc.value.message_dict["amount_per_year"] == ["Le montant doit être supérieur à zéro."]
    with pytest.raises(ValidationError) as exc:
        _aid(manager, mediator, commune_employer, amount="100.001")
    assert "deux chiffres" in exc.value.message_dict["amount_per_year"][0]
    with pytest.raises(ValidationError) as exc:
        _aid(manager, mediator, commune_employer, start=dt.date(2025, 5, 1), end=dt.date(2025, 4, 1))
    assert exc.value.message_dict["ends_on"] == ["La fin doit être postérieure ou égale au début."]
    with pytest.raises(ValidationError) as exc:
        _aid(manager, mediator, commune_employer, start=dt.date(2025, 5, 1), end=dt.date(2025, 5, 20))
    assert exc.value.message_dict["ends_on"] == ["La période doit couvrir au moins un mois entier."]
    with pytest.raises(TypeError):  # money is never a float
        services.hiring_aid_create(
            actor=manager,
            mediator=mediator,
            employer=commune_employer,
            amount_per_year=15000.0,  # type: ignore[arg-type]
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 12, 31),
        )
    assert not HiringAid.objects.exists()


def test_two_aids_for_the_same_mediator_may_not_overlap(mediator, manager, commune_employer):
    _aid(manager, mediator, commune_employer)
    with pytest.raises(ValidationError) as exc:
        _aid(manager, mediator, commune_employer, start=dt.date(2025, 12, 1), end=dt.date(2026, 11, 30))
    assert "Une aide couvre déjà ce médiateur du 01/01/2025 au 31/12/2025" in exc.value.message_dict["starts_on"][0]
    following = _aid(manager, mediator, commune_employer, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert following.committed_amount == D("15000.00")


def test_only_the_programme_team_manages_aids(mediator, staff, commune_employer, epn):
    with pytest.raises(NotAllowed):
        _aid(mediator.user, mediator, commune_employer)
    with pytest.raises(NotAllowed):
        _aid(staff(Role.CITIZEN), mediator, commune_employer)
    assert not HiringAid.objects.exists()


# --- payments ---------------------------------------------------------------------------------


def test_payments_up_to_the_committed_amount(mediator, manager, commune_employer):
    aid = _aid(manager, mediator, commune_employer, amount="10000", end=dt.date(2025, 7, 31))  # 5 833,33 €
    services.hiring_aid_payment_record(
        actor=manager, aid=aid, paid_on=dt.date(2025, 3, 1), amount=D("3000"), reference="M-2025-12"
    )
    with pytest.raises(ValidationError) as exc:
        services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 8, 1), amount=D("2833.34"))
    assert exc.value.message_dict["amount"] == [
        "Ce versement dépasserait le montant engagé : il reste 2\u202f833,33\u00a0€ à verser."
    ]
    services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 8, 1), amount=D("2833.33"))
    row = queries.aids().get(pk=aid.pk)
    assert row.paid == D("5833.33")
    assert HiringAidPayment.objects.filter(aid=aid).count() == 2
    with pytest.raises(ValidationError):
        services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 9, 1), amount=D("0.01"))


def test_payment_refused_on_a_cancelled_aid_and_bad_amounts(mediator, manager, commune_employer):
    aid = _aid(manager, mediator, commune_employer)
    with pytest.raises(ValidationError) as exc:
        services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 3, 1), amount=D("-5"))
    assert exc.value.message_dict["amount"] == ["Le montant doit être supérieur à zéro."]
    with pytest.raises(NotAllowed):
        services.hiring_aid_payment_record(actor=mediator.user, aid=aid, paid_on=dt.date(2025, 3, 1), amount=D("5"))
    services.hiring_aid_cancel(actor=manager, aid=aid)
    with pytest.raises(ValidationError) as exc:
        services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 3, 1), amount=D("5"))
    assert "annulée" in exc.value.messages[0]
    assert not HiringAidPayment.objects.exists()


def test_end_prorates_and_cancel_needs_no_payment(mediator, manager, commune_employer):
    aid = _aid(manager, mediator, commune_employer, start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31))
    assert aid.committed_amount == D("45000.00")
    services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2024, 6, 1), amount=D("10000"))
    with pytest.raises(ValidationError) as exc:
        services.hiring_aid_end(actor=manager, aid=aid, on=dt.date(2024, 6, 30))  # 7 500 € due < 10 000 € paid
    assert "dépassent le montant dû" in exc.value.message_dict["on"][0]
    ended = services.hiring_aid_end(actor=manager, aid=aid, on=dt.date(2024, 12, 31))
    assert (ended.status, ended.committed_amount, ended.ends_on) == ("ended", D("15000.00"), dt.date(2024, 12, 31))
    with pytest.raises(ValidationError) as exc:
        services.hiring_aid_cancel(actor=manager, aid=aid)
    assert "mettez fin" in exc.value.messages[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_never_exceed_the_committed_amount(mediator, manager, commune_employer):
    """Ten payments of 2 000 € at once on an aid of 15 000 €: seven pass, three are refused."""
    aid = _aid(manager, mediator, commune_employer)

    def pay(_n: int) -> str:
        try:
            services.hiring_aid_payment_record(actor=manager, aid=aid, paid_on=dt.date(2025, 6, 1), amount=D("2000"))
        except ValidationError:
            return "refused"
        return "ok"

    results = run_in_parallel(pay, range(10), timeout=30)
    assert sorted(results) == ["ok"] * 7 + ["refused"] * 3
    assert queries.aids().get(pk=aid.pk).paid == D("14000.00")
    assert connection.vendor == "postgresql"


# --- mediators and their EPN ------------------------------------------------------------------


def test_mediator_create_makes_the_person_and_grants_each_epn(manager, epn, other_epn, commune_employer):
    mediator = services.mediator_create(
        actor=manager,
        email="Marie.Delpuech@Example.fr",
        first_name="Marie",
        last_name="Delpuech",
        employer=commune_employer,
        qualifications=[Qualification.CONSEILLER_NUMERIQUE, Qualification.PIX],
        started_on=dt.date(2025, 9, 1),
        places=[epn, other_epn],
    )
    user = User.objects.get(email="marie.delpuech@example.fr")
    assert mediator.user == user
    assert not user.has_usable_password()
    assert set(mediator.qualifications) == {"conseiller_numerique", "pix"}
    assert holds_role_on(user, [Role.MEDIATOR], epn)
    assert holds_role_on(user, [Role.MEDIATOR], other_epn)
    memberships = RoleMembership.objects.filter(user=user, role=Role.MEDIATOR)
    assert {m.starts_on for m in memberships} == {dt.date(2025, 9, 1)}
    assert {m.granted_by_id for m in memberships} == {manager.pk}
    assert [p.name for p in queries.places_by_user([user.pk])[user.pk]] == ["EPN du Lioran", "EPN du Pays Vert"]
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert {"account.created", "role.granted", "mediator.created"} <= actions


def test_mediator_create_refuses_with_french_messages(manager, epn, staff, commune_employer):
    mairie = PlaceFactory(name="Mairie de Saignes", kind=PlaceKind.MAIRIE, offers=[PlaceOffer.KIOSK])
    with pytest.raises(ValidationError) as exc:
        services.mediator_create(actor=manager, email="a@example.fr", first_name="A", last_name="B", places=[mairie])
    assert exc.value.message_dict["places"] == [
        "Un médiateur travaille dans un EPN : « Mairie de Saignes » n'en est pas un."
    ]
    with pytest.raises(ValidationError) as exc:
        services.mediator_create(actor=manager, email="pas-une-adresse", first_name="", last_name="B")
    assert exc.value.message_dict == {
        "email": ["Cette adresse électronique n'est pas valide."],
        "first_name": ["Indiquez le prénom."],
    }
    existing = staff(Role.CITIZEN)
    with pytest.raises(ValidationError) as exc:
        services.mediator_create(actor=manager, email=existing.email.upper(), first_name="A", last_name="B")
    assert exc.value.message_dict["email"] == ["Une personne a déjà un compte avec cette adresse."]
    with pytest.raises(ValidationError) as exc:
        services.mediator_create(actor=manager, user=existing, employer=OrganisationFactory(kind="business"))
    assert "commune, une communauté de communes ou une association" in exc.value.message_dict["employer"][0]
    with pytest.raises(NotAllowed):
        services.mediator_create(actor=existing, user=existing)
    assert not Mediator.objects.exists()
    assert not User.objects.filter(email="a@example.fr").exists()
    # A place that offers an EPN (a médiathèque with its EPN room) is fine.
    library = PlaceFactory(name="Médiathèque", kind=PlaceKind.MEDIATHEQUE, offers=[PlaceOffer.EPN])
    mediator = services.mediator_create(actor=manager, user=existing, places=[library])
    with pytest.raises(ValidationError) as exc:
        services.mediator_create(actor=manager, user=existing)
    assert exc.value.message_dict["email"] == ["Cette personne a déjà un profil de médiateur."]
    assert mediator.user == existing


def test_mediator_set_places_adds_and_ends_memberships(manager, mediator, epn, other_epn):
    today = timezone.localdate()
    RoleMembership.objects.filter(user_id=mediator.user_id).update(starts_on=dt.date(2025, 1, 1))
    services.mediator_set_places(actor=manager, mediator=mediator, places=[other_epn])
    user = User.objects.get(pk=mediator.user_id)
    assert holds_role_on(user, [Role.MEDIATOR], other_epn)
    assert not holds_role_on(user, [Role.MEDIATOR], epn)
    ended = RoleMembership.objects.get(user=user, scope_id=epn.pk)
    assert ended.ends_on == today - dt.timedelta(days=1)  # their last day there was yesterday
    entry = JournalEntry.objects.get(action="mediator.places_set")
    assert entry.data["added"] == [other_epn.pk]
    assert entry.data["removed"] == [epn.pk]
    # The same set again changes nothing.
    services.mediator_set_places(actor=manager, mediator=mediator, places=[other_epn])
    assert JournalEntry.objects.filter(action="mediator.places_set").count() == 1


def test_mediator_update_changes_only_what_is_given(manager, mediator, commune_employer):
    services.mediator_update(actor=manager, mediator=mediator, employer=commune_employer, professional_phone=" 04 71 ")
    mediator.refresh_from_db()
    assert mediator.employer == commune_employer
    assert mediator.professional_phone == "04 71"
    assert mediator.qualifications == ["conseiller_numerique"]
    with pytest.raises(ValidationError) as exc:
        services.mediator_update(actor=manager, mediator=mediator, qualifications=["magicien"])
    assert exc.value.message_dict["qualifications"] == ["Qualification inconnue : magicien."]
    with pytest.raises(NotAllowed):
        services.mediator_update(actor=mediator.user, mediator=mediator, professional_phone="")


# --- the programme view -------------------------------------------------------------------------


def test_programme_per_year_per_employer_and_totals(manager, epn, commune_employer):
    association = OrganisationFactory(name="Association Clic Cantal", kind=Organisation.Kind.ASSOCIATION)
    first = MediatorFactory(employer=commune_employer)
    second = MediatorFactory(employer=association)
    third = MediatorFactory(employer=association)
    three_years = _aid(manager, first, commune_employer, start=dt.date(2024, 9, 1), end=dt.date(2027, 8, 31))
    short = _aid(manager, second, association, amount="10000", start=dt.date(2025, 1, 1), end=dt.date(2025, 7, 31))
    cancelled = _aid(manager, third, association)
    services.hiring_aid_cancel(actor=manager, aid=cancelled)
    services.hiring_aid_payment_record(actor=manager, aid=three_years, paid_on=dt.date(2024, 10, 1), amount=D("5000"))
    services.hiring_aid_payment_record(actor=manager, aid=three_years, paid_on=dt.date(2025, 10, 1), amount=D("15000"))
    services.hiring_aid_payment_record(actor=manager, aid=short, paid_on=dt.date(2025, 8, 1), amount=D("5833.33"))

    assert queries.committed_by_year(three_years) == {
        2024: D("5000.00"),
        2025: D("15000.00"),
        2026: D("15000.00"),
        2027: D("10000.00"),
    }
    summary = queries.programme()
    assert summary.total.committed == D("50833.33")
    assert summary.total.paid == D("25833.33")
    assert summary.total.remaining == D("25000.00")
    assert summary.total.count == 2
    by_year = {line.key: (line.committed, line.paid) for line in summary.by_year}
    assert by_year == {
        2024: (D("5000.00"), D("5000.00")),
        2025: (D("20833.33"), D("20833.33")),
        2026: (D("15000.00"), D("0")),
        2027: (D("10000.00"), D("0")),
    }
    assert sum(line.committed for line in summary.by_year) == summary.total.committed
    by_employer = {line.label: (line.committed, line.paid, line.count) for line in summary.by_employer}
    assert by_employer == {
        "Association Clic Cantal": (D("5833.33"), D("5833.33"), 1),
        "Commune d'Ydes": (D("45000.00"), D("20000.00"), 1),
    }


def test_committed_by_year_adds_up_despite_rounding(manager, commune_employer):
    mediator = MediatorFactory()
    aid = _aid(
        manager, mediator, commune_employer, amount="10000", start=dt.date(2025, 6, 1), end=dt.date(2026, 12, 31)
    )
    shares = queries.committed_by_year(aid)
    assert sum(shares.values()) == aid.committed_amount == D("15833.33")
    assert shares[2025] == D("5833.33")
