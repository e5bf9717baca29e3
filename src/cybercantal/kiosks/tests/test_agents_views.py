"""Views of the agents part: the agent screen scoped to the agent's places, take and record,
French validation messages, training pages, per-role access over every URL, query counts,
fuzzed forms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cybercantal.accounts.models import Role
from cybercantal.kiosks.models import HelpRequestStatus, TrainingSession
from cybercantal.mediation.models import Accompaniment
from cybercantal.places.tests.factories import UserFactory

from .factories import KioskFactory
from .factories_agents import help_request, make_agent, trained

pytestmark = pytest.mark.django_db

RECORD = {"admin_themes": ["papers"], "help_reason": "trust", "outcome": "completed", "duration": "10"}


def test_agent_screen_lists_only_the_agents_own_kiosks(client, kiosk, other_kiosk, agent):
    mine = help_request(kiosk, category="identity")
    theirs = help_request(other_kiosk)
    yesterday = help_request(kiosk, minutes_ago=60 * 30)
    client.force_login(agent)
    response = client.get(reverse("kiosks:agent_screen"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("kiosks:help_request_take", args=[mine.pk]) in page
    assert reverse("kiosks:help_request_take", args=[theirs.pk]) not in page
    assert reverse("kiosks:help_request_take", args=[yesterday.pk]) not in page
    assert "Papiers d&#x27;identité" in page or "Papiers d’identité" in page or "Papiers d'identité" in page
    assert "1 demande en attente" in page


def test_list_is_not_polled_only_the_status_region_is(client, kiosk, agent):
    shown = help_request(kiosk)
    client.force_login(agent)
    page = client.get(reverse("kiosks:agent_screen")).content.decode()
    # The list has no htmx attribute: it is never swapped under the agent's focus.
    list_start = page.index('id="demandes"')
    assert "hx-get" not in page[page.index("<div", list_start - 40) : list_start + 40]
    assert page.count("hx-get") == 1
    assert 'role="status"' in page
    assert 'aria-live="polite"' in page
    assert f"apres={shown.pk}" in page
    assert f"ouvertes={shown.pk}" in page
    assert 'hx-trigger="every 20s"' in page


def _news(client, url):
    return client.get(url, headers={"HX-Request": "true"})


def test_status_region_counts_new_requests_and_stays_quiet_when_nothing_changed(client, kiosk, other_kiosk, agent):
    shown = help_request(kiosk)
    client.force_login(agent)
    url = reverse("kiosks:agent_news") + f"?apres={shown.pk}&ouvertes={shown.pk}&vu=0-0"
    assert _news(client, url).status_code == 204  # nothing new: htmx leaves the region alone
    help_request(kiosk, minutes_ago=0)
    help_request(kiosk, minutes_ago=0)
    help_request(other_kiosk, minutes_ago=0)  # not one of the agent's kiosks
    response = _news(client, url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "2 nouvelles demandes depuis l’affichage de la page." in html
    assert "Afficher" in html
    # A new address (not only a #fragment), so that following the link reloads the list.
    assert re.search(rf'href="{reverse("kiosks:agent_screen")}\?maj=[0-9]+#demandes"', html)
    assert "vu=2-0" in html  # the next poll tells what is already announced
    assert (
        _news(client, reverse("kiosks:agent_news") + f"?apres={shown.pk}&ouvertes={shown.pk}&vu=2-0").status_code == 204
    )


def test_status_region_says_when_a_shown_request_was_taken_by_a_colleague(client, kiosk, agent, murat_place):
    shown = help_request(kiosk)
    client.force_login(agent)
    shown.status, shown.taken_by = HelpRequestStatus.TAKEN, make_agent(murat_place, first_name="Zoé")
    shown.save()
    html = _news(client, reverse("kiosks:agent_news") + f"?apres={shown.pk}&ouvertes={shown.pk}&vu=0-0").content
    assert "1 demande affichée n’est plus en attente" in html.decode()


def test_status_region_without_htmx_redirects_and_bad_parameters_do_not_fail(client, kiosk, agent):
    help_request(kiosk)
    client.force_login(agent)
    assert client.get(reverse("kiosks:agent_news")).status_code == 302
    for value in ("", "x", "-1", "\x00", "9" * 40, "1,2,,x", "１２"):
        url = reverse("kiosks:agent_news") + "?" + urlencode({"apres": value, "ouvertes": value, "vu": value})
        assert _news(client, url).status_code in (200, 204), value


def test_agent_of_maurs_never_reaches_murat_requests(client, kiosk, other_kiosk):
    request = help_request(kiosk)
    maurs_agent = make_agent(other_kiosk.place)
    client.force_login(maurs_agent)
    assert reverse("kiosks:help_request_take", args=[request.pk]) not in client.get("/bornes/agent/").content.decode()
    assert client.post(reverse("kiosks:help_request_take", args=[request.pk])).status_code == 404
    assert client.get(reverse("kiosks:help_request_record", args=[request.pk])).status_code == 404
    assert client.post(reverse("kiosks:help_request_record", args=[request.pk]), RECORD).status_code == 404
    response = client.post(reverse("kiosks:assisted_record"), {**RECORD, "kiosk": kiosk.pk})
    assert response.status_code == 200
    assert "Borne inconnue." in response.content.decode()
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.OPEN
    assert Accompaniment.objects.count() == 0


def test_take_then_record_closes_the_request(client, kiosk, agent):
    request = help_request(kiosk)
    client.force_login(agent)
    response = client.post(reverse("kiosks:help_request_take", args=[request.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("kiosks:help_request_record", args=[request.pk])
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert "Manque de confiance" in form.content.decode()
    response = client.post(reverse("kiosks:help_request_record", args=[request.pk]), RECORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("kiosks:agent_screen")
    request.refresh_from_db()
    record = Accompaniment.objects.get()
    assert request.status == HelpRequestStatus.DONE
    assert request.accompaniment_id == record.pk
    assert (record.kind, record.help_reason, record.outcome, record.duration_minutes) == (
        "procedure",
        "trust",
        "completed",
        10,
    )
    assert record.kiosk_id == kiosk.pk
    assert record.equipment_used == ["kiosk"]


def test_second_agent_sees_who_took_it(client, kiosk, agent, murat_place):
    agent.first_name = "Paul"
    agent.save()
    request = help_request(kiosk)
    client.force_login(agent)
    client.post(reverse("kiosks:help_request_take", args=[request.pk]))
    colleague = make_agent(murat_place, first_name="Sylvie")
    client.force_login(colleague)
    response = client.post(reverse("kiosks:help_request_take", args=[request.pk]), follow=True)
    assert "Cette demande est déjà prise par Paul." in response.content.decode()
    assert client.get(reverse("kiosks:help_request_record", args=[request.pk])).status_code == 302
    assert "Prise par Paul." in client.get("/bornes/agent/").content.decode()


def test_record_form_errors_are_french_and_nothing_saved(client, kiosk, agent):
    request = help_request(kiosk)
    client.force_login(agent)
    response = client.post(reverse("kiosks:help_request_record", args=[request.pk]), {"duration": "7"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rien n’est enregistré" in page
    assert "Cochez au moins une catégorie de démarche." in page
    assert "Indiquez pourquoi la personne avait besoin d&#x27;aide." in page
    assert "Indiquez le résultat de la démarche." in page
    assert "Durée inconnue." in page
    assert 'aria-describedby="id_help_reason_error"' in page
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.OPEN
    assert Accompaniment.objects.count() == 0


def test_assisted_record_without_request(client, kiosk, agent):
    client.force_login(agent)
    page = client.get(reverse("kiosks:assisted_record")).content.decode()
    jeton = page.split('name="jeton" value="')[1].split('"')[0]
    data = {**RECORD, "kiosk": kiosk.pk, "jeton": jeton, "oriented_to": "CAF"}
    assert client.post(reverse("kiosks:assisted_record"), data).status_code == 302
    assert client.post(reverse("kiosks:assisted_record"), data).status_code == 302  # double submit
    record = Accompaniment.objects.get()
    assert record.kiosk_id == kiosk.pk
    assert record.oriented_to == "CAF"


def test_training_create_and_edit_pages(client, manager, agent, murat_place):
    client.force_login(manager)
    page = client.get(reverse("kiosks:training_create")).content.decode()
    assert murat_place.name in page  # attendees grouped by host place
    response = client.post(
        reverse("kiosks:training_create"),
        {
            "date": "2026-01-15",
            "trainer": "Marie Delort",
            "topics": "ANTS",
            "duration_minutes": "180",
            "attendees": [agent.pk],
            "place": murat_place.pk,
        },
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert list(session.attendees.all()) == [agent]
    edit = client.get(reverse("kiosks:training_edit", args=[session.pk])).content.decode()
    assert "checked" in edit
    assert "Marie Delort" in edit
    response = client.post(
        reverse("kiosks:training_edit", args=[session.pk]),
        {"date": "2026-01-15", "trainer": "X", "topics": "ANTS", "duration_minutes": "5"},
    )
    assert "La durée doit être comprise entre 15 et 2400 minutes." in response.content.decode()
    session.refresh_from_db()
    assert session.trainer == "Marie Delort"


def test_training_form_refuses_a_non_agent(client, manager, staff):
    mediator = staff(Role.MEDIATOR)
    client.force_login(manager)
    response = client.post(
        reverse("kiosks:training_create"),
        {"date": "2026-01-15", "trainer": "M", "topics": "T", "duration_minutes": "60", "attendees": [mediator.pk]},
    )
    assert response.status_code == 200
    assert "Participant inconnu." in response.content.decode()
    assert TrainingSession.objects.count() == 0


def test_agents_page_shows_due_dates_and_flagged_kiosks(client, manager, kiosk, other_kiosk, agent):
    trained(agent, on=dt.date(2023, 1, 10))
    client.force_login(manager)
    page = client.get(reverse("kiosks:agents")).content.decode()
    assert "En retard" in page
    assert "dû depuis le" in page
    assert "mardi 10 janvier 2023" in page
    assert "Aucun agent formé" in page
    assert "maurs" in page
    assert "murat" in page


# --- Access per role -----------------------------------------------------------------------------


def _urls(request_pk: int, session_pk: int) -> dict[str, tuple[str, str]]:
    return {
        "agent_screen": ("agent", reverse("kiosks:agent_screen")),
        "agent_news": ("agent", reverse("kiosks:agent_news")),
        "record": ("agent", reverse("kiosks:help_request_record", args=[request_pk])),
        "assisted": ("agent", reverse("kiosks:assisted_record")),
        "trainings": ("manager", reverse("kiosks:trainings")),
        "training_create": ("manager", reverse("kiosks:training_create")),
        "training_edit": ("manager", reverse("kiosks:training_edit", args=[session_pk])),
        "agents": ("manager", reverse("kiosks:agents")),
        "statistics": ("manager", reverse("kiosks:statistics")),
        "statistics_csv": ("manager", reverse("kiosks:statistics_csv")),
    }


@pytest.mark.parametrize("role", ["anonymous", "citizen", "agent", "other_agent", "mediator", "manager"])
def test_access_per_role(client, role, kiosk, other_kiosk, agent, staff, manager):
    request = help_request(kiosk)
    session = TrainingSession.objects.create(date=dt.date(2025, 5, 2), trainer="T", topics="T", duration_minutes=60)
    people = {
        "citizen": staff(Role.CITIZEN),
        "agent": agent,
        "other_agent": make_agent(other_kiosk.place),
        "mediator": staff(Role.MEDIATOR, kiosk.place),
        "manager": manager,
    }
    if role != "anonymous":
        client.force_login(people[role])
    for name, (audience, url) in _urls(request.pk, session.pk).items():
        response = client.get(url, headers={"HX-Request": "true"})
        if role == "anonymous":
            assert response.status_code == 302, name
            assert "/compte/" in response["Location"], name
        elif audience == "agent" and role in ("agent", "other_agent"):
            expected = 404 if (name == "record" and role == "other_agent") else 200
            assert response.status_code == expected, (name, response.status_code)
        elif audience == "manager" and role == "manager":
            assert response.status_code == 200, name
        else:
            assert response.status_code == 403, (name, response.status_code)
    # Taking: only the agent of the host place.
    take = reverse("kiosks:help_request_take", args=[request.pk])
    response = client.post(take)
    expected = {"anonymous": 302, "agent": 302, "other_agent": 404}.get(role, 403)
    assert response.status_code == expected
    request.refresh_from_db()
    assert (request.status == HelpRequestStatus.TAKEN) == (role == "agent")


# --- Query counts --------------------------------------------------------------------------------


def test_query_counts_do_not_grow(client, django_assert_max_num_queries, kiosk, agent, manager, murat_place):
    for _index in range(3):
        help_request(kiosk)
    for number in range(8):
        person = make_agent(KioskFactory().place, first_name=f"A{number}")
        trained(person, on=dt.date(2025, 3, 1))
    request = help_request(kiosk)
    request.status, request.taken_by = HelpRequestStatus.TAKEN, make_agent(murat_place, first_name="Zoé")
    request.save()
    client.force_login(agent)
    with django_assert_max_num_queries(10):
        assert client.get("/bornes/agent/").status_code == 200
    news = reverse("kiosks:agent_news") + f"?apres=0&ouvertes={request.pk}&vu=0-0"
    with django_assert_max_num_queries(8):  # session, user, roles, TOTP, content type, kiosks, counts
        assert client.get(news, headers={"HX-Request": "true"}).status_code == 200
    client.force_login(manager)
    for url in ("/bornes/agents/", "/bornes/formations/", "/bornes/formations/nouvelle/", "/bornes/statistiques/"):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200, url


# --- Fuzz ----------------------------------------------------------------------------------------

NASTY = ["", "x" * 10000, "\x00", "-1", "99999999999999999999", "<script>", "null", "2026-13-45", ["a", "b"]]


def test_fuzzed_forms_never_500_and_save_nothing(client, kiosk, agent, manager):
    request = help_request(kiosk)
    forms = {
        reverse("kiosks:help_request_record", args=[request.pk]): (agent, [*list(RECORD), "oriented_to"]),
        reverse("kiosks:assisted_record"): (agent, [*RECORD, "kiosk", "jeton"]),
        reverse("kiosks:training_create"): (
            manager,
            ["date", "trainer", "topics", "duration_minutes", "place", "attendees", "is_refresher"],
        ),
    }
    for url, (user, fields) in forms.items():
        client.force_login(user)
        for value in NASTY:
            response = client.post(url, dict.fromkeys(fields, value))
            assert response.status_code < 500, (url, value)
    for value in NASTY:
        response = client.get("/bornes/statistiques/", {"annee": value, "mois": value, "canton": value})
        assert response.status_code == 200
    assert Accompaniment.objects.count() == 0
    assert TrainingSession.objects.count() == 0
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.OPEN


def test_pages_use_french_dates(client, agent, kiosk):
    client.force_login(agent)
    day = timezone.localdate()
    from django.utils.formats import date_format

    assert date_format(day, "l j F Y") in client.get("/bornes/agent/").content.decode()


def test_inactive_user_is_not_an_agent(client, kiosk):
    user = UserFactory(is_active=False)
    assert user.has_perm("kiosks.use_agent_screen") is False
