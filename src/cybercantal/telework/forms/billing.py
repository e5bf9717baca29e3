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
