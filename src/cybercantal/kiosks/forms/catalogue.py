"""Forms of the procedures catalogue. They check the shape of what is typed; the rules
(https only, duplicate titles, lengths) are the service's and come back as field errors
through ``add_service_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Category, Procedure
from ..services.catalogue import (
    COMMENT_MAX,
    DOCUMENTS_MAX,
    NAME_MAX,
    POSITION_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    url_error,
)


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher une démarche"), required=False, max_length=200)
    categorie = forms.ChoiceField(
        label=_("Catégorie"), required=False, choices=[("", _("Toutes les catégories")), *Category.choices]
    )


class CommuneForm(forms.Form):
    commune = forms.CharField(
        label=_("Votre commune"),
        required=False,
        max_length=150,
        help_text=_("Tapez le nom de votre commune, par exemple « Murat »."),
    )


class ProcedureForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX)
    category = forms.ChoiceField(
        label=_("Catégorie"),
        choices=[("", _("Choisissez une catégorie")), *Category.choices],
        error_messages={"required": _("Choisissez une catégorie.")},
    )
    summary = forms.CharField(
        label=_("Explication en deux lignes"),
        max_length=SUMMARY_MAX,
        help_text=_("Phrases courtes, mots simples (%(max)s caractères au plus).") % {"max": SUMMARY_MAX},
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Expliquez la démarche en deux lignes.")},
    )
    documents = forms.CharField(
        label=_("Ce qu'il faut apporter"),
        required=False,
        max_length=DOCUMENTS_MAX,
        help_text=_("Un document par ligne."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    official_url = forms.CharField(
        label=_("Adresse du service en ligne officiel"),
        max_length=URL_MAX,
        help_text=_("Commence par https://"),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
        error_messages={"required": _("Indiquez l'adresse du service en ligne officiel.")},
    )
    official_name = forms.CharField(label=_("Nom du service en ligne"), required=False, max_length=NAME_MAX)
    position = forms.IntegerField(
        label=_("Ordre d'affichage"),
        min_value=0,
        max_value=POSITION_MAX,
        initial=100,
        help_text=_("Les plus petits nombres sont affichés en premier dans la catégorie."),
        error_messages={"invalid": _("Indiquez un nombre entier, par exemple 10.")},
    )
    is_published = forms.BooleanField(label=_("Publiée (visible du public et sur les bornes)"), required=False)
    comment = forms.CharField(
        label=_("Commentaire de modification"),
        required=False,
        max_length=COMMENT_MAX,
        help_text=_("Facultatif : pourquoi ce changement ? Il apparaît dans l'historique."),
    )

    def clean_official_url(self) -> str:
        url = self.cleaned_data["official_url"].strip()
        if message := url_error(url):
            raise forms.ValidationError(message)
        return url

    @classmethod
    def initial_from(cls, procedure: Procedure) -> dict[str, Any]:
        return {name: getattr(procedure, name) for name in cls.base_fields if name != "comment"}

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
