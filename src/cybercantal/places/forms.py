"""Forms of the places pages: directory search, place editing, opening hours by day."""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cybercantal.core.fields import MultiChoiceField
from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField
from cybercantal.territory.models import Canton, Commune

from . import hours, schema, services
from .models import Place, PlaceKind

SLOTS_PER_DAY = 3


class DirectoryForm(forms.Form):
    """The directory's GET parameters (every field optional; bad values are reported)."""

    q = forms.CharField(label=_lazy("Rechercher un lieu"), required=False, max_length=200)
    pres_de = forms.CharField(
        label=_lazy("Près de (commune)"),
        required=False,
        max_length=150,
        help_text=_lazy("Les lieux les plus proches de cette commune s'affichent en premier."),
    )
    type = forms.ChoiceField(label=_lazy("Type de lieu"), required=False)
    canton = forms.ModelChoiceField(
        label=_lazy("Canton"),
        required=False,
        queryset=Canton.objects.only("pk", "slug", "name").order_by("name"),
        to_field_name="slug",
        empty_label=_lazy("Tous les cantons"),
    )
    commune = forms.ModelChoiceField(
        label=_lazy("Commune"),
        required=False,
        queryset=Commune.objects.none(),
        to_field_name="insee_code",
        empty_label=_lazy("Toutes les communes"),
    )
    service = forms.ChoiceField(label=_lazy("Service proposé"), required=False)
    ouvert = forms.BooleanField(
        label=_lazy("Ouvert maintenant"), required=False, widget=forms.CheckboxInput(attrs={"value": "1"})
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Tous les types")), *PlaceKind.choices]
        self.fields["service"].choices = [("", _("Tous les services")), *schema.Service.choices]
        # Current communes only (the select stays at 250 options for the Cantal).
        self.fields["commune"].queryset = Commune.objects.current().only("pk", "insee_code", "name").order_by("name")
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.fields["pres_de"].widget.attrs.update({"autocomplete": "off"})

    def position_problem(self) -> str:
        """A French sentence when ``lat``/``lon`` were given but cannot be used, else ``""``.

        They come from links, not from a visible field: their problem is said above the
        results, where the distance sort would have shown.
        """
        given = [name for name in ("lat", "lon") if (self.data.get(name) or "").strip()]
        if not given:
            return ""
        usable = self.is_bound and not {"lat", "lon"} & set(self.errors) and len(given) == 2
        if usable:
            return ""
        return _(
            "La position indiquée n'est pas lisible : il faut une latitude (entre -90 et 90) et une "
            "longitude (entre -180 et 180) en degrés décimaux, par exemple 45.03 et 2.65. "
            "Les lieux sont triés par nom."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            # Half a position is no position (``position_problem`` says so).
            data.pop("lat", None)
            data.pop("lon", None)
        return data


def place_formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The form field of a ``Place`` field, for our forms and the admin alike.

    URLs typed without a scheme are taken as https (Django 6 behaviour, no warning); a
    multi-valued LMN field is a list of checkboxes of its enumeration.
    """
    if isinstance(field, MultiChoiceField) and field.choices_enum is not None:
        return forms.MultipleChoiceField(
            label=kwargs.get("label") or capfirst(field.verbose_name),
            choices=field.choices_enum.choices,
            required=False,
            widget=kwargs.get("widget") or forms.CheckboxSelectMultiple,
            help_text=kwargs.get("help_text", ""),
        )
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class PlaceForm(forms.ModelForm):
    """Create or edit a place (the hours have their own form, ``HoursForm``)."""

    class Meta:
        model = Place
        formfield_callback = place_formfield
        fields = list(services.FORM_FIELDS)
        labels = {"typologie": _lazy("Typologie (schéma national)")}
        widgets = {
            "typologie": forms.SelectMultiple(attrs={"size": 8}),
            "presentation_summary": forms.Textarea(attrs={"rows": 3, "maxlength": 280}),
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        help_texts = {
            "latitude": _lazy("En degrés décimaux, par exemple 45.2826. Laissez vide si inconnue."),
            "longitude": _lazy("En degrés décimaux, par exemple 2.6563."),
            "pivot": _lazy("SIRET (14 chiffres) ou RNA (W + 9 caractères) de la structure."),
            "photo": _lazy("JPEG, PNG ou WebP, 5 Mo au plus."),
            "typologie": _lazy("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
        }

    def __init__(self, *args: Any, can_assign_organisation: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.current().only("pk", "name").order_by("name")
        self.fields["organisation"].queryset = self.fields["organisation"].queryset.order_by("name")
        if not can_assign_organisation:  # permission ``places.assign_organisation``
            self.fields["organisation"].disabled = True
            self.fields["organisation"].help_text = _lazy(
                "Seul un chargé de programme peut rattacher le lieu à une autre structure."
            )
        self.fields["photo"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            field = "longitude" if lon is None else "latitude"
            self.add_error(field, _("Indiquez la latitude et la longitude ensemble, ou aucune des deux."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """``cleaned_data`` as the keyword arguments of ``place_create`` / ``place_update``."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


def _slot_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%Hh%M", "%H h %M", "%Hh", "%H"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _lazy("Heure invalide : écrivez-la sous la forme 09:30.")},
    )


class HoursForm(forms.Form):
    """Opening hours entered day by day (up to three slots a day), or as raw OSM text.

    ``cleaned_data["opening_hours"]`` is the OSM string to store ("" when nothing is given).
    A closing time of 00:00 means midnight at the end of the day.
    """

    holidays_closed = forms.BooleanField(label=_lazy("Fermé les jours fériés"), required=False, initial=True)
    raw = forms.CharField(
        label=_lazy("Horaires au format OpenStreetMap (utilisateurs avancés)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_lazy(
            "Facultatif. S'il est rempli, ce texte remplace les créneaux ci-dessus. "
            "Exemple : Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, day_name in enumerate(hours.weekday_names()):
            self.fields[f"d{weekday}_closed"] = forms.BooleanField(
                label=_("%(day)s : fermé") % {"day": day_name.capitalize()}, required=False
            )
            for index in range(SLOTS_PER_DAY):
                number = index + 1
                self.fields[f"d{weekday}_s{index}_opens"] = _slot_field(
                    _("%(day)s, créneau %(n)s : ouverture") % {"day": day_name.capitalize(), "n": number}
                )
                self.fields[f"d{weekday}_s{index}_closes"] = _slot_field(
                    _("%(day)s, créneau %(n)s : fermeture") % {"day": day_name.capitalize(), "n": number}
                )

    @classmethod
    def initial_for(cls, opening_hours: str) -> dict[str, Any]:
        """Initial values for a stored expression (raw text kept when it is not a plain week)."""
        simple = hours.osm_to_slots(opening_hours, max_slots=SLOTS_PER_DAY)
        if simple is None:
            return {"raw": opening_hours, "holidays_closed": "PH" in (opening_hours or "")}
        days, holidays_closed = simple
        initial: dict[str, Any] = {"holidays_closed": holidays_closed}
        for weekday in range(7):
            slots = days.get(weekday, [])
            if not slots and opening_hours:
                initial[f"d{weekday}_closed"] = True
            for index, (opens, closes) in enumerate(slots):
                initial[f"d{weekday}_s{index}_opens"] = _to_time(opens)
                initial[f"d{weekday}_s{index}_closes"] = _to_time(closes)
        return initial

    def days(self) -> list[dict[str, Any]]:
        """Bound fields grouped by day, for the template."""
        rows = []
        for weekday, day_name in enumerate(hours.weekday_names()):
            rows.append(
                {
                    "name": day_name,
                    "closed": self[f"d{weekday}_closed"],
                    "slots": [
                        (index + 1, self[f"d{weekday}_s{index}_opens"], self[f"d{weekday}_s{index}_closes"])
                        for index in range(SLOTS_PER_DAY)
                    ],
                }
            )
        return rows

    def clean_raw(self) -> str:
        raw = " ".join((self.cleaned_data.get("raw") or "").split())
        message = hours.parse_error(raw)
        if message:
            raise forms.ValidationError(message)
        return raw

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        days: dict[int, list[tuple[int, int]]] = {}
        any_input = False
        for weekday in range(7):
            slots = self._clean_day(weekday, data)
            if slots or data.get(f"d{weekday}_closed"):
                any_input = True
            days[weekday] = slots
        if self.errors:
            return data
        raw = data.get("raw", "")
        if raw:
            data["opening_hours"] = raw
        elif any_input:
            data["opening_hours"] = hours.slots_to_osm(days, holidays_closed=bool(data.get("holidays_closed")))
        else:
            data["opening_hours"] = ""
        return data

    def _clean_day(self, weekday: int, data: dict[str, Any]) -> list[tuple[int, int]]:
        slots: list[tuple[int, int, int]] = []
        for index in range(SLOTS_PER_DAY):
            opens_name, closes_name = f"d{weekday}_s{index}_opens", f"d{weekday}_s{index}_closes"
            if opens_name in self.errors or closes_name in self.errors:
                continue
            opens, closes = data.get(opens_name), data.get(closes_name)
            if opens is None and closes is None:
                continue
            if opens is None:
                self.add_error(opens_name, _("Indiquez aussi l'heure d'ouverture de ce créneau."))
                continue
            if closes is None:
                self.add_error(closes_name, _("Indiquez aussi l'heure de fermeture de ce créneau."))
                continue
            opens_min = opens.hour * 60 + opens.minute
            closes_min = closes.hour * 60 + closes.minute or hours.MINUTES_PER_DAY  # 00:00 = midnight
            if closes_min <= opens_min:
                self.add_error(closes_name, _("L'heure de fermeture doit être après l'heure d'ouverture."))
                continue
            slots.append((opens_min, closes_min, index))
        if data.get(f"d{weekday}_closed") and slots:
            self.add_error(
                f"d{weekday}_closed",
                _("Ce jour est coché « fermé » mais a des créneaux : décochez la case ou videz les créneaux."),
            )
            return []
        slots.sort()
        for previous, current in itertools.pairwise(slots):
            if current[0] < previous[1]:
                self.add_error(
                    f"d{weekday}_s{current[2]}_opens",
                    _("Ce créneau chevauche le précédent (%(slot)s) : corrigez les heures.")
                    % {"slot": hours.format_slots([(previous[0], previous[1])])},
                )
        return [(opens, closes) for opens, closes, _index in slots]


def _to_time(minutes: int) -> time:
    if minutes >= hours.MINUTES_PER_DAY:
        return time(0, 0)
    return time(minutes // 60, minutes % 60)


def _place_label(place: Place) -> str:
    commune = getattr(place, "commune", None)
    return f"{place.name} ({commune.name})" if commune is not None else place.name


class PlaceChoiceField(SafeModelChoiceField):
    """Choose one place, shown as "Name (Commune)" (select ``commune`` in the queryset)."""

    def label_from_instance(self, obj: Any) -> str:
        return _place_label(obj)


class PlaceMultipleChoiceField(SafeModelMultipleChoiceField):
    """Choose several places, shown as "Name (Commune)"."""

    def label_from_instance(self, obj: Any) -> str:
        return _place_label(obj)
