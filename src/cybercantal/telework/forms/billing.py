"""Forms of part "billing": the lists' filters, issuing a month, a credit note.

They shape what people choose; amounts never come from here (the service reads them from the
plans, agreements and bookings)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField
from cybercantal.core.money import format_euros

from ..models import InvoiceKind, InvoiceLine


def past_months(count: int, *, include_current: bool = False) -> list[tuple[str, str]]:
    """``[("2026-03", "mars 2026"), ...]``, the most recent first."""
    first = timezone.localdate().replace(day=1)
    if not include_current:
        first = (first - dt.timedelta(days=1)).replace(day=1)
    months = []
    for _index in range(count):
        months.append((first.strftime("%Y-%m"), date_format(first, "F Y")))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months


def parse_month(value: str) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in value.split("-"))
    except (ValueError, AttributeError):
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


class ServiceErrorsMixin:
    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ``ValidationError`` next to its fields (the others on top)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)  # type: ignore[attr-defined]
            return
        for name, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            self.add_error(name if name in self.fields else None, messages)  # type: ignore[attr-defined]


class InvoiceFilterForm(forms.Form):
    """Filters of the invoice lists (GET): month billed, payer, operator, kind."""

    mois = forms.ChoiceField(label=_("Mois facturé"), required=False)
    client = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=100,
        help_text=_("Le nom du membre ou de l'employeur (le début d'un mot suffit), ou un numéro de facture."),
    )
    exploitant = SafeModelChoiceField(
        label=_("Exploitant"), queryset=Organisation.objects.none(), required=False, empty_label=_("Tous")
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Factures et avoirs")), *InvoiceKind.choices]
    )

    def __init__(self, *args: Any, operators: QuerySet[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mois"].choices = [  # type: ignore[attr-defined]
            ("", _("Tous les mois")),
            *past_months(36, include_current=True),
        ]
        if operators is None:
            del self.fields["exploitant"]
        else:
            self.fields["exploitant"].queryset = operators  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        month = parse_month(data.get("mois") or "")
        return {
            "period": dt.date(month[0], month[1], 1) if month else None,
            "payer": (data.get("client") or "").strip(),
            "operator": data.get("exploitant"),
            "kind": data.get("type") or "",
        }


class IssueForm(ServiceErrorsMixin, forms.Form):
    """Which operator and which month to issue (a month that is over)."""

    operator = SafeModelChoiceField(
        label=_("Exploitant"),
        queryset=Organisation.objects.none(),
        error_messages={"required": _("Choisissez l'exploitant."), "invalid_choice": _("Choisissez l'exploitant.")},
    )
    month = forms.ChoiceField(
        label=_("Mois à facturer"),
        error_messages={"required": _("Choisissez le mois."), "invalid_choice": _("Choisissez un mois terminé.")},
        help_text=_("Seuls les mois terminés se facturent. Une facture déjà émise ne l'est pas une seconde fois."),
    )

    def __init__(self, *args: Any, operators: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = operators  # type: ignore[attr-defined]
        self.fields["month"].choices = past_months(12)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("month", past_months(1)[0][0])
            only = list(operators[:2])
            if len(only) == 1:
                self.initial.setdefault("operator", only[0].pk)

    def month_value(self) -> tuple[int, int]:
        parsed = parse_month(self.cleaned_data["month"])
        if parsed is None:  # pragma: no cover - the choices are valid months
            raise ValidationError(self.fields["month"].error_messages["invalid_choice"])
        return parsed


class LineChoiceField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj: InvoiceLine) -> str:
        return f"{obj.description} — {format_euros(obj.total_excl_tax)} HT"


class CreditForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'avoir"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il figure sur l'avoir envoyé au client (300 caractères au plus)."),
        error_messages={
            "required": _("Indiquez le motif de l'avoir."),
            "max_length": _("Le motif tient en 300 caractères au plus."),
        },
    )
    lines = LineChoiceField(
        label=_("Lignes à annuler"),
        queryset=InvoiceLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choisissez au moins une ligne à annuler."),
            "invalid_choice": _("Une des lignes choisies est déjà annulée ou n'est pas de cette facture."),
            "invalid_pk_value": _("Une des lignes choisies est déjà annulée ou n'est pas de cette facture."),
        },
        help_text=_("Toutes les lignes : l'avoir annule la facture entière."),
    )

    def __init__(self, *args: Any, lines: QuerySet[InvoiceLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = lines  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("lines", [line.pk for line in lines])


class OperatorBillingForm(ServiceErrorsMixin, forms.Form):
    """An operator's invoicing details. The form checks types and lengths; the service
    (``services.operators.operator_billing_save``) checks the SIRET, VAT number, IBAN, prefix
    and payment terms and says what is wrong next to each field."""

    legal_name = forms.CharField(
        label=_("Raison sociale"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"required": _("Indiquez la raison sociale de l'exploitant.")},
    )
    legal_form = forms.CharField(
        label=_("Forme juridique et capital"),
        max_length=200,
        required=False,
        help_text=_("Par exemple « SCIC SARL au capital de 10 000 € » ou « Association loi 1901 »."),
    )
    address = forms.CharField(
        label=_("Adresse du siège"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        error_messages={"required": _("Indiquez l'adresse du siège de l'exploitant.")},
    )
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        help_text=_("14 chiffres ; les espaces sont acceptés."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Indiquez le SIRET de l'exploitant.")},
    )
    vat_exempt = forms.BooleanField(
        label=_("Franchise en base de TVA (les factures portent « TVA non applicable, art. 293 B du CGI »)"),
        required=False,
    )
    vat_number = forms.CharField(
        label=_("Numéro de TVA intracommunautaire"),
        max_length=20,
        required=False,
        help_text=_("FR suivi de 11 caractères, par exemple FR 44 732829320. Obligatoire sauf en franchise en base."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    invoice_prefix = forms.CharField(
        label=_("Préfixe des numéros de facture"),
        max_length=10,
        help_text=_(
            "1 à 10 lettres sans accent, chiffres ou tirets : les numéros seront PRÉFIXE-année-00001. "
            "Il ne pourra plus changer après la première facture."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": _("Indiquez le préfixe des numéros de facture.")},
    )
    payment_terms_days = forms.IntegerField(
        label=_("Délai de paiement (jours)"),
        help_text=_("De 0 (paiement à réception) à 60 jours au plus, comme le veut la loi."),
        error_messages={
            "required": _("Indiquez le délai de paiement, de 0 à 60 jours."),
            "invalid": _("Indiquez un nombre de jours, de 0 à 60."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    late_penalty_rate = forms.CharField(
        label=_("Taux des pénalités de retard"),
        max_length=100,
        help_text=_("Par exemple « 3 fois le taux d'intérêt légal »."),
        error_messages={"required": _("Indiquez le taux des pénalités de retard.")},
    )
    iban = forms.CharField(
        label=_("IBAN (facultatif)"),
        max_length=42,
        required=False,
        help_text=_("Imprimé sur les factures pour les virements ; les espaces sont acceptés."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, prefix_frozen: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.error_messages["max_length"] = _(
                    "%(limit_value)d caractères au plus (vous en avez saisi %(show_value)d)."
                )
        if prefix_frozen:
            field = self.fields["invoice_prefix"]
            field.disabled = True
            field.help_text = _(
                "Figé : cet exploitant a déjà émis des factures, et la numérotation ne change pas en cours d'année."
            )

    @staticmethod
    def initial_from(billing: Any, operator: Organisation) -> dict[str, Any]:
        if billing is None:  # a new operator: what the directory knows already
            return {
                "legal_name": operator.name,
                "siret": operator.siret,
                "invoice_prefix": "FAC",
                "payment_terms_days": 30,
                "late_penalty_rate": "3 fois le taux d'intérêt légal",
            }
        from ..services.operators import FIELDS

        return {name: getattr(billing, name) for name in FIELDS}
