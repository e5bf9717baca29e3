"""The eligibility check: address parsing, building lookup, the commune fallback, the rule."""

from __future__ import annotations

import json

import pytest

from ..models import EligibilityAnswer, SpeedClass
from ..queries.coverage import result_rows
from ..services.coverage import eligibility_check, format_percent, parse_address, split_by_threshold, street_key
from .factories import ProgrammeFactory
from .factories_coverage import BuildingFactory, CommuneCoverageFactory, CurrentEditionFactory, commune, import_sample

pytestmark = pytest.mark.django_db

NEUVEGLISE = "Neuvéglise-sur-Truyère"


@pytest.fixture
def sample(territory):
    import_sample()


@pytest.fixture
def auverdata(db):
    return ProgrammeFactory(slug="auverdata", code="AUV", coverage_threshold=SpeedClass.HD3)


def check(programme, name, address=""):  # type: ignore[no-untyped-def]
    return eligibility_check(programme=programme, commune=commune(name), address=address)


# --- Parsing what people type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number", "suffix", "key"),
    [
        ("12 route du Bourg", "12", "", " route bourg "),
        ("12 bis, Route du Bourg", "12", "bis", " route bourg "),
        ("12B rte du bourg", "12", "bis", " route bourg "),
        ("12 ter av. de la République 15000 Aurillac", "12", "ter", " avenue republique "),
        ("n° 7 place de l'Église", "7", "", " place eglise "),
        ("Lieu-dit Le Bousquet", "", "", " bousquet "),
        ("003 LE BOUSQUET", "3", "", " bousquet "),
        ("3 a chemin des Prés", "3", "a", " chemin pres "),
        ("", "", "", ""),
        ("   ,,, ", "", "", ""),
    ],
)
def test_addresses_are_parsed(typed, number, suffix, key):
    parsed = parse_address(typed)
    assert (parsed.number, parsed.suffix, parsed.key) == (number, suffix, key)


def test_the_commune_name_typed_after_the_street_is_a_second_reading(sample, auverdata):
    parsed = parse_address("3 Le Bousquet Neuvéglise-sur-Truyère", commune=commune(NEUVEGLISE))
    assert (parsed.number, parsed.other_key) == ("3", " bousquet ")
    assert check(auverdata, NEUVEGLISE, "3 Le Bousquet Neuvéglise-sur-Truyère").answer == "eligible"
    assert street_key("RTE DE CHAUDES-AIGUES") == street_key("route de Chaudes Aigues") == " route chaudes aigues "


def test_a_street_named_after_its_own_commune_is_found(territory, auverdata):
    edition = CurrentEditionFactory()
    saint_flour = commune("Saint-Flour")
    BuildingFactory(edition=edition, commune=saint_flour, street="Place de Saint-Flour", number="51")
    result = check(auverdata, "Saint-Flour", "51, Place de Saint-Flour")
    assert (result.answer, result.basis) == ("eligible", "building")


# --- Answers at the building ---------------------------------------------------------------------------


def test_the_sawmill_in_the_hamlet_is_eligible(sample, auverdata):
    result = check(auverdata, NEUVEGLISE, "3 Le Bousquet")
    assert (result.answer, result.basis, result.edition) == (EligibilityAnswer.ELIGIBLE, "building", "2026T2")
    assert result.label == "Éligible"
    assert result.explanation.startswith("Vos locaux sont éligibles : d'après les données de l'Arcep")
    assert "édition 2026T2" in result.explanation
    assert "« Moins de 3 Mbit/s », par le cuivre" in result.explanation
    assert "n'ont pas 3 Mbit/s" in result.explanation
    data = result.data
    assert isinstance(data["latitude"], float)  # the applying part places the premises in a canton
    assert isinstance(data["longitude"], float)
    assert data["best_class"] == "HD05"
    assert data["address"] == "3 Le Bousquet"
    assert data["match"] == "exacte"
    assert data["technologies"] == [
        {
            "techno": "CU",
            "techno_label": "le cuivre (ADSL, VDSL)",
            "classe": "HD05",
            "classe_label": "Moins de 3 Mbit/s",
        }
    ]
    snapshot = result.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot  # stored as JSON on the dossier
    assert ("Meilleur débit filaire", "Moins de 3 Mbit/s") in result_rows(snapshot)
    assert ("Édition des données", "2026T2") in result_rows(snapshot)


def test_a_lieu_dit_without_numbers_and_no_wire_is_eligible(sample, auverdata):
    result = check(auverdata, NEUVEGLISE, "Fraissinet")
    assert (result.answer, result.basis) == ("eligible", "building")
    assert "aucun accès internet filaire n'est recensé" in result.explanation
    # A number typed for a lieu-dit without numbers does not matter.
    assert check(auverdata, NEUVEGLISE, "2 Fraissinet").answer == "eligible"


def test_fibre_in_the_bourg_is_not_eligible(sample, auverdata):
    result = check(auverdata, NEUVEGLISE, "12 route de Chaudes-Aigues")
    assert (result.answer, result.basis) == ("not_eligible", "building")
    assert "« 1 Gbit/s et plus », par la fibre optique" in result.explanation
    assert check(auverdata, "Aurillac", "3 rue des Carmes").answer == "not_eligible"
    # Copper at 3 to 8 Mbit/s is not below the threshold either.
    assert check(auverdata, NEUVEGLISE, "25 rte de chaudes aigues").answer == "not_eligible"


def test_a_typo_in_the_street_finds_the_closest_one_and_says_so(sample, auverdata):
    result = check(auverdata, NEUVEGLISE, "3 le bousquett")
    assert (result.answer, result.data["match"]) == ("eligible", "approchee")
    assert result.explanation.startswith(
        "Adresse la plus proche de « 3 le bousquett » dans les données : 3 Le Bousquet."
    )


