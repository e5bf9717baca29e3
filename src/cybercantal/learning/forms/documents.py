"""Forms of part "documents": sending files, naming and moving folders and documents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..queries.documents import FolderChoice

ROOT = "racine"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [item for item in files if item]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Fichiers à envoyer"),
        help_text=_(
            "Un ou plusieurs fichiers : PDF, images, sons, vidéos, documents bureautiques (ODT, DOCX…) ou texte."
        ),
        error_messages={"required": _("Choisissez au moins un fichier.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({"multiple": True, "class": "documents-upload__input"})


class NameForm(forms.Form):
    name = forms.CharField(
        label=_("Nom"),
        max_length=400,  # cleaned and cut by the service; a longer name is not an error
        error_messages={"required": _("Donnez un nom.")},
    )

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["name"].label = label
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})


class MoveForm(forms.Form):
    destination = forms.ChoiceField(
        label=_("Ranger dans"), error_messages={"invalid_choice": _("Choisissez un dossier de la liste.")}
    )

    def __init__(self, *args: Any, choices: list[FolderChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [(str(c.pk) if c.pk else ROOT, c.label) for c in choices]

    def folder_id(self) -> int | None:
        value = self.cleaned_data["destination"]
        return None if value == ROOT else int(value)
