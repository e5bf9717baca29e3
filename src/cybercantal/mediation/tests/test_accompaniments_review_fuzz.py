"""Bad-input review of every form of three parts (accompaniments, mediators and labels,
equipment): each form is POSTed with empty, huge, wrong-type, NUL-byte and markup values in
every one of its fields. The answer is never a 500, no row is written anywhere (nothing
half-saved, no journal entry), and the page says what is wrong in French, next to a field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cybercantal.accounts.tests.factories import OrganisationFactory
from cybercantal.mediation import models as m
from cybercantal.mediation.services import mediators as med_services

from .factories import SessionFactory
from .factories_equipment import make_equipment

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "empty": "",
    "huge": "9" * 70_000,
    "word": "abc",
    "nul": "a\x00b",
    "negative": "-5",
    "markup": "<script>alert(1)</script>",
    "bad_date": "2026-02-30",
    "overflow": "99999999999999999999999",
}
# Fields that are not typed by the person (tokens, the hidden kind, the CSRF token).
SKIP_FIELDS = {"csrfmiddlewaretoken", "jeton", "etape"}
NAME = re.compile(r'name="([a-z_\-]+)"')
FRENCH_ERROR = re.compile(
    r"(Ce champ|Saisissez|Indiquez|Choisissez|Sélectionnez|invalide|trop|au plus|Cochez|doit|inconnu|"
    r"ne peut|Rien n’est enregistré|n'est pas|n’est pas|caractère)",
    re.IGNORECASE,
)


def counts() -> dict[str, int]:
    labels = ["core.journalentry", "accounts.user", "accounts.rolemembership", "accounts.organisation"]
    labels += [model._meta.label_lower for model in apps.get_app_config("mediation").get_models()]
    return {label: apps.get_model(label).objects.count() for label in labels}


@pytest.fixture
def setup(staff, manager, mediator, epn):
    item = make_equipment(place=epn, serial_number="FUZZ-1")
    repair_item = make_equipment(place=epn, serial_number="FUZZ-2")
    aid = med_services.hiring_aid_create(
        actor=manager,
        mediator=mediator,
        employer=OrganisationFactory(),
        amount_per_year=Decimal("10000.00"),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    label = med_services.place_label_add(actor=manager, place=epn, kind=m.LabelKind.EPN, since=dt.date(2003, 1, 1))
    session = SessionFactory(place=epn)
    return {
        "manager": manager,
        "mediator": mediator.user,
        "item": item,
        "repair_item": repair_item,
        "aid": aid,
        "label": label,
        "epn": epn,
        "mediator_profile": mediator,
        "session": session,
    }


def forms_to_try(s) -> list[tuple[str, str, str | None]]:
    """(who, url of the page, url posted to when it differs)."""
    create = reverse("mediation:accompaniment_create")
    aid = s["aid"].pk
    return [
        ("mediator", create + "?type=individuel", None),
        ("mediator", create + "?type=collectif", None),
        ("mediator", create + "?type=demarche", None),
        ("mediator", create + f"?seance={s['session'].pk}", None),
        ("manager", reverse("mediation:mediator_create"), None),
        ("manager", reverse("mediation:mediator_edit", args=[s["mediator_profile"].pk]), None),
        ("manager", reverse("mediation:aid_create", args=[s["mediator_profile"].pk]), None),
        ("manager", reverse("mediation:aid_detail", args=[aid]), reverse("mediation:aid_payment", args=[aid])),
        ("manager", reverse("mediation:aid_detail", args=[aid]), reverse("mediation:aid_end", args=[aid])),
        ("manager", reverse("mediation:label_add", args=[s["epn"].slug]), None),
        ("manager", reverse("mediation:label_end", args=[s["label"].pk]), None),
        ("mediator", reverse("mediation:equipment_create"), None),
        ("mediator", reverse("mediation:equipment_edit", args=[s["item"].pk]), None),
        ("mediator", reverse("mediation:equipment_move", args=[s["item"].pk]), None),
        ("mediator", reverse("mediation:equipment_repair", args=[s["repair_item"].pk]), None),
        ("mediator", reverse("mediation:equipment_retire", args=[s["item"].pk]), None),
    ]


def field_names(html: str, action: str | None) -> list[str]:
    """The names of the fields of the form posted to ``action`` (the page's only form otherwise)."""
    if action:
        match = re.search(rf'<form[^>]*action="{re.escape(action)}"(.*?)</form>', html, re.S)
        assert match, action
        html = match.group(1)
    names = sorted(set(NAME.findall(html)) - SKIP_FIELDS)
    assert names, "no field found"
    return names


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_every_form_refuses_bad_values_without_saving(client, setup, bad):
    value = BAD_VALUES[bad]
    for who, page, action in forms_to_try(setup):
        client.force_login(setup[who])
        response = client.get(page)
        assert response.status_code == 200, page
        names = field_names(response.content.decode(), action)
        before = counts()
        data = dict.fromkeys(names, value)
        response = client.post(action or page, data)
        assert response.status_code < 500, (page, bad)
        assert counts() == before, (page, action, bad)
        if response.status_code == 302:  # a redirect may only follow a save, which did not happen
            pytest.fail(f"{page} {action} accepted {bad!r}")
        html = response.content.decode()
        assert 'class="errorlist' in html or 'role="alert"' in html, (page, action, bad)
        assert FRENCH_ERROR.search(html), (page, action, bad)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02binary\x00",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"numero_serie;type\n\x00;ordinateur\n",
        b"x" * (5 * 1024 * 1024 + 10),
        "\ufeffnumero_serie;type\n".encode(),
    ],
    ids=["empty", "binary", "png", "nul-cell", "too-big", "header-only"],
)
def test_equipment_import_refuses_bad_files(client, setup, content):
    client.force_login(setup["manager"])
    before = counts()
    upload = SimpleUploadedFile("inventaire.csv", content, content_type="text/csv")
    response = client.post(reverse("mediation:equipment_import"), {"fichier": upload})
    assert response.status_code == 400
    assert counts() == before
    assert FRENCH_ERROR.search(response.content.decode()) or "fichier" in response.content.decode()
    assert 'class="errorlist' in response.content.decode() or "Ligne" in response.content.decode()


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_filters_and_lists_take_any_query_string(client, setup, bad):
    value = BAD_VALUES[bad]
    for who, name, params in [
        ("mediator", "mediation:accompaniment_list", ("lieu", "mois", "type", "auteur", "page")),
        ("mediator", "mediation:accompaniment_export", ("lieu", "mois", "type", "auteur")),
        ("mediator", "mediation:beneficiary_list", ("q", "page")),
        ("mediator", "mediation:equipment_list", ("q", "lieu", "type", "etat", "lieux", "page")),
        ("manager", "mediation:equipment_forecast", ("annees", "colleges")),
        ("manager", "mediation:equipment_forecast_csv", ("annees", "colleges")),
        ("manager", "mediation:mediator_list", ("q", "page")),
        ("manager", "mediation:label_list", ("q", "page")),
    ]:
        client.force_login(setup[who])
        url = reverse(name)
        response = client.get(url, dict.fromkeys(params, value))
        assert response.status_code < 500, (name, bad)
        if response.streaming:
            b"".join(response.streaming_content)
    client.force_login(setup["mediator"])
    response = client.get(reverse("mediation:accompaniment_create"), {"seance": value, "type": value})
    assert response.status_code in (200, 404), bad
    response = client.get(reverse("mediation:accompaniment_create"), {"enregistre": value})
    assert response.status_code == 200, bad
    for digits in ("²", "١٢"):  # Unicode digits pass str.isdigit() but are no primary key
        assert client.get(reverse("mediation:accompaniment_create"), {"enregistre": digits}).status_code == 200
        assert client.get(reverse("mediation:accompaniment_create"), {"seance": digits}).status_code == 404


