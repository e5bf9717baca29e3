"""Form fields shared by the telework forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    """A date typed or picked (``<input type="date">``), with French errors."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("Indiquez une date valide, par exemple 01/03/2026."),
            "required": _("Indiquez la date."),
        },
    )
