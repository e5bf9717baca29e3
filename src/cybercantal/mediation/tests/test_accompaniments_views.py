"""Pages of the accompaniments and followed beneficiaries, per role."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role, User
from cybercantal.mediation import models as m
from cybercantal.mediation.services import accompaniments as services
from cybercantal.places.models import Place

from .factories import SessionFactory
from .factories_accompaniments import collective_kwargs, days_ago, make_beneficiary, record_kwargs

pytestmark = pytest.mark.django_db

CREATE = reverse("mediation:accompaniment_create")
LIST = reverse("mediation:accompaniment_list")
EXPORT = reverse("mediation:accompaniment_export")
PEOPLE = reverse("mediation:beneficiary_list")


@pytest.fixture
def people(staff, mediator, epn, other_epn, manager):
    """One person per role of the matrix."""
    return {
        "citizen": staff(Role.CITIZEN),
        "mediator": mediator.user,
        "other_mediator": staff(Role.MEDIATOR, other_epn),
        "kiosk_agent": staff(Role.KIOSK_AGENT, epn),
        "manager": manager,
    }


def post_data(place, /, **overrides):
    data = {
        "jeton": "jeton-1",
        "kind": "individual",
        "place": str(place.pk),
        "date": timezone.localdate().isoformat(),
        "duration": "30",
        "place_type": "on_site",
        "themes": ["email", "browsing"],
        "equipment_used": ["computer"],
        "autonomy": "partly",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def status_of(client, user, url, method="get", data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


# --- who may see what -----------------------------------------------------------------------------


def test_create_page_per_role(client, people):
    assert status_of(client, None, CREATE) == 302
    assert status_of(client, people["citizen"], CREATE) == 403
    assert status_of(client, people["manager"], CREATE) == 403
    assert status_of(client, people["mediator"], CREATE) == 200
    assert status_of(client, people["other_mediator"], CREATE) == 200  # for their own place
    assert status_of(client, people["kiosk_agent"], CREATE) == 200


def test_list_and_export_per_role(client, people):
    for url in (LIST, EXPORT):
        assert status_of(client, None, url) == 302
        assert status_of(client, people["citizen"], url) == 403
        for role in ("mediator", "other_mediator", "kiosk_agent", "manager"):
            assert status_of(client, people[role], url) == 200, (url, role)


def test_edit_and_delete_per_role(client, people, epn):
    record = services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn))
    edit = reverse("mediation:accompaniment_edit", args=[record.pk])
    delete = reverse("mediation:accompaniment_delete", args=[record.pk])
    for url in (edit, delete):
        assert status_of(client, None, url) == 302
        assert status_of(client, people["citizen"], url) == 403
        assert status_of(client, people["other_mediator"], url) == 403
        assert status_of(client, people["kiosk_agent"], url) == 403
        assert status_of(client, people["mediator"], url) == 200
        assert status_of(client, people["manager"], url) == 200
    assert status_of(client, people["other_mediator"], delete, "post") == 403
    assert m.Accompaniment.objects.filter(pk=record.pk).exists()
    assert status_of(client, people["mediator"], delete, "post") == 302
    assert not m.Accompaniment.objects.filter(pk=record.pk).exists()


def test_author_loses_edit_after_30_days(client, people, epn):
    record = services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn))
    m.Accompaniment.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    edit = reverse("mediation:accompaniment_edit", args=[record.pk])
    assert status_of(client, people["mediator"], edit) == 403
    assert status_of(client, people["manager"], edit) == 200


def test_beneficiary_pages_per_role(client, people, epn):
    person = make_beneficiary(actor=people["mediator"], place=epn)
    detail = reverse("mediation:beneficiary_detail", args=[person.pk])
    export = reverse("mediation:beneficiary_export", args=[person.pk])
    erase = reverse("mediation:beneficiary_erase", args=[person.pk])
    assert status_of(client, None, PEOPLE) == 302
    assert status_of(client, people["citizen"], PEOPLE) == 403
    assert status_of(client, people["kiosk_agent"], PEOPLE) == 403
    for url in (detail, erase):
        assert status_of(client, None, url) == 302
        for role in ("citizen", "other_mediator", "kiosk_agent"):
            assert status_of(client, people[role], url) == 403, (url, role)
        assert status_of(client, people["mediator"], url) == 200
        assert status_of(client, people["manager"], url) == 200
    assert status_of(client, people["other_mediator"], export, "post") == 403
    assert status_of(client, people["mediator"], export, "get") == 405
    assert status_of(client, people["other_mediator"], erase, "post") == 403
    assert m.Beneficiary.objects.filter(pk=person.pk).exists()


def test_other_mediator_does_not_see_the_person_in_lists(client, people, epn):
    make_beneficiary(actor=people["mediator"], place=epn)
    client.force_login(people["other_mediator"])
    assert "Vermenouze" not in client.get(PEOPLE).content.decode()
    client.force_login(people["mediator"])
    assert "Vermenouze" in client.get(PEOPLE).content.decode()
    client.force_login(people["manager"])
    assert "Vermenouze" in client.get(PEOPLE).content.decode()


# --- the quick form -----------------------------------------------------------------------------------


def test_form_defaults_for_a_mediator_with_one_place(client, mediator, epn):
    client.force_login(mediator.user)
    response = client.get(CREATE)
    form = response.context["form"]
    assert form.initial["place"] == epn
    assert form.initial["date"] == timezone.localdate()
    assert form.initial["duration"] == "30"
    assert form.initial["place_type"] == "on_site"
    assert form.initial["jeton"]
    html = response.content.decode()
    assert 'value="30" id="id_duration_1" checked' in html or ('id="id_duration_1"' in html and "checked" in html)
    assert "Suivre cette personne (avec son accord)" in html
    assert "quick-form.js" in html
    assert "<script>" not in html


def test_post_records_and_offers_the_form_again(client, mediator, epn):
    client.force_login(mediator.user)
    response = client.post(CREATE, post_data(epn), follow=True)
    assert response.status_code == 200
    record = m.Accompaniment.objects.get()
    assert record.themes == ["browsing", "email"] or set(record.themes) == {"email", "browsing"}
    assert record.beneficiary is None
    html = response.content.decode()
    assert "Enregistré. Nouvel accompagnement ?" in html
    assert response.context["form"].initial["jeton"] != "jeton-1"


def test_same_post_twice_creates_one_record(client, mediator, epn):
    client.force_login(mediator.user)
    first = client.post(CREATE, post_data(epn))
    second = client.post(CREATE, post_data(epn))
    assert first.status_code == second.status_code == 302
    assert m.Accompaniment.objects.count() == 1
    client.post(CREATE, post_data(epn, jeton="jeton-2"))
    assert m.Accompaniment.objects.count() == 2


def test_custom_duration(client, mediator, epn):
    client.force_login(mediator.user)
    client.post(CREATE, post_data(epn, duration="autre", duration_other="75"))
    assert m.Accompaniment.objects.get().duration_minutes == 75


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "31/02/2026", "date valide"),
        ("date", "", "Saisissez une date"),
        ("date", "2099-01-01", "futur"),
        ("place", "999999", "Sélectionnez un choix valide"),
        ("place", "", "Choisissez la structure"),
        ("duration", "17", "Sélectionnez un choix valide"),
        ("duration", "", "Choisissez une durée"),
        ("duration_other", "abc", "nombre de minutes"),
        ("place_type", "lune", "Sélectionnez un choix valide"),
        ("themes", None, "au moins une thématique"),
        ("themes", "cuisine", "Sélectionnez un choix valide"),
        ("admin_themes", "cuisine", "Sélectionnez un choix valide"),
        ("equipment_used", "fax", "Sélectionnez un choix valide"),
        ("autonomy", "total", "Sélectionnez un choix valide"),
        ("help_reason", "bof", "Sélectionnez un choix valide"),
        ("oriented_to", "x" * 201, "200 caractères"),
        ("notes", "x" * 501, "500 caractères"),
        ("beneficiary", "999999", "Sélectionnez un choix valide"),
        ("email", "pas-une-adresse", "électronique invalide"),
        ("birth_year", "mille", "Saisissez une année"),
    ],
)
def test_bad_input_is_said_next_to_the_field(client, mediator, epn, field, value, message):
    client.force_login(mediator.user)
    data = post_data(epn, **{field: value})
    if field == "duration_other":
        data["duration"] = "autre"
    response = client.post(CREATE, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, [])), form.errors
    assert f'id="id_{field}_error"' in response.content.decode() or field in ("themes", "admin_themes")
    assert not m.Accompaniment.objects.exists()
    assert not m.Beneficiary.objects.exists()


def test_follow_needs_the_consent_box(client, mediator, epn):
    client.force_login(mediator.user)
    data = post_data(epn, follow="on", first_name="Jean", last_name="Roux")
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert "accord" in " ".join(response.context["form"].errors["consent"])
    assert not m.Beneficiary.objects.exists()
    assert not m.Accompaniment.objects.exists()
    response = client.post(CREATE, {**data, "consent": "on"})
    assert response.status_code == 302
    record = m.Accompaniment.objects.get()
    assert record.beneficiary.first_name == "Jean"
    assert record.beneficiary.consent_by == mediator.user


def test_choose_an_already_followed_person(client, mediator, epn):
    person = make_beneficiary(actor=mediator.user, place=epn)
    client.force_login(mediator.user)
    response = client.post(CREATE, post_data(epn, follow="on", beneficiary=str(person.pk)))
    assert response.status_code == 302
    assert m.Accompaniment.objects.get().beneficiary == person
    assert m.Beneficiary.objects.count() == 1


def test_kiosk_agent_gets_the_procedure_form_without_follow(client, staff, epn):
    agent = staff(Role.KIOSK_AGENT, epn)
    client.force_login(agent)
    response = client.get(CREATE)
    html = response.content.decode()
    assert response.context["kind"] == "procedure"
    assert "Suivre cette personne" not in html
    assert "Résultat de la démarche" in html
    response = client.post(
        CREATE,
        post_data(epn, kind="procedure", themes=None, admin_themes=["money"], help_reason="trust", outcome="started"),
    )
    assert response.status_code == 302
    record = m.Accompaniment.objects.get()
    assert (record.kind, record.help_reason, record.outcome) == ("procedure", "trust", "started")


def test_collective_variant_from_a_session(client, mediator, epn):
    session = SessionFactory(place=epn, starts_at=timezone.now() - dt.timedelta(days=1, hours=3))
    session.ends_at = session.starts_at + dt.timedelta(minutes=120)
    session.save()
    for index in range(3):
        m.Registration.objects.create(
            session=session, first_name=f"P{index}", last_name="T", status="confirmed", attended=index < 2
        )
    client.force_login(mediator.user)
    url = f"{CREATE}?seance={session.pk}"
    response = client.get(url)
    form = response.context["form"]
    assert form.initial["participants"] == 2
    assert form.initial["duration"] == "120"
    assert form.initial["themes"] == list(session.workshop.themes)
    data = post_data(
        epn,
        kind="collective",
        duration="120",
        date=timezone.localtime(session.starts_at).date().isoformat(),
        participants="2",
        gender_female="1",
        gender_male="0",
        age_unknown="2",
        status_unknown="2",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Répartition par genre" in response.content.decode()
    assert not m.Accompaniment.objects.exists()
    data["gender_male"] = "1"
    assert client.post(url, data).status_code == 302
    record = m.Accompaniment.objects.get()
    assert (record.kind, record.session, record.participants) == ("collective", session, 2)


def test_session_of_another_place_is_refused(client, mediator, other_epn):
    session = SessionFactory(place=other_epn)
    client.force_login(mediator.user)
    assert client.get(f"{CREATE}?seance={session.pk}").status_code == 403
    assert client.get(f"{CREATE}?seance=abc").status_code == 404


# --- list, export ----------------------------------------------------------------------------------


def test_list_shows_mine_and_filters(client, people, epn, staff):
    colleague = staff(Role.MEDIATOR, epn)
    services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn, notes="mine"))
    services.accompaniment_create(actor=colleague, **record_kwargs(epn, date=days_ago(40)))
    client.force_login(people["mediator"])
    response = client.get(LIST)
    assert response.context["page"].paginator.count == 1
    response = client.get(LIST, {"auteur": "tous"})
    assert response.context["page"].paginator.count == 2
    month = timezone.localdate().strftime("%Y-%m")
    assert client.get(LIST, {"auteur": "tous", "mois": month}).context["page"].paginator.count in (1, 2)
    assert client.get(LIST, {"auteur": "tous", "type": "collective"}).context["page"].paginator.count == 0
    bad = client.get(LIST, {"mois": "mars"})
    assert "AAAA-MM" in " ".join(bad.context["form"].errors["mois"])
    client.force_login(people["manager"])
    assert client.get(LIST).context["page"].paginator.count == 2
    client.force_login(people["other_mediator"])
    assert client.get(LIST, {"auteur": "tous"}).context["page"].paginator.count == 0


def test_list_query_count_does_not_grow(client, people, epn, django_assert_max_num_queries):
    for _ in range(30):
        services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn))
    client.force_login(people["mediator"])
    client.get(LIST)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 25
    client.force_login(people["manager"])
    with django_assert_max_num_queries(12):
        client.get(LIST)


def test_beneficiary_list_query_count_and_search(client, mediator, epn, django_assert_max_num_queries):
    for index in range(30):
        person = make_beneficiary(actor=mediator.user, place=epn, last_name=f"Nom{index}")
        services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=person))
    make_beneficiary(actor=mediator.user, place=epn, first_name="Éloïse", last_name="Dupré")
    client.force_login(mediator.user)
    client.get(PEOPLE)
    with django_assert_max_num_queries(12):
        response = client.get(PEOPLE)
    assert response.context["page"].paginator.count == 31
    response = client.get(PEOPLE, {"q": "eloise dupre"})
    assert [p.last_name for p in response.context["page"].object_list] == ["Dupré"]


def _csv(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_csv_export_columns_and_escaping(client, people, epn):
    services.accompaniment_create(
        actor=people["mediator"], **record_kwargs(epn, notes='=HYPERLINK("http://x")', oriented_to="+33 CAF")
    )
    services.accompaniment_create(actor=people["mediator"], **collective_kwargs(epn, total=4))
    client.force_login(people["mediator"])
    response = client.get(EXPORT)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    header = rows[0]
    assert header[:4] == ["Identifiant", "Date", "Type", "Structure"]
    assert "Thématiques numériques" in header
    assert "Femmes" in header
    assert len(rows) == 3
    by_type = {row[2]: dict(zip(header, row, strict=False)) for row in rows[1:]}
    individual = by_type["Accompagnement individuel"]
    assert individual["Remarque"].startswith("'=HYPERLINK")
    assert individual["Orientation"] == "'+33 CAF"
    assert individual["Thématiques numériques"] == "Courriel"
    assert by_type["Atelier collectif"]["Participants"] == "4"
    assert "Vermenouze" not in b"".join(client.get(EXPORT).streaming_content).decode()


def test_csv_export_quotes_place_and_person_names_that_look_like_formulas(client, people, epn):
    services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn))
    Place.objects.filter(pk=epn.pk).update(name='=HYPERLINK("http://x")')
    User.objects.filter(pk=people["mediator"].pk).update(first_name="@SUM(A1)", last_name="")
    client.force_login(people["mediator"])
    header, row = _csv(client.get(EXPORT))
    line = dict(zip(header, row, strict=True))
    assert line["Structure"] == '\'=HYPERLINK("http://x")'
    assert line["Rédigé par"] == "'@SUM(A1)"
    assert line["Durée (minutes)"] == "30"


def test_csv_export_only_what_the_person_may_see(client, people, epn, other_epn):
    services.accompaniment_create(actor=people["mediator"], **record_kwargs(epn))
    services.accompaniment_create(actor=people["other_mediator"], **record_kwargs(other_epn))
    client.force_login(people["mediator"])
    assert len(_csv(client.get(EXPORT, {"auteur": "tous"}))) == 2
    client.force_login(people["manager"])
    assert len(_csv(client.get(EXPORT))) == 3
    client.force_login(people["kiosk_agent"])
    assert len(_csv(client.get(EXPORT))) == 1


# --- a followed person's path ------------------------------------------------------------------------


def test_path_export_and_erase(client, mediator, epn):
    person = make_beneficiary(actor=mediator.user, place=epn)
    services.accompaniment_create(
        actor=mediator.user, **record_kwargs(epn, beneficiary=person, date=days_ago(20), autonomy="done_for")
    )
    services.accompaniment_create(
        actor=mediator.user,
        **record_kwargs(epn, beneficiary=person, themes=["security"], autonomy="autonomous"),
    )
    client.force_login(mediator.user)
    html = client.get(reverse("mediation:beneficiary_detail", args=[person.pk])).content.decode()
    assert "Première venue" in html
    assert "Venue n° 2" in html
    assert "Entièrement accompagné" in html
    assert "Autonome" in html
    assert "Sécurité numérique" in html
    response = client.post(reverse("mediation:beneficiary_export", args=[person.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert len(data["accompagnements"]) == 2
    response = client.post(reverse("mediation:beneficiary_erase", args=[person.pk]), follow=True)
    assert "2 accompagnement(s) restent, anonymes" in response.content.decode()
    assert not m.Beneficiary.objects.exists()
    assert m.Accompaniment.objects.filter(beneficiary__isnull=True).count() == 2
