"""Programmes are configuration: the services that create and edit them and their expense
categories, their rules, the envelope guard, the queries and the plain French sentences."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..demo import programmes as demo
from ..models import ExpenseCategory, GrantProgramme, SpeedClass, Status
from ..queries import programmes as queries
from ..queries.envelope import envelope
from ..services import amounts
from ..services import programmes as services
from ..services.programmes import CategoryInput
from .factories import ApplicationFactory, ExpenseLineFactory, ProgrammeFactory
from .factories_programmes import commit

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def values(**changes):
    today = timezone.localdate()
    base = {
        "name": "Connect'Artisans",
        "slug": "",
        "code": "CART",
        "funder": "Communauté de communes Hautes Terres",
        "rate_percent": Decimal("40"),
        "cap_per_application": Decimal("8000"),
        "budget": Decimal("50000"),
        "opens_on": today - timedelta(days=1),
        "closes_on": today + timedelta(days=365),
        "is_published": True,
        "coverage_threshold": SpeedClass.BHD8,
    }
    base.update(changes)
    return base


CATEGORIES = [
    CategoryInput(label="Antenne et routeur", position=1),
    CategoryInput(label="Pose", code="pose", description="Par un professionnel.", position=2),
    CategoryInput(label="Forfait de données", code="forfait", is_eligible=False, position=3),
]


def field_errors(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


# --- create ----------------------------------------------------------------------------------


def test_manager_creates_a_programme_with_its_categories_and_journal(manager):
    programme = services.programme_create(actor=manager, categories=CATEGORIES, **values())
    assert programme.slug == "connect-artisans"  # made from the name
    assert (programme.rate_percent, programme.cap_per_application, programme.budget) == (
        Decimal("40.00"),
        Decimal("8000.00"),
        Decimal("50000.00"),
    )
    categories = list(programme.categories.order_by("position"))
    assert [(c.code, c.is_eligible) for c in categories] == [
        ("antenne-et-routeur", True),
        ("pose", True),
        ("forfait", False),
    ]
    assert JournalEntry.objects.filter(action="grants.programme.created", target_id=str(programme.pk)).count() == 1
    assert JournalEntry.objects.filter(action="grants.category.created").count() == 3


def test_a_second_programme_computes_with_its_own_figures(manager):
    programme = services.programme_create(actor=manager, categories=CATEGORIES, **values())
    figures = amounts.compute(programme, [(Decimal("3200.00"), True), (Decimal("500.00"), False)])
    assert (figures.eligible_total, figures.aid, figures.capped) == (Decimal("3200.00"), Decimal("1280.00"), False)
    capped = amounts.compute(programme, [(Decimal("30000.00"), True)])
    assert (capped.aid, capped.uncapped_aid, capped.capped) == (Decimal("8000.00"), Decimal("12000.00"), True)
    assert plain(queries.rate_sentence(programme)) == (
        "L'aide couvre 40 % de vos dépenses éligibles, jusqu'à 8 000 € par dossier."
    )
    assert "d'au moins 8 Mbit/s" in plain(queries.coverage_rule_sentence(programme))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"closes_on": date(2026, 1, 1), "opens_on": date(2026, 2, 1)},
            "closes_on",
            "même jour que l'ouverture ou après",
        ),
        ({"rate_percent": Decimal("0")}, "rate_percent", "supérieur à 0"),
        ({"rate_percent": Decimal("100.01")}, "rate_percent", "au plus égal à 100"),
        ({"rate_percent": Decimal("-5")}, "rate_percent", "supérieur à 0"),
        ({"rate_percent": None}, "rate_percent", "Indiquez le taux"),
        ({"rate_percent": 50.0}, "rate_percent", "Montant non valide"),
        ({"budget": Decimal("-1")}, "budget", "ne peut pas être négative"),
        ({"budget": Decimal("1e12")}, "budget", "ne peut pas dépasser"),
        ({"budget": "abc"}, "budget", "Indiquez un montant"),
        ({"budget": Decimal("10.001")}, "budget", "au centime près"),
        ({"budget": Decimal("NaN")}, "budget", "Indiquez un montant"),
        ({"cap_per_application": Decimal("0")}, "cap_per_application", "montant positif"),
        ({"cap_per_application": Decimal("-100")}, "cap_per_application", "montant positif"),
        ({"cap_per_application": Decimal("60000")}, "cap_per_application", "ne peut pas dépasser l'enveloppe"),
        ({"cap_per_application": Decimal("99999999")}, "cap_per_application", "ne peut pas dépasser"),
        ({"code": "A"}, "code", "2 à 8 lettres majuscules"),
        ({"code": "AUV1"}, "code", "2 à 8 lettres majuscules"),
        ({"code": "ÉCO"}, "code", "2 à 8 lettres majuscules"),
        ({"code": "TROPLONGS"}, "code", "2 à 8 lettres majuscules"),
        ({"slug": "Avec Espaces"}, "slug", "lettres minuscules"),
        ({"slug": "nouveau"}, "slug", "réservé"),
        ({"name": "  "}, "name", "Donnez un nom"),
        ({"name": "x" * 151}, "name", "150 caractères"),
        ({"funder": ""}, "funder", "qui finance"),
        ({"name": "a\x00b"}, "name", "caractère invalide"),
        ({"contact_email": "pas une adresse"}, "contact_email", "adresse électronique valide"),
        ({"coverage_threshold": "FIBRE"}, "coverage_threshold", "classe de débit"),
        ({"coverage_threshold": SpeedClass.INEL}, "coverage_threshold", "aucun local ne serait éligible"),
        ({"opens_on": date(1999, 1, 1)}, "opens_on", "entre 2000 et 2100"),
        ({"opens_on": "hier"}, "opens_on", "date valide"),
        ({"applicant_conditions": "x" * 301}, "applicant_conditions", "300 caractères"),
        ({"de_minimis_ceiling": Decimal("0")}, "de_minimis_ceiling", "montant positif"),
    ],
)
def test_bad_input_is_refused_by_field_in_french_and_nothing_is_saved(manager, changes, field, message):
    with pytest.raises(ValidationError) as exc_info:
        services.programme_create(actor=manager, categories=CATEGORIES, **values(**changes))
    assert message in " ".join(field_errors(exc_info)[field])
    assert GrantProgramme.objects.count() == 0
    assert ExpenseCategory.objects.count() == 0


def test_code_is_upper_cased_and_closing_the_day_it_opens_is_fine(manager):
    day = timezone.localdate()
    programme = services.programme_create(actor=manager, **values(code=" cart ", opens_on=day, closes_on=day))
    assert programme.code == "CART"
    assert queries.is_open(programme)


def test_duplicate_slug_and_code_are_refused(manager, programme):
    with pytest.raises(ValidationError) as exc_info:
        services.programme_create(actor=manager, **values(slug="auverdata", code="AUV"))
    errors = field_errors(exc_info)
    assert "déjà l'identifiant « auverdata »" in errors["slug"][0]
    assert "déjà le préfixe « AUV »" in errors["code"][0]


@pytest.mark.parametrize("who", ["applicant", "instructor", "other_applicant"])
def test_only_the_programme_team_may_create_or_edit(request, who, programme):
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        services.programme_create(actor=actor, **values())
    with pytest.raises(NotAllowed):
        services.programme_update(actor=actor, programme=programme, budget=Decimal("1"))
    with pytest.raises(NotAllowed):
        services.category_save(actor=actor, programme=programme, label="Autre")
    with pytest.raises(NotAllowed):
        services.category_delete(actor=actor, category=programme.categories.first())
    assert GrantProgramme.objects.count() == 1


def test_unknown_fields_are_a_programming_error(manager, programme):
    with pytest.raises(TypeError):
        services.programme_create(actor=manager, **values(), colour="red")
    with pytest.raises(TypeError):
        services.programme_update(actor=manager, programme=programme, colour="red")


# --- update and the envelope ------------------------------------------------------------------


def test_update_changes_only_what_is_given_and_journals_the_change(manager, programme):
    services.programme_update(actor=manager, programme=programme, rate_percent=Decimal("45"), funder="Région")
    programme.refresh_from_db()
    assert (programme.rate_percent, programme.funder, programme.code) == (Decimal("45.00"), "Région", "AUV")
    entry = JournalEntry.objects.get(action="grants.programme.updated")
    assert entry.data["changed"]["rate_percent"] == ["50.00", "45.00"]
    # Saving the same values again writes nothing.
    services.programme_update(actor=manager, programme=programme, rate_percent=Decimal("45"))
    assert JournalEntry.objects.filter(action="grants.programme.updated").count() == 1


def test_budget_below_committed_is_refused_with_the_committed_amount(manager, programme):
    commit(programme, "7000.00")
    commit(programme, "5000.00", status=Status.PAID)
    ApplicationFactory(programme=programme, status=Status.SUBMITTED, computed_aid=Decimal("2500"))  # not committed
    with pytest.raises(ValidationError) as exc_info:
        services.programme_update(actor=manager, programme=programme, budget=Decimal("11999.99"))
    assert plain(field_errors(exc_info)["budget"][0]) == (
        "L'enveloppe ne peut pas être inférieure aux 12 000,00 € déjà engagés."
    )
    assert exc_info.value.error_dict["budget"][0].code == "below_committed"
    programme.refresh_from_db()
    assert programme.budget == Decimal("100000.00")
    services.programme_update(actor=manager, programme=programme, budget=Decimal("12000"))
    assert envelope(programme).remaining == Decimal("0.00")


def test_code_cannot_change_once_dossiers_carry_it(manager, programme):
    ApplicationFactory(programme=programme)
    with pytest.raises(ValidationError, match="ne peut plus changer"):
        services.programme_update(actor=manager, programme=programme, code="NEW")
    services.programme_update(actor=manager, programme=programme, slug="auverdata-2")  # the slug may
    assert GrantProgramme.objects.get(pk=programme.pk).slug == "auverdata-2"


# --- categories ------------------------------------------------------------------------------


def _inputs(programme, **per_code):
    rows = []
    for category in programme.categories.order_by("position"):
        changes = per_code.get(category.code, {})
        rows.append(
            CategoryInput(
                pk=category.pk,
                label=changes.get("label", category.label),
                code=changes.get("code", category.code),
                description=changes.get("description", category.description),
                is_eligible=changes.get("is_eligible", category.is_eligible),
                position=changes.get("position", category.position),
                delete=changes.get("delete", False),
            )
        )
    return rows


def test_categories_are_added_edited_reordered_excluded_and_deleted(manager, programme):
    rows = _inputs(
        programme,
        equipement={"position": 9, "description": "Parabole, modem, routeur."},
        activation={"is_eligible": False},
        abonnement={"delete": True},
    )
    rows.append(CategoryInput(label="Mât et fixations", position=5))
    services.programme_update(actor=manager, programme=programme, categories=rows)
    result = [(c.code, c.is_eligible) for c in programme.categories.order_by("position", "pk")]
    assert result == [("installation", True), ("activation", False), ("mat-et-fixations", True), ("equipement", True)]
    assert programme.categories.get(code="equipement").description == "Parabole, modem, routeur."
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert {"grants.category.created", "grants.category.updated", "grants.category.deleted"} <= actions


def test_two_categories_may_swap_codes(manager, programme):
    rows = _inputs(programme, equipement={"code": "installation"}, installation={"code": "equipement"})
    services.programme_update(actor=manager, programme=programme, categories=rows)
    assert programme.categories.get(code="equipement").label == "Installation et mise en service"


def test_category_problems_are_named_and_nothing_is_saved(manager, programme):
    rows = _inputs(programme, activation={"code": "equipement"})
    with pytest.raises(ValidationError, match="même code « equipement »"):
        services.programme_update(actor=manager, programme=programme, budget=Decimal("90000"), categories=rows)
    programme.refresh_from_db()
    assert programme.budget == Decimal("100000.00")
    rows = _inputs(programme, activation={"label": ""})
    with pytest.raises(ValidationError, match="Catégorie n° 3 : Donnez un libellé"):
        services.programme_update(actor=manager, programme=programme, categories=rows)
    other = ProgrammeFactory()
    stranger = other.categories.first()
    with pytest.raises(ValidationError, match="n'appartient pas à ce dispositif"):
        services.programme_update(
            actor=manager, programme=programme, categories=[CategoryInput(pk=stranger.pk, label="Volée")]
        )
    with pytest.raises(ValidationError, match="au plus 30"):
        services.programme_update(
            actor=manager, programme=programme, categories=[CategoryInput(label=f"C{n}") for n in range(31)]
        )
    assert stranger.label == ExpenseCategory.objects.get(pk=stranger.pk).label


def test_a_category_used_by_a_dossier_cannot_be_deleted(manager, draft):
    line = ExpenseLineFactory(application=draft)
    with pytest.raises(ValidationError, match="figure dans des dossiers"):
        services.category_delete(actor=manager, category=line.category)
    rows = _inputs(draft.programme, **{line.category.code: {"delete": True}})
    with pytest.raises(ValidationError, match="figure dans des dossiers"):
        services.programme_update(actor=manager, programme=draft.programme, categories=rows)
    assert ExpenseCategory.objects.filter(pk=line.category.pk).exists()


def test_category_save_alone(manager, programme):
    created = services.category_save(actor=manager, programme=programme, label="Mât", description="Acier")
    assert created.code == "mat"
    changed = services.category_save(
        actor=manager, programme=programme, category=created, label="Mât galvanisé", is_eligible=False
    )
    assert (changed.pk, changed.label, changed.is_eligible) == (created.pk, "Mât galvanisé", False)
    with pytest.raises(ValidationError, match="déjà le code « equipement »"):
        services.category_save(actor=manager, programme=programme, label="Autre", code="equipement")
    with pytest.raises(ValidationError, match="n'appartient pas"):
        services.category_save(actor=manager, programme=ProgrammeFactory(), category=created, label="x")
    with pytest.raises(ValidationError) as exc_info:
        services.category_save(actor=manager, programme=programme, label="y", code="Pas Bon", position=-1)
    assert set(field_errors(exc_info)) == {"code", "position"}


# --- queries and sentences --------------------------------------------------------------------


def test_published_lists_open_programmes_first_and_hides_unpublished():
    today = timezone.localdate()
    closed = ProgrammeFactory(name="A clos", opens_on=today - timedelta(days=90), closes_on=today - timedelta(days=1))
    upcoming = ProgrammeFactory(
        name="B bientôt", opens_on=today + timedelta(days=1), closes_on=today + timedelta(days=9)
    )
    open_ = ProgrammeFactory(name="C ouvert", opens_on=today, closes_on=today)
    ProgrammeFactory(name="D caché", is_published=False)
    assert list(queries.published()) == [open_, upcoming, closed]
    assert [queries.programme_state(p) for p in (open_, upcoming, closed)] == ["open", "upcoming", "closed"]


def test_envelopes_of_many_programmes_match_the_single_envelope(django_assert_num_queries):
    first, second, third = ProgrammeFactory(), ProgrammeFactory(), ProgrammeFactory()
    commit(first, "1000.00")
    commit(first, "250.50", status=Status.PAID)
    commit(second, "99.99")
    with django_assert_num_queries(2):
        figures = queries.envelopes([first, second, third])
    for programme in (first, second, third):
        assert figures[programme.pk] == envelope(programme)
    assert figures[first.pk].committed == Decimal("1250.50")


@pytest.mark.parametrize(
    ("rate", "cap", "expected"),
    [
        ("50.00", "2500.00", "L'aide couvre 50 % de vos dépenses éligibles, jusqu'à 2 500 € par dossier."),
        ("33.33", "1234.56", "L'aide couvre 33,33 % de vos dépenses éligibles, jusqu'à 1 234,56 € par dossier."),
        ("12.50", None, "L'aide couvre 12,5 % de vos dépenses éligibles, sans plafond par dossier."),
        ("100.00", "15000.00", "L'aide couvre 100 % de vos dépenses éligibles, jusqu'à 15 000 € par dossier."),
    ],
)
def test_rate_sentence(rate, cap, expected):
    programme = ProgrammeFactory.build(rate_percent=Decimal(rate), cap_per_application=cap and Decimal(cap))
    assert plain(queries.rate_sentence(programme)) == expected


@pytest.mark.parametrize(
    ("threshold", "enabled", "expected"),
    [
        (SpeedClass.HD3, True, "vos locaux n'ont pas accès à un débit filaire d'au moins 3 Mbit/s"),
        (SpeedClass.BHD8, True, "d'au moins 8 Mbit/s"),
        (SpeedClass.THD30, True, "d'au moins 30 Mbit/s"),
        (SpeedClass.THD1G, True, "d'au moins 1 Gbit/s"),
        (SpeedClass.HD05, True, "sans aucun accès filaire"),
        (SpeedClass.HD3, False, "Pas de condition de débit"),
    ],
)
def test_coverage_rule_sentence(threshold, enabled, expected):
    programme = ProgrammeFactory.build(coverage_threshold=threshold, coverage_rule_enabled=enabled)
    assert expected in plain(queries.coverage_rule_sentence(programme))


def test_find_ignores_junk():
    assert queries.find("a\x00b") is None
    assert queries.find("x" * 500) is None
    assert queries.find(None) is None  # type: ignore[arg-type]


# --- demo ------------------------------------------------------------------------------------


def test_demo_auverdata_loads_once():
    assert demo.load() == {"dispositifs d'aide": 1}
    assert demo.load() == {"dispositifs d'aide": 0}
    programme = GrantProgramme.objects.get(slug="auverdata")
    assert (programme.code, programme.funder, programme.rate_percent) == (
        "AUV",
        "Région Auvergne-Rhône-Alpes",
        Decimal("50.00"),
    )
    assert (programme.cap_per_application, programme.budget) == (Decimal("2500.00"), Decimal("150000.00"))
    assert (programme.opens_on, programme.closes_on) == (date(2026, 1, 5), date(2027, 12, 31))
    assert programme.is_published
    assert programme.requires_active_siret
    assert programme.coverage_threshold == SpeedClass.HD3
    assert "Les locaux sont situés dans le Cantal." in programme.conditions
    assert programme.contact_email == "aides@demo.cybercantal.fr"
    eligible = set(programme.categories.filter(is_eligible=True).values_list("code", flat=True))
    excluded = set(programme.categories.filter(is_eligible=False).values_list("code", flat=True))
    assert eligible == {"equipement", "installation", "activation"}
    assert excluded == {"abonnement", "informatique"}
    # The acceptance story: a 3,200 € installation gets 1,600 € of aid.
    assert amounts.compute(programme, [(Decimal("3200.00"), True)]).aid == Decimal("1600.00")
