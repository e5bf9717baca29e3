"""Filters of the programme dashboard: programme, year of first submission, canton.

Each filter falls back on its default on its own when what was sent is not valid (a junk
programme, the year « abc »): the page then shows the default view with the French message
next to the field, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField
from cybercantal.territory.models import Canton

from ..models import GrantProgramme
from ..queries import followup as queries

#: How many years back the year filter offers.
YEARS_BACK = 10


@dataclass(frozen=True)
class DashboardFilters:
    programme: GrantProgramme | None
    year: int | None
    canton: Canton | None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links and the export)."""
        params = {}
        if self.programme is not None:
            params["dispositif"] = self.programme.slug
        if self.year is not None:
            params["annee"] = str(self.year)
        if self.canton is not None:
            params["canton"] = self.canton.slug
        return params


class ProgrammeChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.opens_on.year})"


class DashboardFilterForm(forms.Form):
    dispositif = ProgrammeChoiceField(
        label=_("Dispositif"),
        queryset=GrantProgramme.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=None,
    )
    annee = forms.TypedChoiceField(
        label=_("Année du premier dépôt"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    canton = SafeModelChoiceField(
        label=_("Canton"),
        queryset=Canton.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("Tout le département"),
    )

    def __init__(self, data: QueryDict | None = None, *, default: GrantProgramme | None = None) -> None:
        """``data``: the query string (unbound when empty); ``default``: the programme shown when
        none is chosen, selected in the list."""
        self.default = default
        bound = None
        if data:
            bound = data.copy()
            if not bound.get("dispositif") and default is not None:
                bound["dispositif"] = default.slug
        super().__init__(bound, initial={"dispositif": default.slug if default else None})
        this_year = timezone.localdate().year
        self.fields["annee"].choices = [("", _("Toutes les années"))] + [  # type: ignore[attr-defined]
            (str(y), str(y)) for y in range(this_year, this_year - YEARS_BACK, -1)
        ]
        self.fields["dispositif"].queryset = queries.programmes()  # type: ignore[attr-defined]
        self.fields["canton"].queryset = Canton.objects.filter(  # type: ignore[attr-defined]
            pk__in=queries.dashboard_cantons().values("pk")
        ).order_by("name")

    def filters(self) -> DashboardFilters:
        """The valid filters; each one that is not valid is its default."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return DashboardFilters(
            programme=data.get("dispositif") or self.default,
            year=data.get("annee"),
            canton=data.get("canton"),
        )
