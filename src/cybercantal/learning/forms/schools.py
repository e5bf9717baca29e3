"""Forms of the part "schools": what people send is checked here, the rules live in
``services.schools``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from ..models import Level, SchoolClass, SchoolMember

UAI_MESSAGE = _("Le code UAI compte sept chiffres suivis d'une lettre majuscule, par exemple 0150012A.")


class SchoolCreateForm(forms.Form):
    place = SafeModelChoiceField(
        label=_("Collège (lieu de l'annuaire)"),
        queryset=None,
        empty_label=_("— Choisissez un collège —"),
        help_text=_("Seuls les collèges de l'annuaire qui n'ont pas encore d'ENT sont proposés."),
    )
    uai = forms.CharField(
        label=_("Code UAI (RNE)"),
        max_length=8,
        min_length=8,
        validators=[RegexValidator(r"^[0-9]{7}[A-Z]$", UAI_MESSAGE)],
        help_text=_("Sept chiffres et une lettre, par exemple 0150012A."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        error_messages={"min_length": UAI_MESSAGE, "max_length": UAI_MESSAGE},
    )
    name = forms.CharField(
        label=_("Nom affiché"),
        max_length=200,
        required=False,
        help_text=_("Facultatif : le nom du lieu par défaut."),
    )

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places
        self.fields["place"].label_from_instance = lambda place: f"{place.name} ({place.commune.name})"

    def clean_uai(self) -> str:
        return self.cleaned_data["uai"].strip().upper()

    def full_clean(self) -> None:
        if self.is_bound and "uai" in self.data:  # typed in lower case: accepted
            data = self.data.copy()
            data["uai"] = str(data.get("uai", "")).strip().upper()
            self.data = data
        super().full_clean()


class StaffAppointForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        help_text=_(
            "Si la personne n'a pas de compte, il est créé et elle reçoit un lien pour choisir son mot de passe."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    is_head = forms.BooleanField(label=_("Chef d'établissement"), required=False)


class ClassForm(forms.Form):
    name = forms.CharField(
        label=_("Nom"),
        max_length=60,
        help_text=_("Par exemple « 5e B » pour une classe, « Latin 5e » pour un groupe."),
    )
    kind = forms.ChoiceField(
        label=_("Classe ou groupe"),
        choices=SchoolClass.Kind.choices,
        widget=forms.RadioSelect,
        initial=SchoolClass.Kind.CLASS,
        help_text=_("Un élève est dans une seule classe par an ; les groupes (options, demi-groupes) s'y ajoutent."),
    )
    level = forms.ChoiceField(
        label=_("Niveau"),
        choices=[("", _("— Sans niveau —")), *Level.choices],
        required=False,
        help_text=_("Déduit du nom s'il commence par 6e, 5e, 4e ou 3e."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]


class MembersForm(forms.Form):
    students = SafeModelMultipleChoiceField(
        label=_("Élèves"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = pupils


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, identifiant ou adresse"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Qualité"),
        choices=[("", _("Tous")), *SchoolMember.Kind.choices],
        required=False,
    )


class RolloverForm(forms.Form):
    """One text field per class of the old year: the name of its class next year (empty:
    its pupils leave the school)."""

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"target_{row.school_class.pk}"] = forms.CharField(
                label=_("Classe de %(name)s l'an prochain") % {"name": row.school_class.name},
                max_length=60,
                required=False,
                initial=row.target or "",
                help_text=_("Laisser vide : les élèves quittent le collège."),
            )

    def promotions(self) -> dict[int, str | None]:
        return {
            row.school_class.pk: (self.cleaned_data.get(f"target_{row.school_class.pk}") or "").strip() or None
            for row in self.rows
        }

    def bound_rows(self) -> list[tuple[Any, Any]]:
        return [(row, self[f"target_{row.school_class.pk}"]) for row in self.rows]