def test_long_free_texts_are_refused_next_to_their_field(client, setup):
    """Free texts without a database limit (equipment remarks, aid conditions) are bounded by the
    form: a valid form with 70,000 characters there is refused, with the message next to it."""
    client.force_login(setup["manager"])
    huge = "x" * 70_000
    before = counts()
    response = client.post(
        reverse("mediation:equipment_create"),
        {
            "kind": "desktop",
            "serial_number": "LONG-NOTES-1",
            "bought_on": "2024-01-15",
            "place": str(setup["epn"].pk),
            "notes": huge,
        },
    )
    assert response.status_code == 400
    assert "au plus 2000 caractères" in response.content.decode()
    response = client.post(
        reverse("mediation:aid_create", args=[setup["mediator_profile"].pk]),
        {
            "employer": str(setup["aid"].employer.pk),
            "amount_per_year": "12000",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "conditions": huge,
        },
    )
    assert response.status_code == 400
    assert "au plus 2000 caractères" in response.content.decode()
    assert counts() == before
    # The same forms with a sensible text are saved (the limit is the only reason above).
    response = client.post(
        reverse("mediation:equipment_create"),
        {
            "kind": "desktop",
            "serial_number": "LONG-NOTES-1",
            "bought_on": "2024-01-15",
            "place": str(setup["epn"].pk),
            "notes": "x" * 2000,
        },
    )
    assert response.status_code == 302
