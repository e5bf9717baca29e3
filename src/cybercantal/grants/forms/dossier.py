"""Forms of the dossier part: a message of the thread, with its attachments.

The form only shapes what the person sent; the rules (empty or too long text, number, kind
and size of the files) live in ``services.messages`` and come back next to the fields through
``add_service_errors``. The text typed is kept when something is refused.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..services.documents import max_upload_bytes
from ..services.messages import MAX_ATTACHMENTS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (``<input type="file" multiple>``); none is fine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.webp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        single = super().clean
        return [single(item, initial) for item in items if item]


class MessageForm(forms.Form):
    jeton = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    body = forms.CharField(
        label=_("Votre message"),
        required=False,  # the service says "Écrivez votre message." (one rule, one place)
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("10 000 caractères au plus."),
    )
    files = MultipleFileField(
        label=_("Pièces jointes (facultatif)"),
        error_messages={
            "invalid": _("Le fichier envoyé n'a pas pu être lu : choisissez-le à nouveau."),
            "empty": _("Le fichier envoyé est vide."),
            "missing": _("Aucun fichier n'a été reçu : choisissez-le à nouveau."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        megabytes = max_upload_bytes() // (1024 * 1024)
        self.fields["files"].help_text = gettext(
            "PDF, JPEG, PNG ou WebP ; %(count)s fichiers au plus, de %(size)s Mo chacun au maximum."
        ) % {"count": MAX_ATTACHMENTS, "size": megabytes}
        if not self.is_bound:
            self.initial.setdefault("jeton", secrets.token_urlsafe(18))

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ``ValidationError`` next to its fields (the others on top)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            self.add_error(name if name in self.fields else None, messages)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "body": data.get("body") or "",
            "files": list(data.get("files") or []),
            "submit_token": data.get("jeton") or "",
        }
