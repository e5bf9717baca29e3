"""Views of part "network": the management pages per role (anonymous, a person without the
role, the manager of another telecentre, the manager, the programme team), and what each page
does with good and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role
from cybercantal.core.models import JournalEntry

from ..models import BookingStatus, Closure, Resource, Telecentre, TelecentreStatus
from .factories import OperatorFactory, ResourceFactory, TelecentreFactory, UserFactory, next_weekday
from .factories_network import book_pool, telecentre_place

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def resource_post(**overrides):
    data = {
        "name": "Salle du Puy Griou",
        "kind": "meeting_room",
        "capacity": "8",
        "description": "",
        "equipment": ["visio", "tableau"],
        "access": "members",
        "booking_window_days": "90",
        "min_minutes": "60",
        "max_minutes": "240",
        "step_minutes": "30",
        "buffer_minutes": "15",
        "opening_hours": "",
        "position": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def telecentre_post(telecentre, **overrides):
    data = {
        "status": telecentre.status,
        "opens_on": telecentre.opens_on.isoformat() if telecentre.opens_on else "",
        "closed_on": "",
        "cancellation_notice_hours": "24",
        "no_show_release_minutes": "60",
        "welcome_text": "Code de la porte envoyé par courriel.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def people(staff, telecentre, manager, programme_manager):
    return {
        "teleworker": staff(Role.TELEWORKER),
        "other_manager": staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place),
        "manager": manager,
        "programme": programme_manager,
    }


def manage_urls(telecentre, resource):
    slug = telecentre.slug
    return [
        reverse("telework:manage_telecentre", args=[slug]),
        reverse("telework:resource_create", args=[slug]),
        reverse("telework:resource_edit", args=[slug, resource.pk]),
        reverse("telework:closures", args=[slug]),
    ]


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_everywhere_in_management(client, pool):
    urls = [
        *manage_urls(pool.telecentre, pool),
        reverse("telework:manage_home"),
        reverse("telework:telecentre_create"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/connexion/" in response.url or "login" in response.url, url


@pytest.mark.parametrize(
    ("who", "status"), [("teleworker", 403), ("other_manager", 403), ("manager", 200), ("programme", 200)]
)
def test_telecentre_pages_per_role(client, people, pool, who, status):
    client.force_login(people[who])
    for url in manage_urls(pool.telecentre, pool):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize(
    ("who", "status"), [("teleworker", 403), ("other_manager", 200), ("manager", 200), ("programme", 200)]
)
def test_manage_home_per_role(client, people, who, status):
    client.force_login(people[who])
    assert client.get(reverse("telework:manage_home")).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("teleworker", 403), ("other_manager", 403), ("manager", 403), ("programme", 200)]
)
def test_telecentre_create_per_role(client, people, who, status):
    client.force_login(people[who])
    assert client.get(reverse("telework:telecentre_create")).status_code == status


def test_refused_posts_change_nothing(client, people, pool):
    client.force_login(people["other_manager"])
    slug = pool.telecentre.slug
    responses = [
        client.post(
            reverse("telework:manage_telecentre", args=[slug]), telecentre_post(pool.telecentre, welcome_text="X")
        ),
        client.post(reverse("telework:resource_create", args=[slug]), resource_post()),
        client.post(reverse("telework:resource_edit", args=[slug, pool.pk]), resource_post(name="Piraté")),
        client.post(
            reverse("telework:closures", args=[slug]),
            {"starts_on": TODAY().isoformat(), "ends_on": TODAY().isoformat()},
        ),
    ]
    closure = Closure.objects.create(telecentre=pool.telecentre, starts_on=TODAY(), ends_on=TODAY())
    responses.append(client.post(reverse("telework:closure_delete", args=[slug, closure.pk])))
    assert [r.status_code for r in responses] == [403] * 5
    assert Resource.objects.count() == 1
    assert Closure.objects.count() == 1
    assert not JournalEntry.objects.filter(action__startswith="resource.").exists()


def test_a_resource_of_another_telecentre_is_not_found_under_this_slug(client, manager, pool):
    foreign = ResourceFactory()
    client.force_login(manager)
    response = client.get(reverse("telework:resource_edit", args=[pool.telecentre.slug, foreign.pk]))
    assert response.status_code == 404


def test_unknown_slug_in_management_is_404(client, programme_manager):
    client.force_login(programme_manager)
    assert client.get(reverse("telework:manage_telecentre", args=["nulle-part"])).status_code == 404


# --- manage_home ------------------------------------------------------------------------------


def test_manager_sees_only_the_telecentres_they_manage(client, manager, telecentre):
    other = TelecentreFactory()
    client.force_login(manager)
    response = client.get(reverse("telework:manage_home"))
    content = response.content.decode()
    assert telecentre.name in content
    assert other.name not in content
    assert "Ajouter un télécentre" not in content


def test_manager_scoped_to_the_operator_sees_all_its_telecentres(client, staff, telecentre):
    sibling = TelecentreFactory(operator=telecentre.operator)
    user = staff(Role.TELECENTRE_MANAGER, telecentre.operator)
    client.force_login(user)
    content = client.get(reverse("telework:manage_home")).content.decode()
    assert telecentre.name in content
    assert sibling.name in content


def test_programme_team_sees_every_telecentre_and_can_add_one(client, programme_manager, telecentre):
    TelecentreFactory()
    client.force_login(programme_manager)
    response = client.get(reverse("telework:manage_home"))
    assert len(response.context["rows"]) == 2
    assert "Ajouter un télécentre" in response.content.decode()


def test_manage_home_paginates_in_few_queries(client, programme_manager, django_assert_max_num_queries):
    for _ in range(25):
        TelecentreFactory()
    client.force_login(programme_manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("telework:manage_home"))
    assert len(response.context["rows"]) == 20
    assert client.get(reverse("telework:manage_home") + "?page=2").context["page"].number == 2


# --- telecentre_create ------------------------------------------------------------------------


def test_programme_team_adds_a_telecentre_with_a_new_operator(client, programme_manager):
    place = telecentre_place(name="Télécentre de Salers")
    telecentre_place(name="Espace de test", kind="epn", offers=["epn"])  # not offered: not a telecentre
    client.force_login(programme_manager)
    page = client.get(reverse("telework:telecentre_create"))
    assert "Télécentre de Salers" in page.content.decode()
    assert "Espace de test" not in page.content.decode()
    response = client.post(
        reverse("telework:telecentre_create"),
        {
            "place": place.pk,
            "operator": "",
            "operator_name": "SCIC du Pays de Salers",
            "operator_siret": "732 829 320 00074",
        },
    )
    telecentre = Telecentre.objects.get(place=place)
    assert response.status_code == 302
    assert response.url == reverse("telework:manage_telecentre", args=[place.slug])
    assert telecentre.operator.name == "SCIC du Pays de Salers"


def test_telecentre_create_with_a_bad_siret_says_why_next_to_the_field(client, programme_manager):
    place = telecentre_place()
    client.force_login(programme_manager)
    before = Organisation.objects.count()
    response = client.post(
        reverse("telework:telecentre_create"),
        {"place": place.pk, "operator": "", "operator_name": "SCIC X", "operator_siret": "1234"},
    )
    assert response.status_code == 200
    assert "14 chiffres" in " ".join(response.context["form"].errors["operator_siret"])
    assert Organisation.objects.count() == before
    assert 'aria-describedby="id_operator_siret_helptext id_operator_siret_error"' in response.content.decode()


def test_telecentre_create_with_an_existing_operator(client, programme_manager):
    place = telecentre_place()
    operator = OperatorFactory()
    client.force_login(programme_manager)
    client.post(reverse("telework:telecentre_create"), {"place": place.pk, "operator": operator.pk})
    assert Telecentre.objects.get(place=place).operator == operator


# --- manage_telecentre ------------------------------------------------------------------------


def test_manager_sets_the_rules_and_sees_the_resources(client, manager, pool):
    telecentre = pool.telecentre
    client.force_login(manager)
    page = client.get(reverse("telework:manage_telecentre", args=[telecentre.slug]))
    content = page.content.decode()
    assert pool.name in content
    assert reverse("telework:resource_edit", args=[telecentre.slug, pool.pk]) in content
    response = client.post(
        reverse("telework:manage_telecentre", args=[telecentre.slug]),
        telecentre_post(telecentre, cancellation_notice_hours="48", welcome_text="Wifi « LaGare »"),
    )
    assert response.status_code == 302
    telecentre.refresh_from_db()
    assert telecentre.cancellation_notice_hours == 48
    assert telecentre.welcome_text == "Wifi « LaGare »"


def test_opening_without_a_date_is_refused_in_french(client, manager, telecentre):
    client.force_login(manager)
    response = client.post(
        reverse("telework:manage_telecentre", args=[telecentre.slug]), telecentre_post(telecentre, opens_on="")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["opens_on"] == ["Indiquez la date d'ouverture du télécentre."]


def test_closing_with_bookings_to_come_lists_them_and_asks_to_confirm(client, manager, pool):
    booking = book_pool(pool)
    telecentre = pool.telecentre
    client.force_login(manager)
    data = telecentre_post(telecentre, status="closed", closed_on=TODAY().isoformat())
    response = client.post(reverse("telework:manage_telecentre", args=[telecentre.slug]), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 réservation confirmée est à venir" in content
    assert reverse("telework:booking_detail", args=[booking.pk]) in content
    assert 'name="confirm_closing"' in content
    telecentre.refresh_from_db()
    assert telecentre.status == TelecentreStatus.OPEN
    response = client.post(
        reverse("telework:manage_telecentre", args=[telecentre.slug]), {**data, "confirm_closing": "on"}
    )
    assert response.status_code == 302
    telecentre.refresh_from_db()
    assert telecentre.status == TelecentreStatus.CLOSED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- resources --------------------------------------------------------------------------------


def test_manager_adds_a_room(client, manager, telecentre):
    client.force_login(manager)
    response = client.post(reverse("telework:resource_create", args=[telecentre.slug]), resource_post())
    assert response.status_code == 302
    room = Resource.objects.get(telecentre=telecentre)
    assert room.equipment == ["visio", "tableau"]
    assert room.buffer_minutes == 15


def test_resource_rules_errors_are_next_to_their_fields(client, manager, telecentre):
    client.force_login(manager)
    response = client.post(
        reverse("telework:resource_create", args=[telecentre.slug]),
        resource_post(min_minutes="90", max_minutes="60", opening_hours="tous les jours"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "ne peut pas être plus courte" in errors["max_minutes"][0]
    assert "Horaires illisibles" in errors["opening_hours"][0]
    content = response.content.decode()
    assert 'aria-invalid="true"' in content
    assert "Rien n’est envoyé" in content
    assert not Resource.objects.exists()


def test_step_must_divide_the_minimum(client, manager, office):
    client.force_login(manager)
    response = client.post(
        reverse("telework:resource_edit", args=[office.telecentre.slug, office.pk]),
        resource_post(name=office.name, kind="office", min_minutes="45", step_minutes="30"),
    )
    assert "doit diviser la durée minimale" in response.context["form"].errors["step_minutes"][0]


def test_duplicate_name_is_a_field_error(client, manager, pool):
    client.force_login(manager)
    response = client.post(
        reverse("telework:resource_create", args=[pool.telecentre.slug]), resource_post(name=pool.name.upper())
    )
    assert "déjà une ressource de ce nom" in response.context["form"].errors["name"][0]


def test_deactivating_a_booked_resource_asks_to_confirm_then_keeps_the_bookings(client, manager, pool):
    """What a manager expects: the bookings already made stay valid (never cancelled
    silently); the page says how many, links each one, and a tick confirms."""
    booking = book_pool(pool)
    telecentre = pool.telecentre
    url = reverse("telework:resource_edit", args=[telecentre.slug, pool.pk])
    client.force_login(manager)
    data = resource_post(name=pool.name, kind="seat_pool", capacity="4", min_minutes="30", max_minutes="600")
    data.pop("is_active")
    response = client.post(url, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 réservation confirmée à venir" in content
    assert reverse("telework:booking_detail", args=[booking.pk]) in content
    assert 'name="confirm_deactivation"' in content
    pool.refresh_from_db()
    assert pool.is_active
    response = client.post(url, {**data, "confirm_deactivation": "on"})
    assert response.status_code == 302
    pool.refresh_from_db()
    assert not pool.is_active
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- closures ---------------------------------------------------------------------------------


def test_a_closure_covering_bookings_lists_them(client, manager, pool):
    day = next_weekday(4)
    booking = book_pool(pool, day=day)
    client.force_login(manager)
    url = reverse("telework:closures", args=[pool.telecentre.slug])
    response = client.post(
        url, {"resource": "", "starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Coupure de courant"}
    )
    assert response.status_code == 302
    page = client.get(url)
    content = page.content.decode()
    assert "1 réservation confirmée tombe pendant cette fermeture" in content
    assert reverse("telework:booking_detail", args=[booking.pk]) in content
    assert "Coupure de courant" in content
    messages = [str(m) for m in page.context["messages"]]
    assert any("tombe pendant cette fermeture" in m for m in messages)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_closure_form_errors_and_resource_choice(client, manager, pool, office):
    foreign = ResourceFactory()
    client.force_login(manager)
    url = reverse("telework:closures", args=[pool.telecentre.slug])
    response = client.post(url, {"resource": foreign.pk, "starts_on": "2026-02-30", "ends_on": ""})
    errors = response.context["form"].errors
    assert set(errors) == {"resource", "starts_on", "ends_on"}
    response = client.post(
        url,
        {
            "resource": office.pk,
            "starts_on": (TODAY() + dt.timedelta(days=3)).isoformat(),
            "ends_on": (TODAY() + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert "ne peut pas précéder" in response.context["form"].errors["ends_on"][0]
    assert not Closure.objects.exists()


def test_manager_deletes_a_closure(client, manager, telecentre):
    closure = Closure.objects.create(telecentre=telecentre, starts_on=TODAY(), ends_on=TODAY())
    client.force_login(manager)
    response = client.post(reverse("telework:closure_delete", args=[telecentre.slug, closure.pk]))
    assert response.status_code == 302
    assert not Closure.objects.exists()
    # GET is not allowed on a delete.
    assert client.get(reverse("telework:closure_delete", args=[telecentre.slug, 1])).status_code == 405


def test_a_person_without_role_gets_403_not_500(client, telecentre):
    client.force_login(UserFactory())
    assert client.get(reverse("telework:manage_home")).status_code == 403
