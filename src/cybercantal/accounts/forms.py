"""Forms of the accounts app: organisations, role grants (admin), deletion request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.core import ratelimit
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Organisation, RoleMembership, User
from .validators import normalise_siret


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (or on the form).

    Shared by the forms and views of every app that call services with a form's data.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class OrganisationForm(forms.ModelForm):
    """Name, kind, optional SIRET (checked by python-stdnum), contact details."""

    # Declared here (not from the model) so that a SIRET typed with spaces is accepted
    # before being normalised to its 14 digits.
    siret = forms.CharField(
        label=_("SIRET"),
        required=False,
        max_length=20,
        help_text=_("Facultatif. 14 chiffres ; les espaces sont acceptés."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "siret", "commune", "email", "phone"]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
        }

    def clean_siret(self) -> str:
        try:
            siret = normalise_siret(self.cleaned_data.get("siret"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["siret"]) from exc
        if siret and Organisation.objects.filter(siret=siret).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Une organisation porte déjà ce numéro SIRET."))
        return siret


def scope_models() -> list[type[models.Model]]:
    """Models a membership may be scoped to, among the installed apps."""
    found: list[type[models.Model]] = [Organisation]
    for label in ("places.Place",):
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


class RoleGrantForm(forms.ModelForm):
    """Admin form to grant a role: it calls ``services.role_grant`` (journalled)."""

    scope_organisation = forms.ModelChoiceField(
        label=_("Organisation (périmètre)"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )

    class Meta:
        model = RoleMembership
        fields = ["user", "role", "starts_on", "ends_on"]
        help_texts = {
            "starts_on": _("Par défaut, aujourd'hui."),
            "ends_on": _("Laisser vide pour un rôle sans date de fin."),
        }

    def __init__(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["starts_on"].required = False
        self.fields["starts_on"].initial = timezone.localdate
        for model in scope_models()[1:]:
            name = f"scope_{model._meta.model_name}"
            self.fields[name] = forms.ModelChoiceField(
                label=_("%(model)s (périmètre)") % {"model": str(model._meta.verbose_name).capitalize()},
                queryset=model._default_manager.order_by(*(["name"] if hasattr(model, "name") else ["pk"])),
                required=False,
            )
        self.fields["role"].help_text = _(
            "Médiateur, agent de borne, gestionnaire de télécentre, responsable employeur, enseignant, élève et "
            "entreprise demandeuse exigent un périmètre ; chargé de programme, instructeur et administrateur "
            "couvrent tout le département."
        )

    def scope_field_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith("scope_")]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        chosen = [cleaned.get(name) for name in self.scope_field_names() if cleaned.get(name) is not None]
        if len(chosen) > 1:
            raise ValidationError(_("Choisissez un seul périmètre : une organisation ou un lieu."))
        cleaned["scope"] = chosen[0] if chosen else None
        if self.errors:
            return cleaned
        try:
            services.role_grant_check(
                actor=self.actor,
                user=cleaned["user"],
                role=cleaned["role"],
                scope=cleaned["scope"],
                starts_on=cleaned.get("starts_on") or timezone.localdate(),
                ends_on=cleaned.get("ends_on"),
            )
        except services.NotAllowed as exc:
            self.add_error("role", str(exc))
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "scope" in exc.error_dict:
                target = self.scope_field_names()[0]
                for error in exc.error_dict.pop("scope"):
                    self.add_error(target, error)
            add_service_errors(self, exc)
        return cleaned

    def grant(self) -> RoleMembership:
        data = self.cleaned_data
        return services.role_grant(
            actor=self.actor,
            user=data["user"],
            role=data["role"],
            scope=data["scope"],
            starts_on=data.get("starts_on") or None,
            ends_on=data.get("ends_on"),
        )


class RoleEndForm(forms.ModelForm):
    """Admin form to end a membership: only the last day can change."""

    class Meta:
        model = RoleMembership
        fields = ["ends_on"]
        labels = {"ends_on": _("Dernier jour du rôle")}

    def __init__(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["ends_on"].required = True

    def clean_ends_on(self) -> dt.date:
        on = self.cleaned_data["ends_on"]
        try:
            services.role_end_check(actor=self.actor, membership=self.instance, on=on)
        except services.NotAllowed as exc:
            raise ValidationError(str(exc)) from exc
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("on", exc.messages)) from exc
        return on


class DeletionRequestForm(forms.Form):
    """The person confirms with their password and a tick that they want their account deleted."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Pour vérifier que c'est bien vous (sur un ordinateur partagé, par exemple)."),
    )
    confirm = forms.BooleanField(
        label=_("Je demande la suppression de mon compte et de mes données personnelles."),
        error_messages={"required": _("Cochez la case pour confirmer votre demande.")},
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Same limit as allauth's "confirm your password" page: the form must not let a
        # borrowed session try passwords without end.
        if self.request is not None and not ratelimit.consume(self.request, action="reauthenticate", user=self.user):
            raise ValidationError(_("Trop d'essais de mot de passe : attendez une minute avant de réessayer."))
        if not self.user.check_password(password):
            raise ValidationError(_("Ce mot de passe n'est pas le bon."))
        return password
