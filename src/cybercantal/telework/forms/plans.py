"""Forms of part "plans". They check the shape of what is typed; the rules (one active day
pass, a carnet includes days...) are the service's and come back next to the fields through
``add_service_errors``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.places.queries import resolve_commune

from ..models import CreditUnit, MemberProfile, Plan, PlanKind, ResourceKind
from ..services.plans import PLAN_FIELDS

SPACES = (" ", "\u00a0", "\u202f", "\u2009", "€", "%", "km")


class FrenchDecimalField(forms.DecimalField):
    """Accepts what people type: ``1 234,50 €``, ``150.5``, ``12 km``."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value or len(value) > 30:
                raise ValidationError(_("Indiquez un nombre, par exemple 150 ou 150,50."), code="invalid")
            for char in SPACES:
                value = value.replace(char, "")
            value = value.replace(",", ".")
        return super().to_python(value)


def _money(label: str, *, required: bool = True, help_text: str = "") -> FrenchDecimalField:
    return FrenchDecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=Decimal("9999999"),
        max_digits=9,
        decimal_places=2,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Indiquez un montant, par exemple 150 ou 150,50."),
            "max_decimal_places": _("Au plus deux chiffres après la virgule."),
        },
    )


def _count(label: str, help_text: str = "") -> FrenchDecimalField:
    return FrenchDecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("999"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("0"),
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Indiquez un nombre, par exemple 10 ou 9,5."),
            "max_decimal_places": _("Au plus un chiffre après la virgule (demi-journées)."),
        },
    )


VAT_CHOICES = [("20", _("20 % (taux normal)")), ("10", _("10 %")), ("5.5", _("5,5 %")), ("0", _("0 % (exonéré)"))]


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Nom de la formule"), max_length=120)
    kind = forms.ChoiceField(label=_("Type"), choices=PlanKind.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Facultatif : ce que la formule apporte, pour qui elle est faite."),
    )
    price_excl_tax = _money(
        _("Prix HT (€)"),
        help_text=_("Par mois pour un abonnement, par carnet ou forfait, par journée pour le pass journée."),
    )
    vat_rate = forms.TypedChoiceField(
        label=_("Taux de TVA"), choices=VAT_CHOICES, coerce=Decimal, initial="20", empty_value=None
    )
    credit_days = _count(
        _("Journées incluses"), _("Par carnet, ou par mois pour un abonnement. 0,5 = une demi-journée.")
    )
    credit_hours = _count(_("Heures de salle de réunion incluses"), _("Par forfait, ou par mois pour un abonnement."))
    eligible_kinds = forms.MultipleChoiceField(
        label=_("Ressources couvertes par les journées incluses"),
        choices=[(k, v) for k, v in ResourceKind.choices if k != ResourceKind.MEETING_ROOM],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les heures de salle couvrent les salles de réunion."),
    )
    credit_validity_days = forms.IntegerField(
        label=_("Validité des crédits (jours)"),
        min_value=1,
        max_value=1096,
        initial=365,
        help_text=_("365 pour un carnet valable un an. Un abonnement mensuel : crédits valables le mois (31 au plus)."),
        error_messages={"invalid": _("Indiquez un nombre de jours entier.")},
    )
    days_per_week = forms.IntegerField(
        label=_("Jours par semaine au plus"),
        required=False,
        min_value=1,
        max_value=7,
        help_text=_("Facultatif. Vide : sans limite."),
        error_messages={"invalid": _("Indiquez un nombre entier entre 1 et 7.")},
    )
    usage_price_day = _money(
        _("Prix HT d'une journée au-delà des crédits (€)"),
        required=False,
        help_text=_("La demi-journée vaut la moitié. Vide : pas de réservation au-delà des crédits."),
    )
    usage_price_hour = _money(
        _("Prix HT d'une heure de salle hors crédits (€)"),
        required=False,
        help_text=_("Vide : pas de réservation de salle au-delà des crédits."),
    )
    is_public = forms.BooleanField(label=_("Proposée en ligne"), required=False, initial=True)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Une formule inactive n'accepte plus d'adhésion.")
    )

    @staticmethod
    def initial_from(plan: Plan) -> dict[str, Any]:
        initial = {name: getattr(plan, name) for name in PLAN_FIELDS}
        initial["vat_rate"] = f"{plan.vat_rate.normalize():f}"
        initial["eligible_kinds"] = list(plan.eligible_kinds)
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in PLAN_FIELDS}
        data["eligible_kinds"] = list(data["eligible_kinds"])
        data["description"] = data["description"].strip()
        data["name"] = data["name"].strip()
        return data


