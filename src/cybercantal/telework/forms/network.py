"""Forms of part "network". They check the shape of what is typed (a number, a date, a
choice of the list); the rules (minimum ≤ maximum, the step divides the minimum, the status
dates, a unique name) are the services' and come back next to the fields through
``add_service_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField
from cybercantal.places.forms import PlaceChoiceField
from cybercantal.places.models import Place

from ..models import Equipment, Resource, ResourceAccess, ResourceKind, Telecentre, TelecentreStatus
from ..services import network as services

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Indiquez une date, par exemple 03/03/2026.")}


def _between_text(low: int, high: int) -> str:
    return gettext("Indiquez un nombre entier entre %(low)s et %(high)s.") % {"low": low, "high": high}


_between = lazy(_between_text, str)  # translated when shown, in the person's language


def _number(label: Any, low: int, high: int, *, help_text: Any = "", required: bool = True) -> forms.IntegerField:
    message = _between(low, high)
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "required": _("Indiquez un nombre."),
        },
    )


class OperatorChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class TelecentreCreateForm(forms.Form):
    place = PlaceChoiceField(
        label=_("Lieu"),
        queryset=Place.objects.none(),
        help_text=_("Un lieu de l'annuaire de type « télécentre » qui n'est pas encore dans le réseau."),
        error_messages={
            "required": _("Choisissez le lieu."),
            "invalid_choice": _("Choisissez un lieu de la liste."),
        },
    )
    operator = OperatorChoiceField(
        label=_("Exploitant existant"),
        queryset=services.queries.operators(),
        required=False,
        empty_label=_("— Nouvel exploitant (ci-dessous) —"),
        error_messages={"invalid_choice": _("Choisissez un exploitant de la liste.")},
    )
    operator_name = forms.CharField(
        label=_("Nom du nouvel exploitant"),
        max_length=200,
        required=False,
        help_text=_("Par exemple : SCIC Tiers-lieux du Cantal."),
    )
    operator_siret = forms.CharField(
        label=_("SIRET du nouvel exploitant"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres ; les espaces sont acceptés."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    welcome_text = forms.CharField(
        label=_("Informations pratiques"),
        required=False,
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Accès, stationnement, wifi… (modifiable ensuite)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = services.queries.places_without_telecentre()  # type: ignore[attr-defined]


class TelecentreForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=TelecentreStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez un statut."), "invalid_choice": _("Choisissez un statut.")},
    )
    opens_on = forms.DateField(
        label=_("Date d'ouverture"),
        required=False,
        widget=DATE_WIDGET,
        error_messages=DATE_ERRORS,
        help_text=_(
            "En projet : la date prévue (facultative). Ouvert : le premier jour d'ouverture ; "
            "une date à venir permet de réserver dès maintenant pour ce jour-là."
        ),
    )
    closed_on = forms.DateField(
        label=_("Date de fermeture définitive"),
        required=False,
        widget=DATE_WIDGET,
        error_messages=DATE_ERRORS,
        help_text=_("Seulement pour un télécentre fermé : aujourd'hui ou un jour passé."),
    )
    cancellation_notice_hours = _number(
        _("Annulation gratuite jusqu'à (heures avant)"),
        0,
        services.MAX_NOTICE_HOURS,
        help_text=_("Annulée plus tard, une réservation reste due et ses crédits ne sont pas rendus."),
    )
    no_show_release_minutes = _number(
        _("Libération des absents après (minutes)"),
        0,
        services.MAX_NO_SHOW_MINUTES,
        help_text=_("Sans pointage à l'arrivée après ce délai, la place est libérée. 0 : jamais."),
    )
    welcome_text = forms.CharField(
        label=_("Informations pratiques"),
        required=False,
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Accès, code de la porte remis par courriel, wifi… Montré sur la page publique."),
    )
    confirm_closing = forms.BooleanField(
        label=_("Je confirme la fermeture : les réservations à venir ne sont pas annulées automatiquement."),
        required=False,
    )

    @classmethod
    def initial_from(cls, telecentre: Telecentre) -> dict[str, Any]:
        return {name: getattr(telecentre, name) for name in cls.base_fields if name != "confirm_closing"}


class ResourceForm(forms.Form):
    name = forms.CharField(
        label=_("Nom"),
        max_length=services.MAX_NAME_LENGTH,
        error_messages={"required": _("Indiquez le nom de la ressource.")},
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=ResourceKind.choices,
        error_messages={"invalid_choice": _("Choisissez un type de la liste.")},
    )
    capacity = _number(
        _("Capacité"),
        1,
        services.MAX_CAPACITY,
        help_text=_("Espace partagé : le nombre de postes. Bureau ou salle : le nombre de personnes."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    equipment = forms.MultipleChoiceField(
        label=_("Équipements"),
        choices=Equipment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
        error_messages={"invalid_choice": _("Choisissez les équipements dans la liste.")},
    )
    access = forms.ChoiceField(
        label=_("Qui peut réserver"),
        choices=ResourceAccess.choices,
        error_messages={"invalid_choice": _("Choisissez dans la liste.")},
    )
    booking_window_days = _number(
        _("Réservable jusqu'à (jours à l'avance)"),
        1,
        services.MAX_WINDOW_DAYS,
        help_text=_("Par exemple 90 : on peut réserver jusqu'à trois mois à l'avance."),
    )
    min_minutes = _number(
        _("Durée minimale (minutes)"),
        services.MIN_STEP_MINUTES,
        services.MAX_DURATION_MINUTES,
        help_text=_("Bureaux et salles. Un espace partagé se réserve à la demi-journée ou à la journée."),
    )
    max_minutes = _number(
        _("Durée maximale (minutes)"),
        services.MIN_STEP_MINUTES,
        services.MAX_DURATION_MINUTES,
        help_text=_("Au moins la durée minimale ; 600 minutes font 10 heures."),
    )
    step_minutes = _number(
        _("Pas de réservation (minutes)"),
        services.MIN_STEP_MINUTES,
        services.MAX_STEP_MINUTES,
        help_text=_(
            "Les réservations commencent et durent par tranches de ce pas ; il doit diviser la durée minimale."
        ),
    )
    buffer_minutes = _number(
        _("Battement entre deux réservations (minutes)"),
        0,
        services.MAX_BUFFER_MINUTES,
        help_text=_("Temps de ménage ou d'aération laissé libre après chaque réservation."),
    )
    opening_hours = forms.CharField(
        label=_("Horaires propres"),
        required=False,
        max_length=500,
        help_text=_(
            "Syntaxe OpenStreetMap, par exemple « Mo-Fr 08:30-18:00; PH off ». Vide : les horaires du télécentre."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    position = _number(
        _("Ordre d'affichage"),
        0,
        services.MAX_POSITION,
        required=False,
        help_text=_("Les ressources s'affichent du plus petit au plus grand. Vide : en dernier."),
    )
    is_active = forms.BooleanField(label=_("Proposée à la réservation"), required=False, initial=True)
    confirm_deactivation = forms.BooleanField(
        label=_("Je confirme : la ressource n'est plus proposée, les réservations à venir restent valables."),
        required=False,
    )

    @classmethod
    def initial_from(cls, resource: Resource) -> dict[str, Any]:
        return {name: getattr(resource, name) for name in cls.base_fields if name != "confirm_deactivation"}

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("confirm_deactivation", None)
        return data


class ResourceChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name if obj.is_active else gettext("%(name)s (non proposée)") % {"name": obj.name}


class ClosureForm(forms.Form):
    resource = ResourceChoiceField(
        label=_("Ce qui ferme"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label=_("Tout le télécentre"),
        error_messages={"invalid_choice": _("Choisissez une ressource de la liste.")},
    )
    starts_on = forms.DateField(
        label=_("Du"), widget=DATE_WIDGET, error_messages={**DATE_ERRORS, "required": _("Indiquez le premier jour.")}
    )
    ends_on = forms.DateField(
        label=_("Au (inclus)"),
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": _("Indiquez le dernier jour.")},
    )
    reason = forms.CharField(
        label=_("Motif"),
        required=False,
        max_length=services.MAX_REASON_LENGTH,
        help_text=_("Montré aux membres, par exemple « Congés d'été » ou « Travaux »."),
    )

    def __init__(self, *args: Any, telecentre: Telecentre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = Resource.objects.filter(telecentre=telecentre).order_by(  # type: ignore[attr-defined]
            "position", "name"
        )
