"""Forms of the part "provisioning": CSV imports, activation letters, activation, sign-in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..imports import MAX_BYTES, PARENTS, STUDENTS, TEACHERS

KIND_CHOICES = [
    (STUDENTS, _("Élèves (avec leur classe et leurs groupes)")),
    (TEACHERS, _("Enseignants (avec leurs matières et leurs classes)")),
    (PARENTS, _("Responsables légaux (liés aux élèves)")),
]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Que contient le fichier ?"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_(
            "Exporté du logiciel de vie scolaire ou enregistré depuis un tableur au format CSV "
            "(séparateur point-virgule, virgule ou tabulation ; UTF-8 ou Windows). 2 Mo au plus."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    year = forms.TypedChoiceField(label=_("Année scolaire"), coerce=int, required=False)

    def __init__(
        self, *args: Any, years: list[Any] | None = None, kinds: list[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:  # a teacher imports only the pupils of her classes
            self.fields["kind"].choices = [(k, label) for k, label in KIND_CHOICES if k in kinds]
            self.fields["kind"].initial = kinds[0]
        years = years or []
        self.fields["year"].choices = [(y.pk, y.label) for y in years]
        if len(years) <= 1:
            self.fields["year"].widget = forms.HiddenInput()
        if years:
            self.fields["year"].initial = years[0].pk

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("Ce fichier pèse %(size)s ko : le maximum est %(max)s ko. Envoyez-le en plusieurs parties.")
                % {"size": upload.size // 1024, "max": MAX_BYTES // 1024}
            )
        data = upload.read(MAX_BYTES + 1)
        self.file_name = str(upload.name or "import.csv")[:200]
        return data


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    mark_leavers = forms.BooleanField(
        label=_("Les élèves absents du fichier ont quitté l'établissement"),
        required=False,
        help_text=_("Ne cochez que si le fichier contient tous les élèves du collège."),
    )


class LettersForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Lettres pour"),
        choices=[("students", _("les élèves")), ("parents", _("les responsables sans adresse électronique"))],
        initial="students",
        widget=forms.RadioSelect,
    )
    scope = forms.ChoiceField(
        label=_("Quels comptes ?"),
        choices=[
            ("new", _("seulement ceux qui ne sont pas encore activés")),
            ("all", _("tous (chacun devra choisir un nouveau mot de passe)")),
        ],
        initial="new",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("J'ai compris : les codes déjà imprimés et non utilisés ne marcheront plus."),
        error_messages={"required": _("Cochez cette case pour imprimer de nouveaux codes.")},
    )


class ResetForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("J'ai compris : l'ancien mot de passe ne marchera plus et l'élève est déconnecté partout."),
        error_messages={"required": _("Cochez cette case pour réinitialiser le mot de passe.")},
    )


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifiant ou adresse électronique"),
        max_length=254,
        help_text=_("Ton identifiant est sur ta lettre d'activation, par exemple hugo.teyssedou."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ActivationCodeForm(forms.Form):
    login = forms.CharField(
        label=_("Identifiant"),
        max_length=60,
        help_text=_("Sur ta lettre, par exemple hugo.teyssedou."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
    code = forms.CharField(
        label=_("Code d'activation"),
        max_length=40,
        help_text=_("Sur ta lettre, par exemple K7QM-4PZT-9X. Les tirets et les majuscules ne comptent pas."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ActivationPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choisis ton mot de passe"),
        max_length=200,
        strip=False,
        help_text=_("Au moins 10 caractères. Par exemple trois mots que tu retiendras : girafe-volcan-tartine."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    password2 = forms.CharField(
        label=_("Tape-le une deuxième fois"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Les deux mots de passe ne sont pas pareils : tape-les à nouveau."))
        return data
