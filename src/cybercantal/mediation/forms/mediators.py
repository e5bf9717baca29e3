"""Forms of the mediators part: profiles, hiring aid, payments, labels.

They check the shape of what is typed (French messages next to the fields); the rules
(EPN only, amounts within the committed one, overlapping periods) are the services'.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.mediation.models import LabelKind, Qualification
from cybercantal.mediation.queries import mediators as queries
from cybercantal.mediation.services.mediators import EMPLOYER_KINDS
from cybercantal.places.forms import PlaceMultipleChoiceField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput(),
        error_messages={"invalid": _("Indiquez une date valide (jj/mm/aaaa)."), "required": _("Indiquez une date.")},
    )


def _money_field(label: Any, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Indiquez un montant en euros, par exemple 15000 ou 1250,50."),
            "required": _("Indiquez un montant."),
            "min_value": _("Le montant doit être supérieur à zéro."),
            "max_decimal_places": _("Un montant a au plus deux chiffres après la virgule."),
            "max_digits": _("Ce montant est trop élevé."),
            "max_whole_digits": _("Ce montant est trop élevé."),
        },
    )


def employers() -> Any:
    return Organisation.objects.filter(kind__in=EMPLOYER_KINDS).order_by("name")


class MediatorProfileForm(forms.Form):
    """What the programme team knows of a mediator (the person's names are in their account)."""

    employer = forms.ModelChoiceField(
        label=_("Employeur"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Commune, communauté de communes ou association."),
        error_messages={"invalid_choice": _("Choisissez un employeur de la liste.")},
    )
    qualifications = forms.MultipleChoiceField(
        label=_("Qualifications"),
        choices=Qualification.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Qualification inconnue : %(value)s.")},
    )
    qualifications_other = forms.CharField(label=_("Autres qualifications"), max_length=255, required=False)
    professional_phone = forms.CharField(
        label=_("Téléphone professionnel"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    started_on = _date_field(_("En poste depuis"), required=False)
    places = PlaceMultipleChoiceField(
        label=_("EPN où il ou elle travaille"),
        queryset=queries.epn_places(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choisissez des EPN de la liste.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers()
        self.fields["places"].queryset = queries.epn_places()


class MediatorCreateForm(MediatorProfileForm):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        help_text=_("Si la personne a déjà un compte, son profil de médiateur y est rattaché."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "invalid": _("Cette adresse électronique n'est pas valide."),
            "required": _("Indiquez l'adresse électronique."),
        },
    )
    first_name = forms.CharField(
        label=_("Prénom"), max_length=150, required=False, help_text=_("Obligatoire pour une personne sans compte.")
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=150, required=False, help_text=_("Obligatoire pour une personne sans compte.")
    )

    field_order = ["email", "first_name", "last_name", "employer", "qualifications", "qualifications_other"]


class HiringAidForm(forms.Form):
    employer = forms.ModelChoiceField(
        label=_("Employeur aidé"),
        queryset=Organisation.objects.none(),
        error_messages={
            "required": _("Indiquez l'employeur aidé."),
            "invalid_choice": _("Choisissez un employeur de la liste."),
        },
    )
    amount_per_year = _money_field(_("Montant annuel (€)"), help_text=_("Par exemple 15000."))
    starts_on = _date_field(_("Début"))
    ends_on = _date_field(_("Fin"), help_text=_("Dernier jour couvert par l'aide."))
    decided_on = _date_field(_("Décidée le"), required=False, help_text=_("Date de la délibération."))
    conditions = forms.CharField(
        label=_("Conditions"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("La fin doit être postérieure ou égale au début."))
        return data


class PaymentForm(forms.Form):
    paid_on = _date_field(_("Payé le"))
    amount = _money_field(_("Montant (€)"))
    reference = forms.CharField(label=_("Référence du mandat"), max_length=60, required=False)


class AidEndForm(forms.Form):
    on = _date_field(_("Dernier jour de l'aide"))


class LabelForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Label"),
        choices=[("", "---------"), *LabelKind.choices],
        error_messages={"required": _("Choisissez un label."), "invalid_choice": _("Ce label n'existe pas.")},
    )
    name = forms.CharField(label=_("Nom du label"), max_length=120, required=False, help_text=_("Pour un autre label."))
    since = _date_field(_("Depuis le"))
    until = _date_field(_("Jusqu'au"), required=False, help_text=_("Laissez vide si le label est toujours valable."))
    reference = forms.CharField(label=_("Référence"), max_length=120, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == LabelKind.OTHER and not (data.get("name") or "").strip():
            self.add_error("name", _("Indiquez le nom de ce label."))
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("La fin doit être postérieure ou égale au début."))
        return data


class LabelEndForm(forms.Form):
    on = _date_field(_("Dernier jour du label"))
