"""Forms of the programme team's pages: a programme with all its fields and its expense
categories (a formset). They check the shape of what is typed; the rules (dates in order,
rate in ]0, 100], budget not below what is committed, unique slug and code...) are the
service's and come back next to the fields through ``add_service_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import plausible_key

from ..models import ExpenseCategory, GrantProgramme, SpeedClass
from ..services.programmes import (
    CATEGORIES_MAX,
    CATEGORY_CODE_MAX,
    CATEGORY_DESCRIPTION_MAX,
    CATEGORY_LABEL_MAX,
    CATEGORY_POSITION_MAX,
    CONDITIONS_MAX,
    FIELDS,
    FUNDER_MAX,
    NAME_MAX,
    SLUG_MAX,
    SUMMARY_MAX,
    CategoryInput,
)

SPACES = (" ", "\u00a0", "\u202f", "\u2009", "€", "%")


class FrenchDecimalField(forms.DecimalField):
    """Accepts what people type: ``2 500,50 €``, ``2500.5``, ``50 %``."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value or len(value) > 40:
                raise ValidationError(_("Indiquez un nombre, par exemple 2500 ou 2500,50."), code="invalid")
            for char in SPACES:
                value = value.replace(char, "")
            value = value.replace(",", ".")
        return super().to_python(value)


def _date_field(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 05/01/2026.")},
    )


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Nom du dispositif"), max_length=NAME_MAX)
    slug = forms.CharField(
        label=_("Identifiant dans l'adresse"),
        max_length=SLUG_MAX,
        required=False,
        help_text=_("Lettres minuscules, chiffres et tirets, par exemple « auverdata ». Vide : fait à partir du nom."),
    )
    code = forms.CharField(
        label=_("Préfixe des numéros de dossier"),
        max_length=8,
        help_text=_("2 à 8 lettres majuscules, par exemple AUV : les dossiers seront numérotés AUV-2026-00001."),
    )
    funder = forms.CharField(label=_("Financeur"), max_length=FUNDER_MAX)
    summary = forms.CharField(
        label=_("Présentation"),
        required=False,
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Quelques phrases simples : à qui s'adresse l'aide et ce qu'elle finance."),
    )
    rate_percent = FrenchDecimalField(
        label=_("Taux de l'aide (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Part des dépenses éligibles prise en charge, par exemple 50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    cap_per_application = FrenchDecimalField(
        label=_("Plafond de l'aide par dossier (€)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Par exemple 2500. Laissez vide s'il n'y a pas de plafond."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    budget = FrenchDecimalField(
        label=_("Enveloppe budgétaire (€)"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Le total des aides que le dispositif peut accorder, par exemple 150000."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    opens_on = _date_field(_("Ouverture des demandes"), _("Premier jour où une demande peut être déposée."))
    closes_on = _date_field(_("Clôture des demandes"), _("Dernier jour où une demande peut être déposée."))
    is_published = forms.BooleanField(label=_("Publié (visible du public)"), required=False)
    requires_active_siret = forms.BooleanField(label=_("SIRET actif exigé"), required=False)
    applicant_conditions = forms.CharField(
        label=_("Autres conditions pour le demandeur"),
        required=False,
        max_length=CONDITIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Une condition par ligne : le demandeur certifie chacune avant de déposer."),
    )
    coverage_rule_enabled = forms.BooleanField(label=_("Condition de débit filaire"), required=False)
    coverage_threshold = forms.ChoiceField(
        label=_("Seuil de débit filaire"),
        choices=SpeedClass.choices,
        help_text=_("Les locaux sont éligibles si leur meilleur débit filaire est inférieur à cette classe."),
    )
    de_minimis_ceiling = FrenchDecimalField(
        label=_("Plafond de minimis sur 3 ans (€)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("300000 pour le règlement (UE) 2023/2831."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    contact_email = forms.CharField(
        label=_("Adresse électronique de contact"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    @classmethod
    def initial_from(cls, programme: GrantProgramme) -> dict[str, Any]:
        return {name: getattr(programme, name) for name in FIELDS}

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in FIELDS}


class CategoryForm(forms.Form):
    pk = forms.CharField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(label=_("Libellé"), max_length=CATEGORY_LABEL_MAX)
    code = forms.CharField(
        label=_("Code"),
        max_length=CATEGORY_CODE_MAX,
        required=False,
        help_text=_("Minuscules, chiffres et tirets. Vide : fait à partir du libellé."),
    )
    description = forms.CharField(
        label=_("Ce qu'elle couvre"),
        required=False,
        max_length=CATEGORY_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_eligible = forms.BooleanField(
        label=_("Dépense éligible (décochez pour l'exclure)"), required=False, initial=True
    )
    position = forms.IntegerField(
        label=_("Ordre d'affichage"),
        min_value=0,
        max_value=CATEGORY_POSITION_MAX,
        required=False,
        error_messages={"invalid": _("Indiquez un nombre entier, par exemple 10.")},
    )

    def clean_pk(self) -> int | None:
        value = self.cleaned_data.get("pk") or ""
        if not value:
            return None
        if not plausible_key(value):
            raise ValidationError(_("Catégorie inconnue : rechargez la page."), code="invalid_choice")
        return int(value)

    def to_input(self) -> CategoryInput:
        data = self.cleaned_data
        return CategoryInput(
            pk=data.get("pk"),
            label=data.get("label", ""),
            code=data.get("code", ""),
            description=data.get("description", ""),
            is_eligible=bool(data.get("is_eligible")),
            position=data.get("position") if data.get("position") is not None else 0,
            delete=bool(data.get("DELETE")),
        )


class BaseCategoryFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        codes: list[str] = []
        for form in self.forms:
            if not form.has_changed() and not form.cleaned_data.get("pk"):
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            code = (form.cleaned_data.get("code") or "").strip().lower()
            if code and code in codes:
                form.add_error("code", _("Une autre catégorie de ce formulaire a déjà ce code."))
            codes.append(code)

    def inputs(self, *, with_pk: bool = True) -> list[CategoryInput]:
        """The categories to save: new rows that were filled in and every existing row."""
        rows = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            item = form.to_input()
            if not with_pk:
                if item.delete:
                    continue
                item = CategoryInput(**{**item.__dict__, "pk": None})
            rows.append(item)
        return rows


CategoryFormSet = forms.formset_factory(
    CategoryForm,
    formset=BaseCategoryFormSet,
    extra=2,
    can_delete=True,
    max_num=CATEGORIES_MAX,
    validate_max=True,
    absolute_max=CATEGORIES_MAX + 10,
)


def category_initial(categories: list[ExpenseCategory]) -> list[dict[str, Any]]:
    return [
        {
            "pk": str(category.pk),
            "label": category.label,
            "code": category.code,
            "description": category.description,
            "is_eligible": category.is_eligible,
            "position": category.position,
        }
        for category in categories
    ]
