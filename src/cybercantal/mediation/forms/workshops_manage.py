"""Forms of the mediators' side of the workshops. They check the shape of what is typed;
the rules (dates in the past, capacity, who works where) are the services' and come back
as field errors through ``add_service_errors``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.places.forms import PlaceChoiceField
from cybercantal.places.models import Place

from ..models import DigitalTheme, Level, Mediator, Public, Workshop
from ..services.workshops import MAX_CAPACITY, MAX_SERIES_WEEKS


class WorkshopForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=160)
    summary = forms.CharField(
        label=_("Résumé"),
        max_length=280,
        help_text=_("Une ou deux phrases, montrées dans le calendrier public (280 caractères au plus)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    themes = forms.MultipleChoiceField(
        label=_("Thématiques"),
        choices=DigitalTheme.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
        error_messages={"required": _("Choisissez au moins une thématique.")},
    )
    level = forms.ChoiceField(label=_("Niveau"), choices=Level.choices, initial=Level.BEGINNER)
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=15,
        max_value=480,
        initial=120,
        help_text=_("De 15 à 480 minutes."),
        error_messages={
            "min_value": _("La durée doit être comprise entre 15 et 480 minutes (8 heures)."),
            "max_value": _("La durée doit être comprise entre 15 et 480 minutes (8 heures)."),
            "invalid": _("Indiquez une durée en minutes, par exemple 90."),
        },
    )
    publics = forms.MultipleChoiceField(
        label=_("Publics"),
        choices=Public.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    prerequisites = forms.CharField(
        label=_("Prérequis"),
        max_length=280,
        required=False,
        help_text=_("Par exemple : savoir utiliser une souris. Laissez vide s'il n'y en a pas."),
    )
    is_active = forms.BooleanField(label=_("Au catalogue (peut être programmé)"), required=False, initial=True)

    @classmethod
    def initial_from(cls, workshop: Workshop) -> dict[str, Any]:
        return {name: getattr(workshop, name) for name in cls.base_fields}


class MediatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Mediator) -> str:
        return obj.user.get_full_name() or obj.user.email


def _combine(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


class _SessionTimeMixin(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date, par exemple 17/03/2026.")},
    )
    time = forms.TimeField(
        label=_("Heure de début"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Indiquez une heure, par exemple 14:00.")},
    )
    capacity = forms.IntegerField(
        label=_("Nombre de places"),
        min_value=1,
        max_value=MAX_CAPACITY,
        initial=10,
        error_messages={
            "min_value": _("Une séance a au moins 1 place."),
            "max_value": _("Une séance a au plus %(limit_value)s places."),
            "invalid": _("Indiquez un nombre de places, par exemple 8."),
        },
    )
    notes = forms.CharField(
        label=_("Informations pratiques"),
        max_length=280,
        required=False,
        help_text=_("Par exemple : apportez votre téléphone et vos identifiants."),
    )

    def starts_at(self) -> dt.datetime:
        return _combine(self.cleaned_data["date"], self.cleaned_data["time"])


class SessionForm(_SessionTimeMixin):
    field_order = ["workshop", "place", "date", "time", "capacity", "mediator", "weeks", "notes"]

    workshop = forms.ModelChoiceField(
        label=_("Atelier"),
        queryset=Workshop.objects.none(),
        error_messages={"invalid_choice": _("Choisissez un atelier du catalogue.")},
    )
    place = PlaceChoiceField(
        label=_("Lieu"),
        queryset=Place.objects.none(),
        error_messages={"invalid_choice": _("Choisissez un de vos lieux.")},
    )
    mediator = MediatorChoiceField(
        label=_("Animateur"),
        queryset=Mediator.objects.none(),
        required=False,
        empty_label=_("— pas encore choisi —"),
        error_messages={"invalid_choice": _("Choisissez un animateur de la liste.")},
    )
    weeks = forms.IntegerField(
        label=_("Nombre de séances (une par semaine)"),
        min_value=1,
        max_value=MAX_SERIES_WEEKS,
        initial=1,
        help_text=_("1 pour une séance unique ; 6 pour le même jour et la même heure pendant 6 semaines."),
        error_messages={
            "min_value": _("Indiquez au moins 1 séance."),
            "max_value": _("Une série compte au plus %(limit_value)s semaines."),
            "invalid": _("Indiquez un nombre de séances, par exemple 6."),
        },
    )

    def __init__(self, *args: Any, places: Any, mediators: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = Workshop.objects.filter(is_active=True).order_by("title")  # type: ignore[attr-defined]
        self.fields["place"].queryset = places  # type: ignore[attr-defined]
        self.fields["mediator"].queryset = mediators  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "workshop": data["workshop"],
            "place": data["place"],
            "starts_at": self.starts_at(),
            "capacity": data["capacity"],
            "mediator": data.get("mediator"),
            "notes": data.get("notes", ""),
            "repeat_weekly": data["weeks"] if data["weeks"] > 1 else 0,
        }


class SessionEditForm(_SessionTimeMixin):
    field_order = ["date", "time", "capacity", "mediator", "notes"]

    mediator = MediatorChoiceField(
        label=_("Animateur"),
        queryset=Mediator.objects.none(),
        required=False,
        empty_label=_("— pas encore choisi —"),
        error_messages={"invalid_choice": _("Choisissez un animateur de la liste.")},
    )

    def __init__(self, *args: Any, mediators: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = mediators  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(session: Any) -> dict[str, Any]:
        local = timezone.localtime(session.starts_at)
        return {
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "capacity": session.capacity,
            "mediator": session.mediator_id,
            "notes": session.notes,
        }


class SessionCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Raison de l'annulation"),
        max_length=500,
        help_text=_("Elle est envoyée par courriel aux personnes inscrites. Par exemple : animateur malade."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez la raison de l'annulation : elle est envoyée aux inscrits.")},
    )


class SessionFilterForm(forms.Form):
    PERIODS = (("upcoming", _("À venir")), ("past", _("Passées")))

    lieu = PlaceChoiceField(
        label=_("Lieu"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("Tous mes lieux"),
        error_messages={"invalid_choice": _("Ce lieu n'est pas dans la liste : tous vos lieux sont affichés.")},
    )
    periode = forms.ChoiceField(
        label=_("Période"),
        choices=PERIODS,
        required=False,
        error_messages={"invalid_choice": _("Période inconnue : les séances à venir sont affichées.")},
    )

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lieu"].queryset = places  # type: ignore[attr-defined]
