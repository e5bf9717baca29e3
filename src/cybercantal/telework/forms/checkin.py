"""Forms of the arrival pages and of the calendar settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..queries.checkin import normalise_code


class CheckinCodeForm(forms.Form):
    """The 8-character code of a booking, typed by its member (case and spaces ignored)."""

    code = forms.CharField(
        label=_("Code d'arrivée"),
        max_length=64,
        help_text=_("8 lettres et chiffres, sur la page de votre réservation et dans le courriel de confirmation."),
        error_messages={"required": _("Saisissez le code de votre réservation.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "class": "checkin-code-input",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(
                _("Un code d'arrivée compte 8 caractères, lettres et chiffres (sans 0, O, 1 ni I)."), code="format"
            )
        return code


class ConfirmForm(forms.Form):
    """A box to tick before an action that cannot be undone (a new secret address)."""

    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": _("Cochez la case pour confirmer.")},
    )

    def __init__(self, *args: Any, label: str, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = label
        self.fields["confirm"].help_text = help_text