def test_suffix_and_neighbouring_buildings(territory, auverdata):
    edition = CurrentEditionFactory()
    BuildingFactory(edition=edition, number="4", best_class="THD1G", best_technology="FO")
    BuildingFactory(edition=edition, number="4", suffix="bis", best_class="HD05")
    assert check(auverdata, NEUVEGLISE, "4 bis route du bourg").answer == "eligible"
    assert check(auverdata, NEUVEGLISE, "4 route du bourg").answer == "not_eligible"
    # An unknown suffix: the building without suffix at that number.
    assert check(auverdata, NEUVEGLISE, "4 ter route du bourg").data["match"] == "numero_voisin"
    # Two buildings that do not agree on one lieu-dit address: the instructor decides.
    BuildingFactory(edition=edition, number="", street="Le Mas", best_class="INEL", best_technology="")
    BuildingFactory(edition=edition, number="", street="Le Mas", best_class="THD1G", best_technology="FO")
    result = check(auverdata, NEUVEGLISE, "Le Mas")
    assert (result.answer, result.basis) == ("to_check", "building")
    assert len(result.data["other_buildings"]) == 1


# --- The commune fallback ------------------------------------------------------------------------------


def test_known_street_unknown_number_falls_back_to_a_share_of_the_commune(sample, auverdata):
    result = check(auverdata, NEUVEGLISE, "99 route de Chaudes-Aigues")
    assert (result.answer, result.basis) == ("to_check", "commune")
    assert result.explanation.startswith("La voie « route de chaudes aigues » est connue mais pas le numéro 99")
    assert (
        "11\u00a0% des locaux de la commune n'ont pas 3 Mbit/s en filaire : l'instructeur vérifiera votre adresse"
        in (result.explanation)
    )
    assert "édition 2026T2" in result.explanation
    assert result.data["share_below"] == "11\u00a0%"


def test_the_share_message_of_the_issue(territory, auverdata):
    CommuneCoverageFactory(by_class={"HD05": 62, "THD1G": 38})
    result = check(auverdata, NEUVEGLISE)
    assert result.explanation.startswith(
        "62\u00a0% des locaux de la commune n'ont pas 3 Mbit/s en filaire : l'instructeur vérifiera votre adresse"
    )


def test_whole_commune_below_or_above_gives_a_firm_answer(sample, auverdata):
    below = check(auverdata, "Paulhac", "1 rue inconnue")
    assert (below.answer, below.basis) == ("eligible", "commune")
    assert below.explanation.startswith(
        "L'adresse « 1 rue inconnue » n'est pas dans les données de l'Arcep pour Paulhac."
    )
    assert "les 14 locaux de la commune de Paulhac n'ont pas 3 Mbit/s en filaire" in below.explanation
    assert check(auverdata, "Lavigerie").answer == "eligible"
    above = check(auverdata, "Mauriac", "2 rue de la Paix")
    assert (above.answer, above.basis) == ("not_eligible", "commune")
    assert "les 2\u202f840 locaux de la commune de Mauriac ont au moins 3 Mbit/s en filaire" in above.explanation


def test_a_commune_without_data_and_no_data_at_all_are_to_check(territory, auverdata):
    result = check(auverdata, "Aurillac")
    assert (result.answer, result.basis, result.edition) == ("to_check", "none", "")
    assert "pas encore chargées" in result.explanation
    import_sample()
    result = check(auverdata, "Trizac", "1 rue x")
    assert (result.answer, result.basis, result.edition) == ("to_check", "none", "2026T2")
    assert "ne disent rien de Trizac" in result.explanation


def test_rule_switched_off_makes_every_premises_eligible(sample):
    programme = ProgrammeFactory(coverage_rule_enabled=False)
    result = check(programme, "Aurillac", "3 rue des Carmes")
    assert (result.answer, result.basis, result.edition) == ("eligible", "rule_off", "2026T2")
    assert "n'impose pas de condition de débit" in result.explanation


def test_the_threshold_is_the_programmes(sample):
    strict = ProgrammeFactory(coverage_threshold=SpeedClass.HD05)  # only premises with no wire at all
    assert check(strict, NEUVEGLISE, "3 Le Bousquet").answer == "not_eligible"
    assert check(strict, NEUVEGLISE, "Fraissinet").answer == "eligible"
    generous = ProgrammeFactory(coverage_threshold=SpeedClass.THD30)  # up to 30 Mbit/s
    assert check(generous, NEUVEGLISE, "25 route de Chaudes-Aigues").answer == "eligible"
    assert "n'ont pas 30 Mbit/s" in check(generous, NEUVEGLISE).explanation


def test_grouped_slow_classes_cannot_decide_a_threshold_between_them():
    assert split_by_threshold({"INEL-HD05": 30, "THD1G": 70}, "HD3") == (30, 70, 0)
    assert split_by_threshold({"INEL-HD05": 30, "THD1G": 70}, "HD05") == (0, 70, 30)
    assert split_by_threshold({"INEL": 5, "junk": 3}, "HD3") == (5, 0, 3)
    assert format_percent(995, 1000) == "99,5\u00a0%"
    assert format_percent(1, 1000) == "0,1\u00a0%"
    assert format_percent(0, 0) == "0 %"


def test_a_check_is_a_few_indexed_queries(sample, auverdata, django_assert_max_num_queries):
    place = commune(NEUVEGLISE)
    with django_assert_max_num_queries(2):
        eligibility_check(programme=auverdata, commune=place, address="3 Le Bousquet")
    with django_assert_max_num_queries(4):
        eligibility_check(programme=auverdata, commune=place, address="99 route de Chaudes-Aigues")
