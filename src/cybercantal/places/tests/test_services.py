"""Writes on places: derived data, validation, journal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cybercantal.core.models import JournalEntry
from cybercantal.places import services
from cybercantal.places.models import Place, PlaceOpeningSlot

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db


def test_create_sets_search_text_canton_slots_and_journal(small_cantal):
    riom = small_cantal["communes"]["riom"]
    place = services.place_create(
        actor=None,
        name="Médiathèque du Haut-Pays",
        kind="mediatheque",
        commune=riom,
        address="5, avenue de la Gare",
        postal_code="15400",
        opening_hours="Tu-Sa 10:00-12:00; PH off",
    )
    assert place.slug == "mediatheque-du-haut-pays-riom-es-montagnes"
    assert place.search_text.startswith(" mediatheque du haut pays ")
    assert " riom es montagnes " in place.search_text
    assert " 15400 " in place.search_text
    assert place.canton == small_cantal["cantons"]["riom"]
    assert PlaceOpeningSlot.objects.filter(place=place).count() == 5
    entry = JournalEntry.objects.get(action="place.created")
    assert entry.target_id == str(place.pk)


def test_bad_data_is_refused_in_french_and_nothing_is_saved(small_cantal):
    with pytest.raises(ValidationError) as error:
        services.place_create(
            actor=None,
            name="Lieu",
            kind="epn",
            commune=small_cantal["communes"]["riom"],
            address="1 rue",
            postal_code="154",
            opening_hours="tous les jours",
            pivot="123",
        )
    messages = error.value.message_dict
    assert messages["postal_code"] == ["Le code postal compte 5 chiffres."]
    assert messages["opening_hours"][0].startswith("Horaires illisibles")
    assert "SIRET" in messages["pivot"][0]
    assert not Place.objects.exists()
    assert not JournalEntry.objects.filter(action="place.created").exists()


def test_same_name_in_same_commune_is_a_duplicate(epn_riom):
    with pytest.raises(services.DuplicatePlaceError) as error:
        services.place_create(
            actor=None,
            name="epn  la fontaine",
            kind="epn",
            commune=epn_riom.commune,
            address="x",
            postal_code="15400",
        )
    assert error.value.existing == epn_riom


def test_update_recomputes_and_journals_only_real_changes(epn_riom, small_cantal):
    murat = small_cantal["communes"]["murat"]
    place = services.place_update(
        actor=None, place=epn_riom, commune=murat, postal_code="15300", latitude=None, longitude=None
    )
    assert place.canton == small_cantal["cantons"]["murat"]
    assert " murat " in place.search_text
    assert JournalEntry.objects.filter(action="place.updated").count() == 1
    services.place_update(actor=None, place=place, commune=murat, postal_code="15300")
    assert JournalEntry.objects.filter(action="place.updated").count() == 1


def test_update_refuses_a_single_coordinate(epn_riom):
    with pytest.raises(ValidationError):
        services.place_update(actor=None, place=epn_riom, latitude=None)
    epn_riom.refresh_from_db()
    assert epn_riom.latitude == pytest.approx(45.2830)


def test_set_hours_replaces_slots(epn_riom):
    assert PlaceOpeningSlot.objects.filter(place=epn_riom).count() == 10
    services.place_set_hours(actor=None, place=epn_riom, opening_hours="Su 10:00-12:00")
    slots = list(PlaceOpeningSlot.objects.filter(place=epn_riom).values_list("weekday", "opens", "closes"))
    assert slots == [(6, 600, 720)]
    with pytest.raises(ValidationError):
        services.place_set_hours(actor=None, place=epn_riom, opening_hours="dimanche matin")
    assert JournalEntry.objects.filter(action="place.hours_set").count() == 1


def test_factory_goes_through_the_service(small_cantal):
    place = PlaceFactory(name="Test", commune=small_cantal["communes"]["murat"], postal_code="15300")
    assert " murat " in place.search_text
    assert place.canton == small_cantal["cantons"]["murat"]
    assert place.opening_slots.count() == 10


def test_canton_of_a_split_commune_comes_from_the_point(small_cantal):
    flour = small_cantal["communes"]["flour"]
    north = PlaceFactory(name="Nord", commune=flour, postal_code="15100", latitude=45.0340, longitude=3.0930)
    assert north.canton.slug == "saint-flour-1"
    # Without a point, the commune's centroid decides (it lies in Saint-Flour-2).
    no_point = PlaceFactory(name="Sans point", commune=flour, postal_code="15100")
    assert no_point.canton.slug == "saint-flour-2"


def test_nul_characters_are_refused_in_french(small_cantal, epn_riom):
    """PostgreSQL refuses NUL characters: the service says so instead of failing in the INSERT."""
    with pytest.raises(ValidationError) as error:
        services.place_create(
            actor=None,
            name="Espace\x00 caché",
            kind="epn",
            commune=small_cantal["communes"]["murat"],
            address="1 rue Neuve",
            postal_code="15300",
        )
    assert error.value.message_dict == {"name": ["Ce texte contient un caractère nul (invisible) : retirez-le."]}
    with pytest.raises(ValidationError) as error:
        services.place_update(actor=None, place=epn_riom, accessibility_details="Rampe\x00")
    assert list(error.value.message_dict) == ["accessibility_details"]
    assert not Place.objects.filter(name__startswith="Espace").exclude(pk=epn_riom.pk).exists()


def test_only_programme_managers_hand_a_place_to_another_structure(epn_riom, staff):
    from cybercantal.accounts.models import Role

    from .factories import OrganisationFactory

    mediator = staff(Role.MEDIATOR, epn_riom)
    elsewhere = OrganisationFactory()
    with pytest.raises(ValidationError) as error:
        services.place_update(actor=mediator, place=epn_riom, organisation=elsewhere)
    assert "organisation" in error.value.message_dict
    epn_riom.refresh_from_db()
    assert epn_riom.organisation is None
    services.place_update(actor=mediator, place=epn_riom, presentation_summary="Ateliers le mardi.")  # the rest, yes
    manager = staff(Role.PROGRAMME_MANAGER)
    assert services.place_update(actor=manager, place=epn_riom, organisation=elsewhere).organisation == elsewhere


def test_nightly_refresh_follows_seasons_and_writes_only_what_changed(small_cantal):
    from datetime import date

    summer_off = PlaceFactory(
        name="Fermé l'été", commune=small_cantal["communes"]["murat"], opening_hours="Mo-Fr 09:00-12:00; Jul-Aug off"
    )
    always = PlaceFactory(name="Toujours", commune=small_cantal["communes"]["murat"], opening_hours="Mo 10:00-12:00")
    services.refresh_opening_slots(on=date(2026, 3, 2))  # a week in March, whatever today is
    assert summer_off.opening_slots.count() == 5
    # The night before Monday 29 June 2026: Monday and Tuesday in June, from Wednesday the summer.
    assert services.refresh_opening_slots(on=date(2026, 6, 29)) == 1  # "always" is left as it is
    assert sorted(summer_off.opening_slots.values_list("weekday", flat=True)) == [0, 1]
    assert services.refresh_opening_slots(on=date(2026, 6, 29)) == 0  # nothing changed, nothing written
    # The night before Monday 6 July: the whole coming week is summer.
    assert services.refresh_opening_slots(on=date(2026, 7, 6)) == 1
    assert not summer_off.opening_slots.exists()
    assert list(always.opening_slots.values_list("weekday", "opens", "closes")) == [(0, 600, 720)]


def test_refresh_command(small_cantal):
    from io import StringIO

    from django.core.management import call_command

    PlaceFactory(name="Lieu", commune=small_cantal["communes"]["murat"])
    out = StringIO()
    call_command("refresh_opening_slots", stdout=out)
    assert "Créneaux recalculés : 0 lieu(x) modifié(s)." in out.getvalue()
