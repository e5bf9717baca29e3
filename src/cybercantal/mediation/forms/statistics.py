"""The filters of the statistics page: a year or a range of months, a canton, an EPN, a theme."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cybercantal.territory.models import Canton

from ..models import AdminTheme, DigitalTheme
from ..queries.statistics import Filters, Period

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 10 * 12


class MonthField(forms.CharField):
    """``<input type="month">``: ``YYYY-MM`` -> the 1st of that month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        match = MONTH_RE.match(text)
        if match is None:
            raise forms.ValidationError(_("Indiquez un mois sous la forme AAAA-MM, par exemple 2025-03."))
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Le mois doit être compris entre 01 et 12."))
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("L'année doit être comprise entre 2000 et 2100."))
        return dt.date(year, month, 1)


class StatisticsFilterForm(forms.Form):
    annee = forms.TypedChoiceField(label=gettext_lazy("Année"), coerce=int, required=False)
    du = MonthField(
        label=gettext_lazy("Du mois"),
        required=False,
        help_text=gettext_lazy("Pour une autre période qu'une année : premier mois (AAAA-MM)."),
    )
    au = MonthField(
        label=gettext_lazy("Au mois"), required=False, help_text=gettext_lazy("Dernier mois compris (AAAA-MM).")
    )
    canton = forms.ModelChoiceField(
        label=gettext_lazy("Canton"),
        queryset=Canton.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("Tous les cantons"),
    )
    lieu = forms.TypedChoiceField(label=gettext_lazy("EPN"), coerce=int, required=False, empty_value=None)
    theme = forms.ChoiceField(label=gettext_lazy("Thématique"), required=False)

    def __init__(self, *args: Any, years: list[int], places: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields  # choice fields: typed plainly
        fields["annee"].choices = [(year, str(year)) for year in years]
        fields["canton"].queryset = Canton.objects.order_by("name")
        fields["lieu"].choices = [("", _("Tous les EPN"))] + [(pk, label) for pk, label in places]
        fields["theme"].choices = [
            ("", _("Toutes les thématiques")),
            (_("Thématiques numériques"), list(DigitalTheme.choices)),
            (_("Démarches administratives"), list(AdminTheme.choices)),
        ]
        self.default_year = timezone.localdate().year

    def full_clean(self) -> None:
        """Then tie each error to its field: ``aria-invalid`` and ``aria-describedby``."""
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            field = self.fields[name]
            described = [f"id_{name}_errors"] + ([f"id_{name}_helptext"] if field.help_text else [])
            field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or self.cleaned_data
        first: Any = data.get("du")  # a month (date) or None
        last: Any = data.get("au")
        if self.errors:
            return data
        if first or last:
            if first is None:
                first = dt.date(last.year, 1, 1)
            if last is None:
                today = timezone.localdate()
                last = max(first, dt.date(today.year, today.month, 1))
            if last < first:
                self.add_error("au", _("Le dernier mois doit venir après le premier."))
                return data
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            if months > MAX_MONTHS:
                self.add_error("au", _("La période ne peut pas dépasser 10 ans."))
                return data
            data["period"] = Period(first, last)
        else:
            data["period"] = Period.year(data.get("annee") or self.default_year)
        return data

    def filters(self) -> Filters:
        """The filters, once the form is valid (the EPN offered are those in the person's scope)."""
        data = self.cleaned_data
        return Filters(
            period=data["period"],
            canton=data.get("canton"),
            place_id=data.get("lieu"),
            theme=data.get("theme") or "",
        )
