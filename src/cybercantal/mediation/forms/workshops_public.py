"""Forms of the public workshop pages: calendar filters, online registration, and the
registration a mediator takes by phone or at the desk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cybercantal.mediation.models import Channel, DigitalTheme
from cybercantal.mediation.services import registrations as services
from cybercantal.territory.models import Canton


class TelInput(forms.TextInput):
    input_type = "tel"


class SearchInput(forms.TextInput):
    input_type = "search"


class CalendarForm(forms.Form):
    """The calendar's GET parameters (all optional; a bad value is reported next to its field)."""

    q = forms.CharField(
        label=_lazy("Rechercher un atelier"),
        required=False,
        max_length=200,
        widget=SearchInput(attrs={"autocomplete": "off"}),
    )
    canton = forms.ModelChoiceField(
        label=_lazy("Canton"),
        required=False,
        queryset=Canton.objects.only("pk", "slug", "name").order_by("name"),
        to_field_name="slug",
        empty_label=_lazy("Tous les cantons"),
    )
    thematique = forms.ChoiceField(label=_lazy("Thème"), required=False)
    du = forms.DateField(
        label=_lazy("À partir du"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    au = forms.DateField(
        label=_lazy("Jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["thematique"].choices = [("", _("Tous les thèmes")), *DigitalTheme.choices]
        self.fields["q"].help_text = _("Titre de l'atelier, commune ou nom du lieu, avec ou sans accents.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            self.add_error("au", _("Cette date est avant la date de début : la période est vide."))
            data.pop("au", None)
        return data


class RegistrationForm(forms.Form):
    """A few fields, only what the EPN needs to keep the seat and reach the person."""

    first_name = forms.CharField(label=_lazy("Prénom"), max_length=services.NAME_MAX)
    last_name = forms.CharField(label=_lazy("Nom"), max_length=services.NAME_MAX)
    phone = forms.CharField(
        label=_lazy("Téléphone"),
        required=False,
        max_length=services.PHONE_MAX,
        widget=TelInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_lazy("Adresse électronique (facultative)"),
        required=False,
        max_length=services.EMAIL_MAX,
        help_text=_lazy("Pour recevoir la confirmation, un rappel la veille et le lien d'annulation."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Honeypot: hidden from people (the ``hidden`` attribute), filled by flooding robots.
    site_web = forms.CharField(label=_lazy("Ne pas remplir ce champ"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs.update({"autocomplete": "given-name"})
        self.fields["last_name"].widget.attrs.update({"autocomplete": "family-name"})
        self.fields["site_web"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["first_name"].error_messages["required"] = _("Indiquez votre prénom.")
        self.fields["last_name"].error_messages["required"] = _("Indiquez votre nom.")
        self.fields["email"].error_messages["invalid"] = _(
            "Cette adresse électronique n'est pas valide : elle ressemble à nom@exemple.fr."
        )

    def is_robot(self) -> bool:
        return bool((self.data.get("site_web") or "").strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("phone") or "").strip() and not (data.get("email") or "").strip():
            if "email" not in self.errors and "phone" not in self.errors:
                self.add_error(
                    "phone",
                    _(
                        "Indiquez un numéro de téléphone ou une adresse électronique : "
                        "l'EPN doit pouvoir vous prévenir."
                    ),
                )
        elif data.get("phone"):
            try:
                data["phone"] = services.normalise_phone(data["phone"])
            except forms.ValidationError as exc:
                self.add_error("phone", exc.message_dict["phone"])
        return data

    def service_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in ("first_name", "last_name", "phone", "email")}


class StaffRegistrationForm(RegistrationForm):
    """The same, filled in by a mediator for someone on the phone or at the desk."""

    channel = forms.ChoiceField(
        label=_lazy("Inscription reçue"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.DESK, Channel.DESK.label)],
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["site_web"]
        self.fields["email"].help_text = _(
            "Facultative : la personne reçoit alors la confirmation, le rappel et le lien d'annulation."
        )
        self.fields["first_name"].error_messages["required"] = _("Indiquez le prénom de la personne.")
        self.fields["last_name"].error_messages["required"] = _("Indiquez le nom de la personne.")

    def is_robot(self) -> bool:
        return False
