"""Forms of the free-access pages: the booking form (public and staff), the computer form,
the day picker and the visit-count correction. Types and lengths here; rules in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.mediation.models import Equipment, PublicComputer, VisitSlot
from cybercantal.mediation.services.free_access import COMPUTER_KINDS
from cybercantal.places.models import Place

DATE_FORMATS = ["%Y-%m-%d"]


class DayForm(forms.Form):
    """``?date=YYYY-MM-DD`` of the day grid."""

    date = forms.DateField(
        label=_("Choisir un jour"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date illisible : utilisez le format AAAA-MM-JJ, par exemple 2026-03-03.")},
    )


class BookingForm(forms.Form):
    """A slot (computer, day, start, duration) and the person's name and contact."""

    computer = forms.ModelChoiceField(
        queryset=PublicComputer.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choisissez un poste dans le tableau du jour."),
            "invalid_choice": _("Ce poste n'existe pas dans ce lieu ou n'est plus réservable."),
        },
    )
    day = forms.DateField(
        widget=forms.HiddenInput,
        input_formats=DATE_FORMATS,
        error_messages={
            "required": _("Choisissez un jour."),
            "invalid": _("Date illisible : utilisez le format AAAA-MM-JJ."),
        },
    )
    start = forms.TimeField(
        widget=forms.HiddenInput,
        input_formats=["%H:%M"],
        error_messages={"required": _("Choisissez une heure de début."), "invalid": _("Heure illisible (HH:MM).")},
    )
    minutes = forms.TypedChoiceField(
        label=_("Durée"),
        choices=[(60, _("1 heure")), (30, _("30 minutes"))],
        coerce=int,
        initial=60,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Un créneau dure 30 minutes ou 1 heure.")},
    )
    name = forms.CharField(
        label=_("Nom et prénom"),
        max_length=120,
        error_messages={
            "required": _("Indiquez votre nom."),
            "max_length": _("Le nom ne peut pas dépasser 120 caractères."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        required=False,
        max_length=30,
        help_text=_("Un téléphone ou une adresse électronique : le lieu doit pouvoir vous prévenir."),
        error_messages={"max_length": _("Numéro de téléphone invalide : 10 chiffres, par exemple 04 71 00 00 00.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Adresse électronique"),
        required=False,
        max_length=254,
        help_text=_("Facultative : vous recevrez la confirmation et un lien pour annuler."),
        error_messages={
            "invalid": _("Adresse électronique invalide, par exemple prenom.nom@exemple.fr."),
            "max_length": _("Adresse électronique trop longue."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    HIDDEN = ("computer", "day", "start")

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place = place
        self.fields["computer"].queryset = PublicComputer.objects.filter(place=place, is_active=True)

    def slot_errors(self) -> list[str]:
        """Errors of the hidden slot fields, said above the form."""
        return [str(error) for name in self.HIDDEN for error in self.errors.get(name, [])]

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        starts_at = timezone.make_aware(dt.datetime.combine(data["day"], data["start"]))
        return starts_at, starts_at + dt.timedelta(minutes=data["minutes"])


class ComputerForm(forms.Form):
    label = forms.CharField(
        label=_("Nom du poste"),
        max_length=60,
        help_text=_("Tel qu'il est affiché sur le poste, par exemple « Poste 2 »."),
        error_messages={
            "required": _("Donnez un nom au poste."),
            "max_length": _("Le nom du poste ne peut pas dépasser 60 caractères."),
        },
    )
    features = forms.CharField(
        label=_("Particularités"),
        max_length=200,
        required=False,
        help_text=_("Grand écran, imprimante, clavier adapté…"),
        error_messages={"max_length": _("Les particularités ne peuvent pas dépasser 200 caractères.")},
    )
    equipment = forms.ModelChoiceField(
        label=_("Ordinateur de l'inventaire"),
        queryset=Equipment.objects.none(),
        required=False,
        empty_label=_("Aucun"),
        error_messages={"invalid_choice": _("Cet équipement n'est pas inventorié dans ce lieu.")},
    )
    is_active = forms.BooleanField(label=_("Réservable"), required=False, initial=True)

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["equipment"].queryset = Equipment.objects.filter(place=place, kind__in=COMPUTER_KINDS).order_by(
            "kind", "serial_number"
        )


class VisitSetForm(forms.Form):
    date = forms.DateField(
        label=_("Jour"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Indiquez le jour."),
            "invalid": _("Date illisible : utilisez le format AAAA-MM-JJ."),
        },
    )
    slot = forms.ChoiceField(
        label=_("Créneau"),
        choices=VisitSlot.choices,
        error_messages={"invalid_choice": _("Créneau inconnu : matin, après-midi ou soirée.")},
    )
    count = forms.IntegerField(
        label=_("Nombre de visites"),
        min_value=0,
        max_value=10_000,
        error_messages={
            "required": _("Indiquez le nombre de visites."),
            "invalid": _("Indiquez un nombre entier."),
            "min_value": _("Le nombre de visites doit être compris entre 0 et 10 000."),
            "max_value": _("Le nombre de visites doit être compris entre 0 et 10 000."),
        },
    )
