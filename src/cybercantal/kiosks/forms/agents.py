"""Forms of the agents' side: a training session, the one-minute record of help given at a
kiosk, and the statistics filters.

The forms only shape what the person typed; the rules live in ``services.agents`` (and the
accompaniment service) and their French messages come back next to the fields through
``add_service_errors``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import User
from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField
from cybercantal.mediation.models import AdminTheme, HelpReason, Outcome
from cybercantal.places.models import Place
from cybercantal.territory.models import Canton

from ..models import Kiosk
from ..services.agents import RECORD_DURATIONS

DURATION_CHOICES = [(str(m), _("%(minutes)s min") % {"minutes": m}) for m in RECORD_DURATIONS]
MONTH_CHOICES = [
    ("", _("Toute l'année")),
    ("1", _("janvier")),
    ("2", _("février")),
    ("3", _("mars")),
    ("4", _("avril")),
    ("5", _("mai")),
    ("6", _("juin")),
    ("7", _("juillet")),
    ("8", _("août")),
    ("9", _("septembre")),
    ("10", _("octobre")),
    ("11", _("novembre")),
    ("12", _("décembre")),
]


class ServiceErrorsMixin:
    def add_service_errors(self, exc: ValidationError, renames: dict[str, str] | None = None) -> None:
        """A service's ``ValidationError`` next to its fields (the others on top)."""
        renames = renames or {}
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)  # type: ignore[attr-defined]
            return
        for name, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            target = renames.get(name, name)
            if target in self.fields:  # type: ignore[attr-defined]
                self.add_error(target, messages)  # type: ignore[attr-defined]
            else:
                self.add_error(None, messages)  # type: ignore[attr-defined]


class AttendeesField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class TrainingSessionForm(ServiceErrorsMixin, forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Saisissez une date."), "invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    trainer = forms.CharField(
        label=_("Formateur"),
        max_length=160,
        error_messages={"required": _("Indiquez le formateur."), "max_length": _("160 caractères au plus.")},
    )
    topics = forms.CharField(
        label=_("Contenus"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Par exemple : démarches CAF, ANTS, impots.gouv, accueil des personnes éloignées du numérique."),
        error_messages={
            "required": _("Indiquez les contenus de la formation."),
            "max_length": _("5000 caractères au plus."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=15,
        max_value=2400,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Indiquez la durée en minutes."),
            "invalid": _("Saisissez un nombre de minutes."),
            "min_value": _("La durée doit être comprise entre 15 et 2400 minutes."),
            "max_value": _("La durée doit être comprise entre 15 et 2400 minutes."),
        },
    )
    place = SafeModelChoiceField(
        label=_("Lieu de la formation"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("— aucun lieu précis —"),
        error_messages={"invalid_choice": _("Lieu inconnu.")},
    )
    is_refresher = forms.BooleanField(label=_("Session de recyclage"), required=False)
    attendees = AttendeesField(
        label=_("Participants"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Participant inconnu."), "invalid_pk_value": _("Participant inconnu.")},
    )

    def __init__(self, *args: Any, agents: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = agents
        self.fields["place"].queryset = places

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "trainer": data["trainer"],
            "topics": data["topics"],
            "duration_minutes": data["duration_minutes"],
            "place": data.get("place"),
            "is_refresher": bool(data.get("is_refresher")),
            "attendees": list(data.get("attendees") or []),
        }


class HelpRecordForm(ServiceErrorsMixin, forms.Form):
    """The one-minute record: category, outcome, duration, reason, optional orientation.
    With ``kiosks`` (no help request), the kiosk is chosen too."""

    jeton = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    kiosk = SafeModelChoiceField(
        label=_("Borne"),
        queryset=Kiosk.objects.none(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": _("Borne inconnue.")},
    )
    admin_themes = forms.MultipleChoiceField(
        label=_("Catégorie de la démarche"),
        choices=AdminTheme.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Cochez au moins une catégorie de démarche."),
            "invalid_choice": _("Catégorie inconnue."),
        },
    )
    outcome = forms.ChoiceField(
        label=_("Résultat"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Indiquez le résultat de la démarche."),
            "invalid_choice": _("Résultat inconnu."),
        },
    )
    duration = forms.TypedChoiceField(
        label=_("Durée"),
        choices=DURATION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        initial="15",
        error_messages={"required": _("Indiquez la durée."), "invalid_choice": _("Durée inconnue.")},
    )
    help_reason = forms.ChoiceField(
        label=_("Pourquoi la personne avait besoin d'aide"),
        choices=HelpReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Indiquez pourquoi la personne avait besoin d'aide."),
            "invalid_choice": _("Raison inconnue."),
        },
    )
    oriented_to = forms.CharField(
        label=_("Orientée vers (facultatif)"),
        required=False,
        max_length=200,
        help_text=_("Une autre structure : CAF, France Services, EPN…"),
        error_messages={"max_length": _("200 caractères au plus.")},
    )

    def __init__(self, *args: Any, kiosks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kiosks is None:
            del self.fields["kiosk"]
        else:
            self.fields["kiosk"].queryset = kiosks
            self.fields["kiosk"].required = True
            self.fields["kiosk"].error_messages["required"] = _("Choisissez la borne.")
        if not self.is_bound:
            self.initial.setdefault("jeton", secrets.token_urlsafe(18))

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "duration_minutes": data["duration"],
            "admin_themes": list(data["admin_themes"]),
            "help_reason": data["help_reason"],
            "outcome": data["outcome"],
            "oriented_to": data.get("oriented_to") or "",
        }


class StatisticsFilterForm(forms.Form):
    annee = forms.TypedChoiceField(label=_("Année"), coerce=int, required=False)
    mois = forms.TypedChoiceField(label=_("Mois"), choices=MONTH_CHOICES, coerce=int, required=False, empty_value=None)
    canton = SafeModelChoiceField(
        label=_("Canton"),
        queryset=Canton.objects.none(),
        required=False,
        empty_label=_("Tout le département"),
        to_field_name="slug",
    )
    borne = SafeModelChoiceField(
        label=_("Borne"),
        queryset=Kiosk.objects.none(),
        required=False,
        empty_label=_("Toutes les bornes"),
        to_field_name="code",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["borne"].queryset = Kiosk.objects.select_related("place").order_by("code")
        this_year = timezone.localdate().year
        self.fields["annee"].choices = [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]
        self.fields["canton"].queryset = Canton.objects.filter(kiosks__isnull=False).distinct().order_by("name")

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "year": data.get("annee") or timezone.localdate().year,
            "month": data.get("mois") or None,
            "canton": data.get("canton"),
            "kiosk": data.get("borne"),
        }
