"""Pages: directory, detail, map, coverage, my places, create and edit (role by role)."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.places import schema
from cybercantal.places.models import Place, PlaceKind, PlaceOffer, PlaceStatus

from .conftest import PARIS
from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("places:directory")


def text_of(response) -> str:
    """The page as text, tags removed and spaces collapsed (for French sentences)."""
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def riom_places(small_cantal, epn_riom):
    riom = small_cantal["communes"]["riom"]
    mairie = PlaceFactory(
        name="Mairie de Riom",
        kind=PlaceKind.MAIRIE,
        offers=[PlaceOffer.KIOSK],
        commune=riom,
        postal_code="15400",
        latitude=45.2820,
        longitude=2.6570,
    )
    flour = PlaceFactory(
        name="Espace de la Planèze",
        commune=small_cantal["communes"]["flour"],
        postal_code="15100",
        latitude=45.0340,
        longitude=3.0930,
    )
    return [epn_riom, mairie, flour]


# --- directory ------------------------------------------------------------------------------


def test_directory_form_is_labelled(client, riom_places):
    response = client.get(DIRECTORY)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_q">Rechercher un lieu</label>' in html
    assert '<label for="id_pres_de">Près de (commune)</label>' in html
    assert '<button type="submit" class="button">Rechercher</button>' in html
    assert 'role="status"' in html
    assert "3 lieux trouvés" in text_of(response)


def test_search_riom_es_montagnes_finds_places_there_with_todays_hours(client, riom_places, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 2, 10, 0, tzinfo=PARIS))
    response = client.get(DIRECTORY, {"q": "riom es montagnes"})
    page = text_of(response)
    assert "2 lieux trouvés" in page
    html = response.content.decode()
    headings = re.findall(r"<h2>(.*?)</h2>", html, re.S)
    assert len(headings) == 2
    assert "EPN La Fontaine" in headings[0]
    assert "Riom-ès-Montagnes" in headings[0]
    assert "Ouvert · ferme à 12 h" in page
    assert "Planèze" not in page


def test_near_a_commune_typed_by_name_sorts_by_distance(client, riom_places):
    response = client.get(DIRECTORY, {"pres_de": "st flour"})
    page = text_of(response)
    assert "du plus proche au plus éloigné de Saint-Flour" in page
    assert page.index("Espace de la Planèze") < page.index("EPN La Fontaine")
    assert re.search(r"à \d,\d km", page)
    assert re.search(r"à 4\d,\d km", page)  # Saint-Flour - Riom-ès-Montagnes, as the crow flies


def test_near_an_unknown_or_ambiguous_commune_explains(client, riom_places):
    page = text_of(client.get(DIRECTORY, {"pres_de": "Paris"}))
    assert "Aucune commune du département ne s'appelle « Paris » : vérifiez l'orthographe." in page
    assert "3 lieux trouvés" in page  # the list is still shown, by name


def test_near_a_point(client, riom_places, small_cantal):
    flour = small_cantal["communes"]["flour"]
    page = text_of(client.get(DIRECTORY, {"lat": flour.latitude, "lon": flour.longitude}))
    assert page.index("Espace de la Planèze") < page.index("EPN La Fontaine")


def test_filters_and_open_now(client, riom_places, small_cantal, monkeypatch):
    page = text_of(client.get(DIRECTORY, {"type": "mairie"}))
    assert "1 lieu trouvé" in page
    page = text_of(client.get(DIRECTORY, {"canton": "saint-flour-1"}))
    assert "Espace de la Planèze" in page
    assert "EPN La Fontaine" not in page
    page = text_of(client.get(DIRECTORY, {"commune": "15162"}))
    assert "2 lieux trouvés" in page
    page = text_of(client.get(DIRECTORY, {"service": schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES.value}))
    assert "Aucun lieu ne correspond à votre recherche." in page
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 8, 10, 0, tzinfo=PARIS))
    page = text_of(client.get(DIRECTORY, {"ouvert": "1"}))
    assert "Aucun lieu ne correspond à votre recherche." in page


def test_bad_filter_values_are_reported_not_crashing(client, riom_places):
    response = client.get(DIRECTORY, {"type": "piscine", "canton": "nulle-part", "lat": "abc", "q": "planeze"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert "1 lieu trouvé" in text_of(response)  # the valid filters still apply


def test_htmx_request_gets_only_the_results(client, riom_places):
    response = client.get(DIRECTORY, {"q": "planeze"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-swap-oob="true"' in html
    assert "1 lieu trouvé" in text_of(response)
    assert "Espace de la Planèze" in html


def test_pagination(client, small_cantal):
    for number in range(23):
        PlaceFactory(name=f"Lieu {number:02d}", commune=small_cantal["communes"]["murat"], postal_code="15300")
    first = client.get(DIRECTORY)
    assert first.content.decode().count("<h2>") == 20
    assert 'aria-label="Pagination"' in first.content.decode()
    second = client.get(DIRECTORY, {"page": 2})
    assert second.content.decode().count("<h2>") == 3
    assert 'start="21"' in second.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_directory_query_count_does_not_grow(client, small_cantal, django_assert_max_num_queries, count, monkeypatch):
    for number in range(count):
        PlaceFactory(
            name=f"Lieu {number:02d}",
            commune=small_cantal["communes"]["riom"],
            postal_code="15400",
            latitude=45.28,
            longitude=2.65,
        )
    # count + page keys + page rows (KeysFirstPaginator) + the canton and commune selects
    with django_assert_max_num_queries(5):
        client.get(DIRECTORY, {"q": "lieu", "ouvert": "1", "type": "epn"})
    with django_assert_max_num_queries(5):  # a full page of 20 with a filter
        response = client.get(DIRECTORY, {"type": "epn"})
    assert response.content.decode().count('<li class="result">') == min(count, 20)
    with django_assert_max_num_queries(6):  # + the commune typed by name
        client.get(DIRECTORY, {"pres_de": "riom es montagnes"})
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 7, 14, 10, 0, tzinfo=PARIS))
    with django_assert_max_num_queries(6):  # + the hours with a holiday rule, on a public holiday only
        response = client.get(DIRECTORY, {"ouvert": "1", "lat": "45.28", "lon": "2.65"})
    assert "Aucun lieu ne correspond" in text_of(response)  # every place here is "PH off"


# --- detail ---------------------------------------------------------------------------------


def test_detail_page_content(client, small_cantal, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 3, 15, 0, tzinfo=PARIS))
    place = PlaceFactory(
        name="EPN des Tilleuls",
        commune=small_cantal["communes"]["riom"],
        postal_code="15400",
        address="3 place de l'Église",
        latitude=45.28,
        longitude=2.65,
        phone="04 71 00 00 00",
        email="epn@example.test",
        accessibility_details="Accès de plain-pied, boucle magnétique.",
        services=[schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES, schema.Service.LOISIRS_ET_CREATIONS_NUMERIQUES],
        frais_a_charge=[schema.Frais.GRATUIT],
        formations_labels=[schema.FormationLabel.ETAPES_NUMERIQUES],
        autres_formations_labels="Label maison",
    )
    response = client.get(place.get_absolute_url())
    html = response.content.decode()
    page = text_of(response)
    assert response.status_code == 200
    assert "<h1>EPN des Tilleuls</h1>" in html
    assert "Espace public numérique" in page
    assert "15400 Riom-ès-Montagnes" in page
    assert "Canton Riom-ès-Montagnes" in page
    assert "Ouvert · ferme à 17 h 30" in page
    assert re.search(r'<tr aria-current="date">\s*<th scope="row">Mardi', html)
    assert 'href="tel:0471000000"' in html
    assert 'href="mailto:epn@example.test"' in html
    assert "Accès de plain-pied, boucle magnétique." in page
    assert "Aide aux démarches administratives" in page
    assert "Gratuit" in page
    assert "Étapes numériques (La Poste)" in page
    assert "Label maison" in page
    assert "Informations mises à jour le" in page
    assert "Modifier ce lieu" not in page


def test_draft_is_hidden_from_the_public_but_not_from_its_editors(client, small_cantal, staff):
    draft = PlaceFactory(name="Brouillon", status=PlaceStatus.DRAFT, commune=small_cantal["communes"]["murat"])
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Brouillon" in text_of(response)
    assert "Modifier ce lieu" in text_of(response)


def test_unknown_place_is_404(client, db):
    assert client.get(reverse("places:detail", kwargs={"slug": "nulle-part"})).status_code == 404


# --- map and coverage -----------------------------------------------------------------------


def test_map_page_lists_places_with_commune_and_canton(client, riom_places, django_assert_max_num_queries):
    client.get(reverse("places:map"))  # territory's shapes, cached from then on (as in production)
    with django_assert_max_num_queries(4):  # count + page keys + page rows + markers, whatever the number
        response = client.get(reverse("places:map"))
    page = text_of(response)
    assert response.status_code == 200
    assert "Liste des lieux de la carte" in page
    assert "EPN La Fontaine Espace public numérique Riom-ès-Montagnes Riom-ès-Montagnes" in page
    page = text_of(client.get(reverse("places:map"), {"type": "mairie"}))
    assert "Mairie de Riom" in page
    assert "EPN La Fontaine" not in page


def test_coverage_page_says_what_is_missing(client, riom_places, django_assert_max_num_queries):
    # cantons + counts + the renderer's canton shapes (cached in production)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("places:coverage"))
    page = text_of(response)
    assert response.status_code == 200
    assert "Riom-ès-Montagnes 1 1 0 0 0 tenue" in page
    assert "Saint-Flour-1 1 0 0 0 0 manque : borne" in page
    assert "Aurillac-1 0 0 0 0 0 manque : EPN et borne" in page


# --- my places, create, edit: role by role --------------------------------------------------


def test_my_places_requires_sign_in(client, db):
    response = client.get(reverse("places:mine"))
    assert response.status_code == 302
    assert "/compte/" in response["Location"]


def test_my_places_lists_the_managed_places(client, riom_places, staff):
    mediator = staff(Role.MEDIATOR, riom_places[0])
    client.force_login(mediator)
    page = text_of(client.get(reverse("places:mine")))
    assert "EPN La Fontaine" in page
    assert "Mairie de Riom" not in page
    assert "Ajouter un lieu" not in page


CREATE = reverse("places:create")


def create_data(commune_id: int, **extra: str) -> dict[str, str]:
    data = {
        "name": "Nouvel espace",
        "kind": "epn",
        "status": "published",
        "offers": ["epn"],
        "commune": str(commune_id),
        "address": "4 rue Neuve",
        "postal_code": "15300",
        "hours-d0_s0_opens": "09:00",
        "hours-d0_s0_closes": "12:00",
        "hours-holidays_closed": "on",
        "services": [schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES.value],
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 302), (Role.CITIZEN, 403), (Role.MEDIATOR, 403), (Role.PROGRAMME_MANAGER, 200), (Role.ADMINISTRATOR, 200)],
)
def test_create_permissions(client, small_cantal, staff, role, expected):
    if role is not None:
        client.force_login(staff(role))
    response = client.get(CREATE)
    assert response.status_code == expected
    if expected == 302:
        assert "/compte/" in response["Location"]


def test_create_saves_and_double_submit_is_harmless(client, small_cantal, staff):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    murat = small_cantal["communes"]["murat"]
    response = client.post(CREATE, create_data(murat.pk))
    place = Place.objects.get(name="Nouvel espace")
    assert response.status_code == 302
    assert response["Location"] == place.get_absolute_url()
    assert place.opening_hours == "Mo 09:00-12:00; PH off"
    assert place.services == [schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES]
    assert place.canton == small_cantal["cantons"]["murat"]
    again = client.post(CREATE, create_data(murat.pk))
    assert again.status_code == 302
    assert again["Location"] == place.get_absolute_url()
    assert Place.objects.filter(name="Nouvel espace").count() == 1
    assert JournalEntry.objects.filter(action="place.created").count() == 1


def test_create_with_bad_input_shows_french_errors_and_saves_nothing(client, small_cantal, staff):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    data = create_data(
        small_cantal["communes"]["murat"].pk,
        postal_code="15",
        latitude="45.1",
        email="pas-une-adresse",
        **{"hours-d0_s0_closes": "08:00"},
    )
    response = client.post(CREATE, data)
    page = text_of(response)
    assert response.status_code == 200
    assert "Le lieu n’est pas enregistré" in page
    assert "Le code postal compte 5 chiffres." in page
    assert "Indiquez la latitude et la longitude ensemble" in page
    assert "Saisissez une adresse de courriel valide." in page
    assert "L'heure de fermeture doit être après l'heure d'ouverture." in page
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Place.objects.exists()


@pytest.fixture
def two_epns(small_cantal):
    return (
        PlaceFactory(name="EPN A", commune=small_cantal["communes"]["murat"], postal_code="15300"),
        PlaceFactory(name="EPN B", commune=small_cantal["communes"]["flour"], postal_code="15100"),
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("citizen", 403),
        ("mediator_of_it", 200),
        ("mediator_elsewhere", 403),
        ("kiosk_agent_of_it", 200),
        ("programme_manager", 200),
    ],
)
def test_edit_permissions(client, two_epns, staff, who, expected):
    mine, other = two_epns
    users = {
        "citizen": lambda: staff(Role.CITIZEN),
        "mediator_of_it": lambda: staff(Role.MEDIATOR, mine),
        "mediator_elsewhere": lambda: staff(Role.MEDIATOR, other),
        "kiosk_agent_of_it": lambda: staff(Role.KIOSK_AGENT, mine),
        "programme_manager": lambda: staff(Role.PROGRAMME_MANAGER),
    }
    if who in users:
        client.force_login(users[who]())
    url = reverse("places:edit", kwargs={"slug": mine.slug})
    assert client.get(url).status_code == expected
    assert client.post(url, {}).status_code == expected  # an empty form is refused, not saved
    assert Place.objects.get(pk=mine.pk).name == "EPN A"


def test_mediator_edits_hours_with_the_slots_form(client, two_epns, staff):
    mine, _other = two_epns
    client.force_login(staff(Role.MEDIATOR, mine))
    url = reverse("places:edit", kwargs={"slug": mine.slug})
    form = client.get(url)
    html = form.content.decode()
    assert 'name="hours-d0_s0_opens"' in html
    assert 'value="09:00"' in html
    data = {
        "name": mine.name,
        "kind": mine.kind,
        "status": mine.status,
        "offers": ["epn"],
        "commune": str(mine.commune_id),
        "address": mine.address,
        "postal_code": mine.postal_code,
        "hours-d1_s0_opens": "10:00",
        "hours-d1_s0_closes": "18:00",
        "hours-d5_s0_opens": "09:00",
        "hours-d5_s0_closes": "12:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.opening_hours == "Tu 10:00-18:00; Sa 09:00-12:00"
    assert sorted(mine.opening_slots.values_list("weekday", flat=True)) == [1, 5]
    client.post(url, data)  # double submit: nothing new
    assert JournalEntry.objects.filter(action="place.updated", target_id=str(mine.pk)).count() == 1


def test_edit_with_invalid_raw_hours_keeps_the_place(client, two_epns, staff):
    mine, _other = two_epns
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    url = reverse("places:edit", kwargs={"slug": mine.slug})
    data = {
        "name": "Nom changé",
        "kind": mine.kind,
        "status": mine.status,
        "commune": str(mine.commune_id),
        "address": mine.address,
        "postal_code": mine.postal_code,
        "hours-raw": "lundi matin",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Horaires illisibles" in text_of(response)
    mine.refresh_from_db()
    assert mine.name == "EPN A"


# --- bad input and help for people not at ease with computers ------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"lat": "abc", "lon": ""}, {"lat": "45.03"}, {"lat": "nan", "lon": "2.6"}, {"lat": "95", "lon": "2.6"}],
)
def test_an_unreadable_position_is_said_in_french(client, riom_places, params):
    response = client.get(DIRECTORY, params)
    page = text_of(response)
    assert response.status_code == 200
    assert "La position indiquée n'est pas lisible" in page
    assert "3 lieux trouvés." in page  # by name, not by distance
    assert 'name="lat"' not in response.content.decode()  # the bad value is not carried further


@pytest.mark.parametrize(
    ("page_param", "message", "first_shown"),
    [
        ("abc", "« abc » n'est pas un numéro de page : voici la première page.", "Lieu 00"),
        ("-1", "Les pages commencent à 1 : voici la première page.", "Lieu 00"),
        ("0", "Les pages commencent à 1 : voici la première page.", "Lieu 00"),
        ("99999", "La page 99999 n'existe pas : voici la dernière page (page 2).", "Lieu 20"),
        ("9" * 5000, "n'est pas un numéro de page", "Lieu 00"),
    ],
)
def test_a_page_number_that_is_not_one_is_said(client, small_cantal, page_param, message, first_shown):
    for number in range(23):
        PlaceFactory(name=f"Lieu {number:02d}", commune=small_cantal["communes"]["murat"], postal_code="15300")
    response = client.get(DIRECTORY, {"page": page_param})
    page = text_of(response)
    assert response.status_code == 200
    assert message in page
    assert re.findall(r"<h2><a [^>]*>([^<]+)</a>", response.content.decode())[0] == first_shown
    assert message not in text_of(client.get(DIRECTORY, {"page": "2"}))


def test_the_other_lists_say_it_too(client, riom_places, staff):
    assert "La page 7 n'existe pas" in text_of(client.get(reverse("places:map"), {"page": "7"}))
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    assert "n'est pas un numéro de page" in text_of(client.get(reverse("places:mine"), {"page": "x"}))


@pytest.mark.parametrize(("typed", "suggested"), [("aurilac", "Aurillac"), ("riom es montagne", None)])
def test_a_misspelt_commune_gets_suggestions(client, riom_places, typed, suggested):
    page = text_of(client.get(DIRECTORY, {"pres_de": typed}))
    if suggested is None:  # the start of the name is enough
        assert "du plus proche au plus éloigné de Riom-ès-Montagnes" in page
        return
    assert f"Aucune commune du département ne s'appelle « {typed} » : vérifiez l'orthographe." in page
    assert "Vouliez-vous dire :" in page
    html = client.get(DIRECTORY, {"pres_de": typed}).content.decode()
    assert f'href="?pres_de={suggested}">{suggested} (15000)</a>' in html


def test_each_result_says_todays_hours(client, riom_places, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 2, 12, 30, tzinfo=PARIS))
    page = text_of(client.get(DIRECTORY, {"q": "fontaine"}))
    assert "Fermé · ouvre à 14 h Aujourd'hui : 9 h – 12 h, 14 h – 17 h 30" in page
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 8, 10, 0, tzinfo=PARIS))
    assert "Aujourd'hui : fermé" in text_of(client.get(DIRECTORY, {"q": "fontaine"}))


def test_an_empty_result_offers_to_drop_each_filter(client, riom_places, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 8, 10, 0, tzinfo=PARIS))
    response = client.get(DIRECTORY, {"q": "fontaine", "type": "epn", "ouvert": "1"})
    page = text_of(response)
    assert "Aucun lieu ne correspond à votre recherche." in page
    assert "retirer « Ouvert maintenant »" in page
    assert "retirer « Type de lieu : Espace public numérique »" in page
    html = unescape(response.content.decode())
    assert 'href="?q=fontaine&type=epn">retirer « Ouvert maintenant »' in html
    assert "1 lieu trouvé" in text_of(client.get(DIRECTORY, {"q": "fontaine", "type": "epn"}))


def test_a_mediator_cannot_hand_the_place_to_another_structure(client, two_epns, staff):
    from .factories import OrganisationFactory

    mine, _other = two_epns
    client.force_login(staff(Role.MEDIATOR, mine))
    url = reverse("places:edit", kwargs={"slug": mine.slug})
    disabled_select = re.compile(r'<select name="organisation"[^>]*\sdisabled[\s>]')
    assert disabled_select.search(client.get(url).content.decode())
    data = {
        "name": mine.name,
        "kind": mine.kind,
        "status": mine.status,
        "commune": str(mine.commune_id),
        "address": mine.address,
        "postal_code": mine.postal_code,
        "organisation": str(OrganisationFactory().pk),
        "hours-raw": mine.opening_hours,
    }
    assert client.post(url, data).status_code == 302  # saved, without the organisation
    mine.refresh_from_db()
    assert mine.organisation is None
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    assert not disabled_select.search(client.get(url).content.decode())


def test_keys_first_paginator_keeps_the_sort_order(client, small_cantal):
    """Pages loaded by key keep the distance order and the same rows as a plain slice."""
    from cybercantal.places import queries
    from cybercantal.places.views import KeysFirstPaginator

    for number in range(25):
        PlaceFactory(
            name=f"Lieu {number:02d}",
            commune=small_cantal["communes"]["riom"],
            postal_code="15400",
            latitude=45.20 + number / 100,
            longitude=2.65,
        )
    ordered = queries.directory(near=(45.50, 2.65))
    expected = [place.pk for place in ordered]
    pages = KeysFirstPaginator(ordered, 10)
    seen = [place.pk for number in pages.page_range for place in pages.page(number)]
    assert seen == expected
    assert [place.name for place in pages.page(1)][:2] == ["Lieu 24", "Lieu 23"]  # nearest 45.50 first
