"""What the kiosk screens send: the help button (what was on screen) and the display options."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cybercantal.kiosks.models import Category
from cybercantal.kiosks.queries.kiosk_mode import is_slug

DISPLAY_OPTIONS = {"contrast": "kiosk_contrast", "large": "kiosk_large"}


class HelpRequestForm(forms.Form):
    """Hidden fields: the category and the procedure on screen. Anything odd is dropped (the
    request for help must go through whatever the page sent)."""

    categorie = forms.CharField(required=False, max_length=20)
    demarche = forms.CharField(required=False, max_length=120)

    def clean_categorie(self) -> str:
        value = self.cleaned_data.get("categorie", "")
        return value if value in Category.values else ""

    def clean_demarche(self) -> str:
        value = self.cleaned_data.get("demarche", "")
        return value if is_slug(value) else ""


class DisplayOptionForm(forms.Form):
    option = forms.ChoiceField(
        choices=[("contrast", _("Contraste élevé")), ("large", _("Texte plus grand"))],
        error_messages={"invalid_choice": _("Cette option d'affichage n'existe pas.")},
    )
    suivant = forms.CharField(required=False, max_length=300)
