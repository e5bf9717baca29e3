"""Filters of the occupancy pages: a month (network), a range of months and a resource (one
telecentre), the range of the CSV export. Months are offered as a list, from the first
opening to the current month: nothing to type, nothing to get wrong on a phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Resource, Telecentre
from ..queries.occupancy import add_months, month_start

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 60  # five years at most on one page or in one export
INVALID_MONTH = gettext_lazy("Choisissez un mois de la liste, de l'ouverture au mois en cours.")


def month_value(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def month_label(month: dt.date) -> str:
    """``novembre 2026``."""
    return date_format(month, "F Y")


def month_choices(first: dt.date | None, *, today: dt.date | None = None) -> list[tuple[str, str]]:
    """From the current month back to ``first`` (most recent first); the current month only
    when nothing has opened yet."""
    current = month_start(today or timezone.localdate())
    first = min(month_start(first), current) if first else current
    choices = []
    month = current
    while month >= first:
        choices.append((month_value(month), month_label(month)))
        month = add_months(month, -1)
    return choices


def parse_month(value: str) -> dt.date:
    match = MONTH_RE.match(value or "")
    if match is None:
        raise ValueError(value)
    return dt.date(int(match[1]), int(match[2]), 1)


class _AccessibleForm(forms.Form):
    def full_clean(self) -> None:
        """Then tie each error to its field (``aria-invalid``, ``aria-describedby``)."""
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            field = self.fields[name]
            described = [f"id_{name}_errors"] + ([f"id_{name}_helptext"] if field.help_text else [])
            field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


class NetworkMonthForm(_AccessibleForm):
    """The network page: one month (the 12 months shown end with it)."""

    mois = forms.ChoiceField(
        label=gettext_lazy("Mois"),
        required=False,
        help_text=gettext_lazy("Les 12 mois présentés se terminent par ce mois."),
    )

    def __init__(self, *args: Any, first: dt.date | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = month_choices(first)
        self.fields["mois"].choices = choices  # type: ignore[attr-defined]
        self.fields["mois"].error_messages["invalid_choice"] = INVALID_MONTH
        self.default = parse_month(choices[0][0])

    def month(self) -> dt.date:
        """The chosen month, or the current one (also when the form is invalid)."""
        if self.is_valid() and self.cleaned_data.get("mois"):
            return parse_month(self.cleaned_data["mois"])
        return self.default


class PeriodForm(_AccessibleForm):
    """A range of months (both included): the export and one telecentre's page."""

    du = forms.ChoiceField(label=gettext_lazy("Du mois"), required=False)
    au = forms.ChoiceField(label=gettext_lazy("Au mois (inclus)"), required=False)

    def __init__(self, *args: Any, first: dt.date | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = month_choices(first)
        for name in ("du", "au"):
            self.fields[name].choices = choices  # type: ignore[attr-defined]
            self.fields[name].error_messages["invalid_choice"] = INVALID_MONTH
        self.last_default = parse_month(choices[0][0])
        oldest = parse_month(choices[-1][0])
        self.first_default = max(oldest, add_months(self.last_default, -11))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or self.cleaned_data
        if self.errors:
            return data
        first = parse_month(data["du"]) if data.get("du") else self.first_default
        last = parse_month(data["au"]) if data.get("au") else max(first, self.last_default)
        if last < first:
            self.add_error("au", _("Le dernier mois doit venir après le premier (ou être le même)."))
            return data
        if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
            self.add_error("au", _("La période ne peut pas dépasser 5 ans (60 mois)."))
            return data
        data["first"], data["last"] = first, last
        return data

    def months(self) -> tuple[dt.date, dt.date]:
        """(first, last) months: the chosen ones, or the last 12 months when invalid."""
        if self.is_valid():
            return self.cleaned_data["first"], self.cleaned_data["last"]
        return self.first_default, self.last_default


class TelecentrePeriodForm(PeriodForm):
    """One telecentre's page: a range of months and, optionally, one of its resources."""

    ressource = forms.ModelChoiceField(
        label=gettext_lazy("Ressource"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label=gettext_lazy("Toutes les ressources"),
    )

    def __init__(self, *args: Any, telecentre: Telecentre, **kwargs: Any) -> None:
        first = telecentre.opens_on or None
        super().__init__(*args, first=first, **kwargs)
        field: Any = self.fields["ressource"]
        field.queryset = Resource.objects.filter(telecentre=telecentre, is_active=True).order_by("position", "name")
        field.error_messages["invalid_choice"] = _("Choisissez une ressource de ce télécentre.")

    def resource(self) -> Resource | None:
        return self.cleaned_data.get("ressource") if self.is_valid() else None