class ProfileForm(forms.Form):
    billing_name = forms.CharField(
        label=_("Nom sur les factures"),
        required=False,
        max_length=200,
        help_text=_("Votre nom, ou celui de votre entreprise si vous êtes indépendant(e)."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    billing_address = forms.CharField(
        label=_("Adresse de facturation"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    home_commune = forms.CharField(
        label=_("Commune de résidence"),
        required=False,
        max_length=120,
        help_text=_("Par exemple : Murat, Riom-ès-Montagnes."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    commute_km = FrenchDecimalField(
        label=_("Trajet habituel évité (km, aller simple)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("2000"),
        max_digits=6,
        decimal_places=1,
        help_text=_(
            "La distance entre chez vous et votre lieu de travail habituel (bureau de l'employeur, client…), "
            "que vous ne parcourez pas quand vous venez au télécentre. Entre 0 et 2 000 km."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Indiquez une distance en kilomètres, par exemple 45 ou 12,5."),
            "max_value": _("Entre 0 et 2 000 km."),
            "min_value": _("Entre 0 et 2 000 km."),
            "max_decimal_places": _("Au plus un chiffre après la virgule."),
            "max_digits": _("Entre 0 et 2 000 km."),
        },
    )
    commute_mode = forms.ChoiceField(
        label=_("Moyen de transport habituel"),
        required=False,
        choices=[("", _("— Je préfère ne pas le dire —")), *MemberProfile.CommuteMode.choices],
    )

    @staticmethod
    def initial_from(profile: MemberProfile | None) -> dict[str, Any]:
        if profile is None:
            return {}
        return {
            "billing_name": profile.billing_name,
            "billing_address": profile.billing_address,
            "home_commune": profile.home_commune.name if profile.home_commune else "",
            "commute_km": profile.commute_km,
            "commute_mode": profile.commute_mode,
        }

    def clean_home_commune(self) -> Any:
        text = self.cleaned_data["home_commune"].strip()
        if not text:
            return None
        match = resolve_commune(text)
        if match.commune is not None:
            return match.commune
        if match.suggestions and not match.close_spelling:
            names = ", ".join(f"{c.name} ({c.insee_code})" for c in match.suggestions[:5])
            raise ValidationError(
                _("Plusieurs communes correspondent : %(names)s. Précisez le nom complet.") % {"names": names},
                code="ambiguous",
            )
        if match.suggestions:
            names = ", ".join(c.name for c in match.suggestions[:5])
            raise ValidationError(
                _("Commune introuvable. Vouliez-vous dire : %(names)s ?") % {"names": names}, code="unknown"
            )
        raise ValidationError(_("Commune introuvable : vérifiez l'orthographe."), code="unknown")

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["commute_mode"] = data["commute_mode"] or ""
        return data


class GestureForm(forms.Form):
    unit = forms.ChoiceField(
        label=_("Type de crédits"), choices=[(CreditUnit.DAY, _("Journées")), (CreditUnit.HOUR, _("Heures de salle"))]
    )
    amount = FrenchDecimalField(
        label=_("Nombre"),
        min_value=Decimal("0.5"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": _("Indiquez un nombre, par exemple 1 ou 0,5.")},
    )
    expires_on = forms.DateField(
        label=_("Valables jusqu'au (inclus)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 31/12/2026.")},
    )
    note = forms.CharField(
        label=_("Raison"),
        max_length=300,
        help_text=_("Le membre la lira dans son relevé, par exemple « Wifi en panne le 3 mars »."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + dt.timedelta(days=90)


class EndForm(forms.Form):
    ends_on = forms.DateField(
        label=_("Dernier jour de l'adhésion"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 31/03/2026.")},
    )


class BuyAgainForm(forms.Form):
    purchases = forms.IntegerField(min_value=0, max_value=100000, widget=forms.HiddenInput)


class MembersFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou adresse électronique"), required=False, max_length=100)
    plan = forms.TypedChoiceField(label=_("Formule"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        label=_("Adhésions"),
        required=False,
        choices=[("current", _("En cours")), ("ended", _("Terminées")), ("all", _("Toutes"))],
    )

    def __init__(self, *args: Any, plans: list[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", _("Toutes")), *((str(p.pk), p.name) for p in plans)]
