"""Labels of places: history, EPN-only labels, the LMN fields and export, the directory page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats, timezone

from cybercantal.accounts.models import Role
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.mediation import tasks
from cybercantal.mediation.models import LabelKind, PlaceLabel
from cybercantal.mediation.services import mediators as services
from cybercantal.places import lmn
from cybercantal.places.models import Place, PlaceKind, PlaceOffer
from cybercantal.places.schema import DispositifProgrammeNational
from cybercantal.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def _add(manager, place, kind, since, **kwargs):
    return services.place_label_add(actor=manager, place=place, kind=kind, since=since, **kwargs)


def _fresh(place: Place) -> Place:
    return Place.objects.get(pk=place.pk)


def test_epn_and_netpublic_labels_are_for_epn_only(manager, epn):
    mairie = PlaceFactory(name="Mairie de Saignes", kind=PlaceKind.MAIRIE, offers=[PlaceOffer.KIOSK])
    with pytest.raises(ValidationError) as exc:
        _add(manager, mairie, LabelKind.EPN, dt.date(2003, 5, 1))
    assert exc.value.message_dict["kind"] == [
        "Le « Label EPN » est réservé aux espaces publics numériques : « Mairie de Saignes » n'en est pas un."
    ]
    with pytest.raises(ValidationError):
        _add(manager, mairie, LabelKind.NETPUBLIC, dt.date(2005, 5, 1))
    # Other labels are fine anywhere; a médiathèque offering an EPN may have the EPN label.
    _add(manager, mairie, LabelKind.FRANCE_SERVICES, dt.date(2020, 1, 1))
    library = PlaceFactory(name="Médiathèque", kind=PlaceKind.MEDIATHEQUE, offers=[PlaceOffer.EPN])
    _add(manager, library, LabelKind.EPN, dt.date(2010, 1, 1))
    _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    assert PlaceLabel.objects.count() == 3


def test_label_rules_and_history(manager, epn, staff, mediator):
    first = _add(
        manager, epn, LabelKind.NETPUBLIC, dt.date(2005, 3, 1), until=dt.date(2010, 12, 31), reference="NP-15-02"
    )
    with pytest.raises(ValidationError) as exc:
        _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2010, 6, 1))
    assert "déjà ce label" in exc.value.message_dict["since"][0]
    second = _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2011, 1, 1))
    assert list(PlaceLabel.objects.filter(place=epn)) == [first, second]  # the history is the rows
    with pytest.raises(ValidationError) as exc:
        _add(manager, epn, LabelKind.OTHER, dt.date(2020, 1, 1))
    assert exc.value.message_dict["name"] == ["Indiquez le nom de ce label."]
    with pytest.raises(ValidationError) as exc:
        _add(manager, epn, LabelKind.PIX, dt.date(2020, 1, 1), until=dt.date(2019, 1, 1))
    assert exc.value.message_dict["until"] == ["La fin doit être postérieure ou égale au début."]
    with pytest.raises(ValidationError) as exc:
        _add(manager, epn, "licorne", dt.date(2020, 1, 1))
    assert exc.value.message_dict["kind"] == ["Ce label n'existe pas."]
    with pytest.raises(NotAllowed):
        _add(mediator.user, epn, LabelKind.PIX, dt.date(2020, 1, 1))
    with pytest.raises(NotAllowed):
        _add(staff(Role.CITIZEN), epn, LabelKind.PIX, dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.place_label_end(actor=manager, label=second, on=dt.date(2010, 1, 1))
    assert exc.value.message_dict["on"] == ["La fin ne peut pas précéder le début du label (01/01/2011)."]
    with pytest.raises(ValidationError) as exc:
        services.place_label_end(actor=manager, label=first, on=dt.date(2012, 1, 1))
    assert exc.value.message_dict["on"] == ["Ce label a déjà pris fin le 31/12/2010."]
    assert {e.action for e in JournalEntry.objects.filter(target_type="places.place")} >= {"place_label.added"}


def test_current_labels_fill_the_lmn_fields(manager, epn):
    today = timezone.localdate()
    _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2005, 3, 1))
    _add(manager, epn, LabelKind.FRANCE_SERVICES, dt.date(2021, 1, 1))
    _add(manager, epn, LabelKind.CAF, dt.date(2019, 1, 1))
    _add(manager, epn, LabelKind.PIX, dt.date(2015, 1, 1), until=dt.date(2018, 12, 31))  # ended: not exported
    _add(manager, epn, LabelKind.AIDANTS_CONNECT, today + dt.timedelta(days=10))  # not yet
    _add(manager, epn, LabelKind.OTHER, dt.date(2022, 1, 1), name="Label Numérique Inclusif")
    place = _fresh(epn)
    assert place.dispositif_programmes_nationaux == ["France Services", "Point d'accès numérique CAF"]
    assert place.autres_formations_labels == "Label EPN|Charte NetPublic|Label Numérique Inclusif"
    assert place.date_maj == today


def test_ending_and_removing_labels_update_the_lmn_fields_and_keep_hand_made_values(manager, epn):
    Place.objects.filter(pk=epn.pk).update(
        dispositif_programmes_nationaux=[DispositifProgrammeNational.EMMAUS_CONNECT],
        autres_formations_labels="Label maison",
    )
    today = timezone.localdate()
    conseillers = _add(manager, epn, LabelKind.CONSEILLERS_NUMERIQUES, dt.date(2021, 6, 1))
    epn_label = _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    place = _fresh(epn)
    assert place.dispositif_programmes_nationaux == ["Conseillers numériques", "Emmaüs Connect"]
    assert place.autres_formations_labels == "Label maison|Label EPN"

    services.place_label_end(actor=manager, label=conseillers, on=today - dt.timedelta(days=1))
    services.place_label_remove(actor=manager, label=epn_label)
    place = _fresh(epn)
    assert place.dispositif_programmes_nationaux == ["Emmaüs Connect"]
    assert place.autres_formations_labels == "Label maison"
    assert PlaceLabel.objects.filter(place=epn).count() == 1
    assert JournalEntry.objects.filter(action="place_label.removed").count() == 1


def test_nightly_job_follows_labels_that_start_or_end_on_their_own(manager, epn, monkeypatch):
    today = timezone.localdate()
    _add(manager, epn, LabelKind.AIDANTS_CONNECT, today + dt.timedelta(days=1))
    assert _fresh(epn).dispositif_programmes_nationaux == []
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert tasks.place_labels_sync_lmn.call() == 1
    assert _fresh(epn).dispositif_programmes_nationaux == ["Aidants Connect"]
    assert tasks.place_labels_sync_lmn.call() == 0


def test_lmn_export_carries_the_labels(client, manager, epn):
    Place.objects.filter(pk=epn.pk).update(lmn_id="epn-ydes-1")
    _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2005, 3, 1))
    _add(manager, epn, LabelKind.FRANCE_SERVICES, dt.date(2021, 1, 1))
    _add(manager, epn, LabelKind.PIX, dt.date(2018, 1, 1))

    rows = {row["nom"]: row for row in lmn.export_rows()}
    row = rows["EPN du Pays Vert"]
    assert row["dispositif_programmes_nationaux"] == "Certification PIX|France Services"
    assert row["autres_formations_labels"] == "Label EPN|Charte NetPublic"
    assert lmn.validate_row(row) == []

    response = client.get("/lieux/export/lmn.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    exported = {r["nom"]: r for r in csv.DictReader(io.StringIO(text))}
    assert exported["EPN du Pays Vert"]["dispositif_programmes_nationaux"] == "Certification PIX|France Services"
    assert exported["EPN du Pays Vert"]["autres_formations_labels"] == "Label EPN|Charte NetPublic"


def test_the_directory_page_shows_the_labels(client, manager, epn, other_epn):
    _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2005, 3, 1))
    _add(manager, epn, LabelKind.PIX, dt.date(2015, 1, 1), until=dt.date(2018, 12, 31))
    html = client.get(epn.get_absolute_url()).content.decode()
    assert '<h2 id="h-labels">Labels</h2>' in html
    assert "<li>Label EPN depuis 2003</li>" in html
    assert "<li>Charte NetPublic depuis 2005</li>" in html
    assert "Centre de certification PIX depuis" not in html  # ended
    # A place with no label has no such section.
    assert 'id="h-labels"' not in client.get(other_epn.get_absolute_url()).content.decode()


def test_the_directory_page_shows_end_dates_and_past_labels_in_one_query(client, manager, epn):
    """Review: the labels section reads its labels once, however many the place held."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _add(manager, epn, LabelKind.EPN, dt.date(2003, 5, 1))
    with CaptureQueriesContext(connection) as one:
        client.get(epn.get_absolute_url())
    today = timezone.localdate()
    _add(manager, epn, LabelKind.NETPUBLIC, dt.date(2005, 3, 1), until=dt.date(today.year + 2, 6, 30))
    for year in range(2010, 2016):
        _add(manager, epn, LabelKind.OTHER, dt.date(year, 1, 1), until=dt.date(year, 12, 31), name=f"Label {year}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(epn.get_absolute_url())
    assert len(many) == len(one)
    html = response.content.decode()
    assert "<li>Label EPN depuis 2003</li>" in html
    end = dt.date(today.year + 2, 6, 30)
    assert f"Charte NetPublic depuis 2005, jusqu&#x27;au {formats.date_format(end, 'l j F Y')}" in html
    assert '<h3 id="h-labels-past">Labels passés</h3>' in html
    assert "<li>Label 2012 de 2012 à 2012</li>" in html
