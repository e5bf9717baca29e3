"""The per-day hours form: round trip with the OSM text, French errors next to the fields."""

from __future__ import annotations

from typing import Any

from cybercantal.places import hours
from cybercantal.places.forms import HoursForm

OFFICE = "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"


def post_data(initial: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """What a browser would send back for a form showing ``initial``."""
    data = {}
    for name, value in initial.items():
        key = f"{prefix}-{name}" if prefix else name
        if value is True:
            data[key] = "on"
        elif value in (False, None):
            continue
        elif hasattr(value, "strftime"):
            data[key] = value.strftime("%H:%M")
        else:
            data[key] = str(value)
    return data


def test_round_trip_of_a_plain_week() -> None:
    initial = HoursForm.initial_for(OFFICE)
    assert "raw" not in initial
    assert initial["d6_closed"] is True
    form = HoursForm(post_data(initial))
    assert form.is_valid(), form.errors
    assert hours.normalise(form.cleaned_data["opening_hours"]) == hours.normalise(OFFICE)


def test_complex_hours_stay_as_raw_text() -> None:
    complex_hours = "Mo-Fr 09:00-12:00; Jul-Aug off"
    initial = HoursForm.initial_for(complex_hours)
    assert initial["raw"] == complex_hours
    form = HoursForm(post_data(initial))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["opening_hours"] == complex_hours


def test_slots_produce_osm_text() -> None:
    form = HoursForm(
        {
            "d0_s0_opens": "09:00",
            "d0_s0_closes": "12:00",
            "d0_s1_opens": "14:00",
            "d0_s1_closes": "17:30",
            "d2_s0_opens": "09:00",
            "d2_s0_closes": "00:00",  # midnight
            "d6_closed": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["opening_hours"] == "Mo 09:00-12:00,14:00-17:30; We 09:00-24:00"


def test_nothing_given_means_no_hours() -> None:
    form = HoursForm({"holidays_closed": "on"})
    assert form.is_valid()
    assert form.cleaned_data["opening_hours"] == ""


def test_every_day_closed() -> None:
    form = HoursForm({f"d{day}_closed": "on" for day in range(7)})
    assert form.is_valid()
    assert form.cleaned_data["opening_hours"] == "closed"


def test_closing_before_opening_is_refused_next_to_the_field() -> None:
    form = HoursForm({"d1_s0_opens": "14:00", "d1_s0_closes": "12:00"})
    assert not form.is_valid()
    assert form.errors["d1_s0_closes"] == ["L'heure de fermeture doit être après l'heure d'ouverture."]


def test_overlapping_slots_are_refused() -> None:
    form = HoursForm({"d0_s0_opens": "09:00", "d0_s0_closes": "12:00", "d0_s1_opens": "11:00", "d0_s1_closes": "13:00"})
    assert not form.is_valid()
    assert form.errors["d0_s1_opens"] == ["Ce créneau chevauche le précédent (9 h – 12 h) : corrigez les heures."]


def test_bad_time_format_and_half_slots() -> None:
    form = HoursForm({"d0_s0_opens": "9 heures", "d0_s0_closes": "12:00", "d3_s0_opens": "10:00"})
    assert not form.is_valid()
    assert form.errors["d0_s0_opens"] == ["Heure invalide : écrivez-la sous la forme 09:30."]
    assert form.errors["d3_s0_closes"] == ["Indiquez aussi l'heure de fermeture de ce créneau."]


def test_closed_box_with_slots_is_contradictory() -> None:
    form = HoursForm({"d4_closed": "on", "d4_s0_opens": "09:00", "d4_s0_closes": "12:00"})
    assert not form.is_valid()
    assert "d4_closed" in form.errors


def test_raw_text_is_validated_by_the_parser() -> None:
    form = HoursForm({"raw": "du lundi au vendredi"})
    assert not form.is_valid()
    assert form.errors["raw"][0].startswith("Horaires illisibles")
    form = HoursForm({"raw": "Mo-Fr 08:00-18:00;   PH off", "d0_s0_opens": "09:00", "d0_s0_closes": "10:00"})
    assert form.is_valid()
    assert form.cleaned_data["opening_hours"] == "Mo-Fr 08:00-18:00; PH off"


def test_labels_are_french_and_tell_the_day() -> None:
    form = HoursForm()
    assert form.fields["d0_s0_opens"].label == "Lundi, créneau 1 : ouverture"
    assert form.fields["d6_closed"].label == "Dimanche : fermé"
