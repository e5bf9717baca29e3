"""Form fields shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

MAX_PK_DIGITS = 18  # below 2**63: a longer number makes SQLite overflow (a 500, not an error)


def plausible_key(value: Any, *, digits: bool = True) -> bool:
    """A value a database lookup can take: no NUL byte, not huge, and for ids a short run of
    ASCII digits."""
    text = str(value)
    if "\x00" in text or len(text) > 120:
        return False
    return not digits or (text.isascii() and text.isdigit() and len(text) <= MAX_PK_DIGITS)


class SafeModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose junk input (huge number, NUL byte) is "not one of the
    choices" instead of reaching the database driver."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not plausible_key(value, digits=self.to_field_name is None):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The same for a multiple choice."""

    def _check_values(self, value: Any) -> Any:
        for item in value:
            if not plausible_key(item, digits=self.to_field_name is None):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": str(item)[:30]}
                )
        return super()._check_values(value)
