"""Forms of the employer agreements: the terms, the signature, the end, the employees (one by
one or a pasted list), joining, and the list filters. They validate what people type; the
rules are the services'."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from ..models import EmployerAgreement, Telecentre
from ..queries import agreements as queries
from ..services.agreements import MAX_IMPORT_ROWS, EmployeeRow
from .fields import date_field

SPACES = (" ", "\u00a0", "\u202f", "\u2009", "€", "%")
MAX_IMPORT_BYTES = 200_000


class FrenchDecimalField(forms.DecimalField):
    """Accepts what people type: ``16``, ``16,50 €``, ``1 200,00``, ``20 %``."""

    default_error_messages = {"invalid": _("Indiquez un nombre, par exemple 16 ou 16,50.")}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value or len(value) > 40:
                raise ValidationError(_("Indiquez un nombre, par exemple 16 ou 16,50."), code="invalid")
            for char in SPACES:
                value = value.replace(char, "")
            value = value.replace(",", ".")
        return super().to_python(value)


class TelecentreChoiceField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj: Telecentre) -> str:
        return obj.place.name


class AgreementForm(forms.Form):
    """The terms of an agreement, for its creation and its changes."""

    employer = SafeModelChoiceField(
        label=_("Employeur"),
        queryset=queries.employers(),
        required=False,
        empty_label=_("— Nouvel employeur (indiquez son nom et son SIRET ci-dessous) —"),
    )
    employer_name = forms.CharField(
        label=_("Nom du nouvel employeur"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    employer_siret = forms.CharField(
        label=_("SIRET du nouvel employeur"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres, les espaces sont acceptés ; la clé de contrôle est vérifiée."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    telecentres = TelecentreChoiceField(
        label=_("Télécentres couverts"),
        queryset=Telecentre.objects.select_related("place").order_by("place__name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un télécentre.")},
    )
    starts_on = date_field(_("Début"))
    ends_on = date_field(_("Fin (incluse)"), required=False, help_text=_("Vide : sans date de fin."))
    days_per_week = forms.TypedChoiceField(
        label=_("Jours par semaine et par salarié"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        initial=2,
    )
    day_price_excl_tax = FrenchDecimalField(
        label=_("Prix HT d'une journée (€)"),
        min_value=Decimal(0),
        max_value=Decimal(10000),
        decimal_places=2,
        max_digits=8,
    )
    monthly_fee_excl_tax = FrenchDecimalField(
        label=_("Forfait mensuel HT par salarié (€)"),
        min_value=Decimal(0),
        max_value=Decimal(100000),
        decimal_places=2,
        max_digits=8,
        initial=Decimal("0.00"),
        help_text=_("0 : pas de forfait, seuls les jours utilisés sont facturés."),
    )
    vat_rate = FrenchDecimalField(
        label=_("Taux de TVA (%)"),
        min_value=Decimal(0),
        max_value=Decimal(30),
        decimal_places=2,
        max_digits=4,
        initial=Decimal("20.00"),
    )
    billing_address = forms.CharField(
        label=_("Adresse de facturation"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    notes = forms.CharField(
        label=_("Notes internes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visibles de l'équipe du programme seulement."),
    )
    # One token per displayed form: a double click or a resubmission creates one agreement.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, agreement: EmployerAgreement | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        if agreement is not None:
            for name in ("employer_name", "employer_siret"):
                del self.fields[name]
            if agreement.status != "draft":
                del self.fields["employer"]
            else:
                self.fields["employer"].required = True
                self.fields["employer"].empty_label = None

    @classmethod
    def initial_from(cls, agreement: EmployerAgreement) -> dict[str, Any]:
        return {
            "employer": agreement.employer_id,
            "telecentres": list(agreement.telecentres.values_list("pk", flat=True)),
            "starts_on": agreement.starts_on,
            "ends_on": agreement.ends_on,
            "days_per_week": agreement.days_per_week,
            "day_price_excl_tax": agreement.day_price_excl_tax,
            "monthly_fee_excl_tax": agreement.monthly_fee_excl_tax,
            "vat_rate": agreement.vat_rate,
            "billing_address": agreement.billing_address,
            "notes": agreement.notes,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            self.agreement is None
            and not data.get("employer")
            and not (data.get("employer_name") or "").strip()
            and "employer_name" not in self.errors
        ):
            self.add_error(
                "employer", _("Choisissez l'employeur, ou indiquez le nom et le SIRET d'un nouvel employeur.")
            )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in (
                "telecentres",
                "starts_on",
                "ends_on",
                "days_per_week",
                "day_price_excl_tax",
                "monthly_fee_excl_tax",
                "vat_rate",
                "billing_address",
                "notes",
            )
        }
        kwargs["telecentres"] = list(kwargs["telecentres"])
        if "employer" in self.fields:
            kwargs["employer"] = data.get("employer")
        if "employer_name" in self.fields:
            kwargs["employer_name"] = data.get("employer_name", "")
            kwargs["employer_siret"] = data.get("employer_siret", "")
        return kwargs


class ActivateForm(forms.Form):
    signed_on = date_field(_("Signée le"))


class EndForm(forms.Form):
    ends_on = date_field(_("Dernier jour couvert"))


class EmployeeForm(forms.Form):
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Indiquez le prénom.")},
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Indiquez le nom.")},
    )
    email = forms.CharField(
        label=_("Adresse électronique professionnelle"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Indiquez l'adresse électronique professionnelle.")},
        help_text=_("L'invitation part à cette adresse ; le salarié la vérifie en créant son compte."),
    )


class EmployeeImportForm(forms.Form):
    """A list pasted from a spreadsheet, or a CSV file: « prénom;nom;email », one employee a
    line, UTF-8 or Latin-1 (Excel), separated by semicolons, commas or tabs; an optional
    header line."""

    text = forms.CharField(
        label=_("Coller la liste"),
        required=False,
        max_length=MAX_IMPORT_BYTES,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("Une ligne par salarié : prénom;nom;email. Par exemple : Claire;Vidal;claire.vidal@entreprise.fr"),
    )
    file = forms.FileField(
        label=_("Ou choisir un fichier CSV"),
        required=False,
        help_text=_("Colonnes prénom;nom;email, enregistré depuis un tableur (UTF-8 ou Latin-1), 200 Ko au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("Ce fichier est trop gros (200 Ko au plus)."))
        raw = upload.read()
        if b"\x00" in raw:
            raise ValidationError(
                _("Ce fichier n'est pas un fichier texte CSV : enregistrez la feuille au format CSV.")
            )
        return raw

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        raw = data.get("file")
        text = decode(raw) if raw else (data.get("text") or "")
        if "\x00" in text:
            self.add_error("text", _("Ce texte contient des caractères invalides."))
            return data
        if not text.strip():
            self.add_error("text", _("Collez la liste ou choisissez un fichier."))
            return data
        try:
            data["rows"] = parse_rows(text)
        except ValidationError as exc:
            self.add_error("file" if raw else "text", exc)
        return data


def decode(raw: bytes) -> str:
    """UTF-8 (with or without the BOM Excel adds), else Windows-1252/Latin-1 (Excel in French)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


