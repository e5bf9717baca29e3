"""The quick accompaniment form (CRA), the list filters and the followed-person search.

The form only shapes what the person typed; every rule (dates, sums, consent, who may
record where) lives in ``services.accompaniments`` and its French messages come back next
to the fields through ``add_service_errors``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.places.models import Place
from cybercantal.territory.models import Commune

from ..models import (
    Accompaniment,
    AccompanimentKind,
    AdminTheme,
    Autonomy,
    Beneficiary,
    DigitalTheme,
    EquipmentUsed,
    HelpReason,
    Outcome,
    PlaceType,
)
from ..services import accompaniments as services

OTHER_DURATION = "autre"
DURATION_CHOICES = [(str(m), _("%(minutes)s min") % {"minutes": m}) for m in services.PRESET_DURATIONS] + [
    (OTHER_DURATION, _("autre"))
]
DIMENSION_ERRORS = ("gender_counts", "age_counts", "status_counts")

# The variants of the quick form, by the ``type`` parameter of its address.
VARIANTS = {
    "individuel": AccompanimentKind.INDIVIDUAL,
    "collectif": AccompanimentKind.COLLECTIVE,
    "demarche": AccompanimentKind.PROCEDURE,
}
VARIANT_OF_KIND = {kind: variant for variant, kind in VARIANTS.items()}


def new_submit_token() -> str:
    return secrets.token_urlsafe(18)


class AccompanimentForm(forms.Form):
    """One accompaniment. ``kind`` is fixed by the variant of the page (hidden)."""

    jeton = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    kind = forms.ChoiceField(choices=AccompanimentKind.choices, widget=forms.HiddenInput)
    place = forms.ModelChoiceField(
        label=_("Structure"), queryset=Place.objects.none(), empty_label=_("— choisir —"), required=False
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    duration = forms.ChoiceField(
        label=_("Durée"), choices=DURATION_CHOICES, widget=forms.RadioSelect, required=False, initial="30"
    )
    duration_other = forms.IntegerField(
        label=_("Autre durée, en minutes"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 600}),
        error_messages={"invalid": _("Saisissez un nombre de minutes.")},
    )
    place_type = forms.ChoiceField(
        label=_("Lieu de l'accompagnement"),
        choices=PlaceType.choices,
        widget=forms.RadioSelect,
        initial=PlaceType.ON_SITE,
        required=False,
    )
    themes = forms.MultipleChoiceField(
        label=_("Thématiques numériques"),
        choices=DigitalTheme.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    admin_themes = forms.MultipleChoiceField(
        label=_("Démarches administratives"),
        choices=AdminTheme.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    equipment_used = forms.MultipleChoiceField(
        label=_("Matériel utilisé"),
        choices=EquipmentUsed.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    autonomy = forms.ChoiceField(
        label=_("Autonomie de la personne"),
        choices=[("", _("Non renseignée")), *Autonomy.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    help_reason = forms.ChoiceField(
        label=_("Pourquoi la personne avait besoin d'aide"),
        choices=[("", _("Non renseignée")), *HelpReason.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    outcome = forms.ChoiceField(
        label=_("Résultat de la démarche"),
        choices=[("", _("Non renseigné")), *Outcome.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    oriented_to = forms.CharField(
        label=_("Orientée vers une autre structure"),
        required=False,
        max_length=200,
        help_text=_("Par exemple : France Services de Mauriac, CAF, Pôle emploi."),
    )
    notes = forms.CharField(
        label=_("Remarque"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Following the person (individual accompaniments by a mediator).
    follow = forms.BooleanField(label=_("Suivre cette personne (avec son accord)"), required=False)
    beneficiary = forms.ModelChoiceField(
        label=_("Personne déjà suivie"),
        queryset=Beneficiary.objects.none(),
        required=False,
        empty_label=_("— nouvelle personne —"),
    )
    first_name = forms.CharField(label=_("Prénom"), required=False, max_length=80)
    last_name = forms.CharField(label=_("Nom"), required=False, max_length=80)
    phone = forms.CharField(
        label=_("Téléphone"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(
        label=_("Adresse électronique"),
        required=False,
        error_messages={"invalid": _("Adresse électronique invalide.")},
    )
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.none(), required=False, empty_label=_("— non renseignée —")
    )
    birth_year = forms.IntegerField(
        label=_("Année de naissance"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _("Saisissez une année (par exemple 1948).")},
    )
    consent = forms.BooleanField(
        label=_("La personne a donné son accord pour être suivie (nom, contact et historique conservés)."),
        required=False,
    )
    # Collective workshops.
    participants = forms.IntegerField(
        label=_("Nombre de participants"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        error_messages={"invalid": _("Saisissez un nombre entier.")},
    )

    def __init__(
        self,
        *args: Any,
        actor: Any,
        places: Any,
        beneficiaries: Any = None,
        instance: Accompaniment | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.instance = instance
        self.dimension_errors: dict[str, list[str]] = {}
        self.fields["place"].queryset = places
        self.fields["beneficiary"].queryset = beneficiaries if beneficiaries is not None else Beneficiary.objects.none()
        self.fields["commune"].queryset = Commune.objects.current().order_by("name")
        for name in services.COUNT_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=Accompaniment._meta.get_field(name).verbose_name.capitalize(),  # type: ignore[union-attr]
                required=False,
                min_value=0,
                max_value=500,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "class": "count-input"}),
                error_messages={
                    "invalid": _("Saisissez un nombre entier."),
                    "min_value": _("Un nombre de personnes ne peut pas être négatif."),
                    "max_value": _("500 personnes au plus."),
                },
            )
        self.order_fields([*self.fields])

    # --- shape for the template -------------------------------------------------------------

    @property
    def kind_value(self) -> str:
        return str(self["kind"].value() or AccompanimentKind.INDIVIDUAL)

    def dimension_fields(self) -> list[dict[str, Any]]:
        return [
            {
                "key": dimension,
                "label": services.dimension_label(dimension),
                "fields": [self[name] for name in names],
                "errors": self.dimension_errors.get(f"{dimension}_counts", []),
            }
            for dimension, names in services.COUNT_DIMENSIONS.items()
        ]

    # --- cleaning ------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("duration") or ""
        if choice == OTHER_DURATION:
            if data.get("duration_other") is None and "duration_other" not in self.errors:
                self.add_error("duration_other", _("Indiquez la durée en minutes."))
            data["duration_minutes"] = data.get("duration_other")
        elif choice:
            data["duration_minutes"] = int(choice)
        elif data.get("duration_other") is not None:
            data["duration_minutes"] = data["duration_other"]
        else:
            self.add_error("duration", _("Choisissez une durée."))
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ``ValidationError`` next to its fields (sums next to their fieldset)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            if field in DIMENSION_ERRORS:
                self.dimension_errors.setdefault(field, []).extend(messages)
                self.add_error(None, messages)
            elif field == "duration_minutes":
                other = self.cleaned_data.get("duration") == OTHER_DURATION
                self.add_error("duration_other" if other else "duration", messages)
            elif field in self.fields:
                self.add_error(field, messages)
            else:
                self.add_error(None, messages)

    def service_values(self) -> dict[str, Any]:
        """The keyword arguments of ``accompaniment_create`` (without actor and beneficiary)."""
        data = self.cleaned_data
        kind = data["kind"]
        collective = kind == AccompanimentKind.COLLECTIVE
        return {
            "kind": kind,
            "place": data.get("place"),
            "date": data.get("date"),
            "duration_minutes": data.get("duration_minutes"),
            "place_type": data.get("place_type") or PlaceType.ON_SITE,
            "themes": data.get("themes") or [],
            "admin_themes": data.get("admin_themes") or [],
            "equipment_used": data.get("equipment_used") or [],
            "autonomy": data.get("autonomy") or "",
            "oriented_to": data.get("oriented_to") or "",
            "help_reason": data.get("help_reason") or "",
            "outcome": data.get("outcome") or "",
            "notes": data.get("notes") or "",
            "participants": data.get("participants") if collective else 1,
            "counts": {name: data.get(name) or 0 for name in services.COUNT_FIELDS} if collective else {},
        }

    def beneficiary_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data.get("first_name") or "",
            "last_name": data.get("last_name") or "",
            "phone": data.get("phone") or "",
            "email": data.get("email") or "",
            "commune": data.get("commune"),
            "birth_year": data.get("birth_year"),
            "consent": bool(data.get("consent")),
        }

    @classmethod
    def initial_for(
        cls,
        *,
        kind: str,
        places: Any,
        instance: Accompaniment | None = None,
        prefill: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Sensible defaults: today, the person's only place, on site, 30 min, anonymous."""
        if instance is not None:
            initial: dict[str, Any] = {
                name: getattr(instance, name)
                for name in (
                    "kind",
                    "place",
                    "date",
                    "place_type",
                    "themes",
                    "admin_themes",
                    "equipment_used",
                    "autonomy",
                    "oriented_to",
                    "help_reason",
                    "outcome",
                    "notes",
                    "participants",
                    "beneficiary",
                    *services.COUNT_FIELDS,
                )
            }
            minutes = instance.duration_minutes
            if minutes in services.PRESET_DURATIONS:
                initial["duration"] = str(minutes)
            else:
                initial["duration"], initial["duration_other"] = OTHER_DURATION, minutes
            initial["follow"] = instance.beneficiary_id is not None
            return initial
        initial = {
            "jeton": new_submit_token(),
            "kind": kind,
            "date": timezone.localdate(),
            "duration": "30",
            "place_type": PlaceType.ON_SITE,
        }
        only = list(places[:2])
        if len(only) == 1:
            initial["place"] = only[0]
        if kind == AccompanimentKind.PROCEDURE:
            initial["equipment_used"] = [EquipmentUsed.KIOSK]
        if prefill:
            initial.update({key: value for key, value in prefill.items() if key != "session"})
            minutes = prefill.get("duration_minutes")
            if minutes in services.PRESET_DURATIONS:
                initial["duration"] = str(minutes)
            elif minutes:
                initial["duration"], initial["duration_other"] = OTHER_DURATION, minutes
            total = prefill.get("participants") or 0
            if total:
                initial.update({"gender_unknown": total, "age_unknown": total, "status_unknown": total})
        return initial


class AccompanimentFilterForm(forms.Form):
    """Filters of the list and of the CSV export."""

    lieu = forms.ModelChoiceField(
        label=_("Structure"), queryset=Place.objects.none(), required=False, empty_label=_("Toutes")
    )
    mois = forms.RegexField(
        label=_("Mois"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-03"}),
        error_messages={"invalid": _("Saisissez un mois sous la forme AAAA-MM (par exemple 2026-03).")},
    )
    type = forms.ChoiceField(label=_("Type"), choices=[("", _("Tous")), *AccompanimentKind.choices], required=False)
    auteur = forms.ChoiceField(
        label=_("Rédigés par"),
        choices=[("moi", _("moi")), ("tous", _("toute l'équipe de mes structures"))],
        required=False,
    )

    def __init__(self, *args: Any, places: Any, manager: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lieu"].queryset = places
        if manager:
            self.fields["auteur"].choices = [("tous", _("toute l'équipe du réseau")), ("moi", _("moi"))]


class BeneficiarySearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher une personne (nom, prénom, téléphone)"), required=False, max_length=80)
