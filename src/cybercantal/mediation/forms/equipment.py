"""Forms of the equipment inventory: they validate what people type and hand keyword values to
``mediation.services.equipment`` (which holds the rules and says no in French too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cybercantal.accounts.models import Organisation
from cybercantal.mediation.models import EquipmentKind, EquipmentStatus
from cybercantal.mediation.queries import equipment as queries
from cybercantal.mediation.services import equipment as services
from cybercantal.places.forms import PlaceChoiceField

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        help_text=help_text or _lazy("JJ/MM/AAAA"),
        error_messages={"invalid": _lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )


class PriceField(forms.CharField):
    """A price in euros, typed the French way (``749,90``); returns a ``Decimal`` or ``None``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        try:
            return services.parse_price(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class EquipmentForm(forms.Form):
    """Create (with a place) or edit (without: moves have their own form)."""

    kind = forms.ChoiceField(label=_lazy("Type"), choices=[("", "—"), *EquipmentKind.choices])
    model_name = forms.CharField(label=_lazy("Marque et modèle"), max_length=120, required=False)
    serial_number = forms.CharField(
        label=_lazy("Numéro de série"),
        max_length=100,
        help_text=_lazy(
            "Tel qu'il figure sur l'étiquette ; les espaces sont retirés et les lettres mises en majuscules."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    inventory_number = forms.CharField(label=_lazy("Numéro d'inventaire"), max_length=40, required=False)
    bought_by = forms.ModelChoiceField(
        label=_lazy("Acheté par"), queryset=Organisation.objects.order_by("name"), required=False
    )
    bought_on = _date_field(_lazy("Date d'achat"))
    price = PriceField(label=_lazy("Prix TTC (€)"), help_text=_lazy("Par exemple 749,90."))
    warranty_ends_on = _date_field(_lazy("Fin de garantie"), required=False)
    place = PlaceChoiceField(label=_lazy("Lieu"), queryset=queries.eligible_places(), empty_label="—")
    notes = forms.CharField(
        label=_lazy("Remarques"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, with_place: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_place:
            self.fields["place"].queryset = queries.managed_places(user)
        else:
            del self.fields["place"]

    def clean_serial_number(self) -> str:
        return services.normalise_serial(self.cleaned_data["serial_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bought_on, warranty = data.get("bought_on"), data.get("warranty_ends_on")
        if bought_on and warranty and warranty < bought_on:
            self.add_error("warranty_ends_on", _("La garantie ne peut pas finir avant la date d'achat."))
        if bought_on and bought_on > timezone.localdate():
            self.add_error("bought_on", _("La date d'achat ne peut pas être dans le futur."))
        return data


def _today() -> dt.date:
    return timezone.localdate()


class MoveForm(forms.Form):
    to_place = PlaceChoiceField(label=_lazy("Nouveau lieu"), queryset=queries.eligible_places(), empty_label="—")
    on = _date_field(_lazy("Date du déplacement"))
    description = forms.CharField(
        label=_lazy("Motif"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, equipment: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": _today()})
        super().__init__(*args, **kwargs)
        self.fields["to_place"].queryset = queries.managed_places(user).exclude(pk=equipment.place_id)


class EventForm(forms.Form):
    """Start of a repair, retirement: a date and a description."""

    on = _date_field(_lazy("Date"))
    description = forms.CharField(
        label=_lazy("Description"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": _today()})
        super().__init__(*args, **kwargs)


class RepairEndForm(EventForm):
    cost = PriceField(label=_lazy("Coût de la réparation (€)"), help_text=_lazy("Facultatif. Par exemple 89,00."))


class InventoryFilterForm(forms.Form):
    q = forms.CharField(label=_lazy("Numéro de série, modèle ou inventaire"), required=False, max_length=100)
    lieu = PlaceChoiceField(
        label=_lazy("Lieu"), queryset=queries.eligible_places(), required=False, empty_label=_lazy("Tous")
    )
    type = forms.ChoiceField(label=_lazy("Type"), required=False, choices=[("", _lazy("Tous")), *EquipmentKind.choices])
    etat = forms.ChoiceField(
        label=_lazy("État"), required=False, choices=[("", _lazy("Tous")), *EquipmentStatus.choices]
    )
    lieux = forms.ChoiceField(
        label=_lazy("Collèges ou EPN"),
        required=False,
        choices=[
            ("", _lazy("Tous les lieux")),
            (queries.PlaceType.COLLEGES, _lazy("Collèges seulement")),
            (queries.PlaceType.EPN, _lazy("EPN seulement")),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lieu"].queryset = queries.managed_places(user)


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label=_lazy("Fichier de l'inventaire (CSV)"),
        help_text=_lazy(
            "CSV en UTF-8 ou Windows-1252 (Excel), séparateur point-virgule ou virgule ; 5 Mo et 20 000 lignes au plus."
        ),
    )

    def clean_fichier(self) -> Any:
        upload = self.cleaned_data["fichier"]
        if upload.size > services.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("Le fichier est trop volumineux (5 Mo au plus) : découpez-le en plusieurs fichiers.")
            )
        content = upload.read(services.MAX_IMPORT_BYTES + 1)
        if len(content) > services.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("Le fichier est trop volumineux (5 Mo au plus) : découpez-le en plusieurs fichiers.")
            )
        if not content.strip():
            raise forms.ValidationError(_("Le fichier est vide."))
        try:
            services.decode_upload(content)
        except services.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.content = content
        return upload


class ForecastForm(forms.Form):
    annees = forms.IntegerField(
        label=_lazy("Renouveler après (années)"),
        min_value=1,
        max_value=15,
        initial=queries.DEFAULT_RENEWAL_YEARS,
        required=False,
        help_text=_lazy("Entre 1 et 15 ans ; 5 ans par défaut."),
        error_messages={
            "min_value": _lazy("Indiquez au moins 1 an."),
            "max_value": _lazy("Indiquez 15 ans au plus."),
            "invalid": _lazy("Indiquez un nombre entier d'années."),
        },
    )
    colleges = forms.BooleanField(label=_lazy("Collèges seulement"), required=False)

    def years(self) -> int:
        if self.is_valid() and self.cleaned_data.get("annees"):
            return int(self.cleaned_data["annees"])
        return queries.DEFAULT_RENEWAL_YEARS

    def colleges_only(self) -> bool:
        return bool(self.is_valid() and self.cleaned_data.get("colleges"))