HEADER_WORDS = {"prenom", "prénom", "nom", "email", "e-mail", "courriel", "adresse", "mail"}


def parse_rows(text: str) -> list[EmployeeRow]:
    """The lines of a list, as ``EmployeeRow``s numbered as in the file; a wrong number of
    columns is reported here, the content by the service."""
    lines = text.splitlines()
    sample = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in sample else ("\t" if "\t" in sample else ",")
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    rows: list[EmployeeRow] = []
    problems: list[str] = []
    for number, cells in enumerate(reader, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if not rows and not problems and {c.lower() for c in cells} & HEADER_WORDS and "@" not in "".join(cells):
            continue  # the header line
        if len(cells) != 3:
            problems.append(
                str(
                    _("Ligne %(line)s : 3 colonnes attendues (prénom;nom;email), %(count)s trouvées.")
                    % {"line": number, "count": len(cells)}
                )
            )
            continue
        rows.append(EmployeeRow(line=number, first_name=cells[0], last_name=cells[1], email=cells[2]))
        if len(rows) > MAX_IMPORT_ROWS:
            raise ValidationError(_("Importez au plus %(max)s salariés à la fois.") % {"max": MAX_IMPORT_ROWS})
    if problems:
        raise ValidationError(problems)
    if not rows:
        raise ValidationError(_("Aucun salarié dans cette liste : une ligne par salarié, prénom;nom;email."))
    return rows


class JoinForm(forms.Form):
    """Which telecentre, and whether to end a membership already open there."""

    telecentre = SafeModelChoiceField(
        label=_("Télécentre"),
        queryset=Telecentre.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choisissez le télécentre où vous travaillerez.")},
    )
    end_existing = forms.BooleanField(label=_("Mettre fin à mon adhésion actuelle à ce télécentre"), required=False)

    def __init__(self, *args: Any, telecentres: list[Telecentre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["telecentre"]
        field.queryset = (
            Telecentre.objects.filter(pk__in=[t.pk for t in telecentres])
            .select_related("place")
            .order_by("place__name")
        )
        field.label_from_instance = lambda t: t.place.name
        if len(telecentres) == 1:
            field.initial = telecentres[0].pk


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Référence ou employeur"), required=False, max_length=100)
    statut = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[
            ("", _("Tous")),
            ("draft", _("En préparation")),
            ("active", _("En vigueur")),
            ("ended", _("Terminées")),
        ],
    )
    telecentre = SafeModelChoiceField(
        label=_("Télécentre"), required=False, queryset=Telecentre.objects.none(), empty_label=_("Tous")
    )
    employeur = SafeModelChoiceField(
        label=_("Employeur"), required=False, queryset=queries.employers(), empty_label=_("Tous")
    )

    def __init__(self, *args: Any, telecentres: Any, employers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["telecentre"].queryset = telecentres
        self.fields["employeur"].queryset = employers
        self.fields["telecentre"].label_from_instance = lambda t: t.place.name
