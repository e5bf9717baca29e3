"""Forms of the applying part: the business account and the steps of the dossier.

Every field of a step is optional (a draft may be incomplete, the recap lists what is
missing) but what is typed is checked with a French message next to the field. The view saves
the fields that are valid and shows the others again with what the person typed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField
from cybercantal.core.money import format_euros
from cybercantal.places.queries import resolve_commune
from cybercantal.territory.models import Commune

from ..models import Application, ExpenseCategory, ExpenseLine
from ..services import applying as services

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class ServiceErrorsMixin:
    def add_service_errors(self, exc: ValidationError, renames: dict[str, str] | None = None) -> None:
        """A service's ``ValidationError`` next to its fields (the others on top)."""
        renames = renames or {}
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)  # type: ignore[attr-defined]
            return
        for name, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            target = renames.get(name, name)
            if target in self.fields:  # type: ignore[attr-defined]
                self.add_error(target, messages)  # type: ignore[attr-defined]
            else:
                self.add_error(None, messages)  # type: ignore[attr-defined]

    def valid_values(self) -> dict[str, Any]:
        """The fields that passed validation (a field with an error is left out)."""
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if name not in self.errors}  # type: ignore[attr-defined]


def parse_euros(value: Any) -> Decimal | None:
    """``"3 200,50 €"``, ``"3200.5"`` -> Decimal; ``None`` for empty; ``ValueError`` for junk."""
    if value is None:
        return None
    text = _SPACES.sub("", str(value)).replace("€", "").replace("EUR", "")
    if not text:
        return None
    negative = text.startswith("-")
    text = text.lstrip("-+")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if len(text) > 20 or not _AMOUNT.match(text):
        raise ValueError(text)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return -amount if negative else amount


class EurosField(forms.Field):
    """An amount in euros typed the French way; checked for range and cents."""

    widget = forms.TextInput

    def __init__(self, *, minimum: Decimal, maximum: Decimal, allow_zero: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "30"})
        )
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.allow_zero = minimum, maximum, allow_zero

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            if len(text) > 30 or "\x00" in text:
                raise ValueError(text[:30])
            return parse_euros(text)
        except ValueError as exc:
            raise ValidationError(
                _("Saisissez un montant en euros, par exemple 3 200 ou 3 200,50."), code="invalid"
            ) from exc

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return
        if value < 0:
            raise ValidationError(_("Le montant ne peut pas être négatif."), code="negative")
        if value == 0 and not self.allow_zero:
            raise ValidationError(_("Le montant doit être supérieur à 0 €."), code="zero")
        if value > self.maximum:
            raise ValidationError(
                _("Ce montant n'est pas plausible : %(max)s au plus.") % {"max": format_euros(self.maximum)},
                code="too_big",
            )
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_("Indiquez le montant au centime près (deux décimales)."), code="cents")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}".replace(".", ",")
        return value


class SiretField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", _("Numéro SIRET"))
        kwargs.setdefault("help_text", _("14 chiffres, les espaces sont acceptés. Il figure sur votre extrait Kbis."))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        try:
            return services.check_siret(text)
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["siret"]) from exc


def format_siret(value: str) -> str:
    """``73282932000074`` -> ``732 829 320 00074`` (as printed on a Kbis)."""
    if isinstance(value, str) and len(value) == 14 and value.isdigit():
        return f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}"
    return value


class CommuneField(forms.CharField):
    """A commune typed by name ("neuveglise", "St Flour"): resolved to one commune, with
    suggestions when the name is ambiguous or misspelt. ``departement_only`` refuses a commune
    outside the département (premises)."""

    def __init__(self, *, departement_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "address-level2"}))
        super().__init__(**kwargs)
        self.departement_only = departement_only

    def clean(self, value: Any) -> Commune | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        if "\x00" in text:
            raise ValidationError(_("Commune inconnue."), code="invalid")
        match = resolve_commune(text)
        if match.commune is None:
            if match.suggestions:
                names = ", ".join(sorted({str(c.name) for c in match.suggestions}))
                raise ValidationError(
                    _("Précisez la commune : %(names)s ?") % {"names": names}, code="ambiguous_commune"
                )
            raise ValidationError(
                _("Aucune commune du département ne porte ce nom : vérifiez l'orthographe."), code="unknown_commune"
            )
        commune = match.commune
        if commune.kind != Commune.Kind.ACTUELLE and commune.parent is not None:
            commune = commune.parent  # "Neuvéglise" (delegated) is in Neuvéglise-sur-Truyère
        if self.departement_only:
            try:
                commune = services.commune_in_departement(commune)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["commune"], code="outside_departement") from exc
        return commune

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Commune):
            return value.name
        return value


def _text(label: Any, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        error_messages={"max_length": _("%(n)s caractères au plus.") % {"n": max_length}},
        **kwargs,
    )


# --- Business account ------------------------------------------------------------------------------


class BusinessForm(ServiceErrorsMixin, forms.Form):
    siret = SiretField(error_messages={"required": _("Indiquez le numéro SIRET de l'entreprise.")})
    name = forms.CharField(
        label=_("Raison sociale"),
        max_length=200,
        error_messages={"required": _("Indiquez la raison sociale."), "max_length": _("200 caractères au plus.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    commune = CommuneField(label=_("Commune du siège"), required=False)
    email = forms.EmailField(
        label=_("Adresse électronique de l'entreprise"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")},
    )
    phone = _text(_("Téléphone"), 30, widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "siret": data["siret"],
            "name": data["name"],
            "commune": data.get("commune"),
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
        }


class BusinessChoiceForm(forms.Form):
    """Which of the person's businesses applies."""

    entreprise = SafeModelChoiceField(
        label=_("Entreprise qui demande l'aide"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choisissez l'entreprise."), "invalid_choice": _("Entreprise inconnue.")},
    )

    def __init__(self, *args: Any, businesses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entreprise"].queryset = businesses


# --- Steps -----------------------------------------------------------------------------------


class StepForm(ServiceErrorsMixin, forms.Form):
    """A step of the dossier. The page's ``version`` is read by the view (not a form field: the
    page shows the version it was built from, or the new one after a save)."""

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application


class BusinessStepForm(StepForm):
    business_name = _text(_("Raison sociale"), 200, widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    siret = SiretField(required=False)
    activity = _text(_("Activité"), 200, help_text=_("Par exemple : scierie, menuiserie, gîte rural."))
    employees = forms.IntegerField(
        label=_("Effectif salarié"),
        required=False,
        min_value=0,
        max_value=services.MAX_EMPLOYEES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Indiquez un nombre entier de salariés (0 si aucun)."),
            "min_value": _("L'effectif ne peut pas être négatif."),
            "max_value": _("Cet effectif n'est pas plausible."),
        },
    )
    contact_name = _text(_("Personne à contacter"), 150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    contact_email = forms.EmailField(
        label=_("Adresse électronique de contact"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")},
    )
    contact_phone = _text(
        _("Téléphone de contact"), 30, widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"})
    )
    iban = _text(
        _("IBAN du compte à créditer (facultatif à ce stade)"),
        42,
        help_text=_("Il sera demandé avant le versement de l'aide."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_iban(self) -> str:
        try:
            return services.normalise_iban(self.cleaned_data.get("iban") or "")
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["iban"]) from exc

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            for name in services.BUSINESS_FIELDS:
                self.fields[name].initial = getattr(self.application, name)
            self.fields["siret"].initial = format_siret(self.application.siret)


class PremisesStepForm(StepForm):
    address = _text(
        _("Adresse des locaux à équiper"),
        250,
        help_text=_("Numéro et voie, ou lieu-dit. Par exemple : 4 route de la Scierie."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    commune = CommuneField(
        label=_("Commune"),
        required=False,
        departement_only=True,
        help_text=_("Les locaux doivent se trouver dans le département."),
    )
    postal_code = _text(
        _("Code postal"), 5, widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["address"].initial = self.application.premises_address
            self.fields["commune"].initial = self.application.premises_commune
            self.fields["postal_code"].initial = self.application.premises_postal_code

    def clean_postal_code(self) -> str:
        code = (self.cleaned_data.get("postal_code") or "").strip()
        if code and not (len(code) == 5 and code.isascii() and code.isdigit()):
            raise ValidationError(_("Un code postal compte 5 chiffres."), code="postal_code")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        commune, code = data.get("commune"), data.get("postal_code")
        if commune is not None and code and commune.postal_codes and code not in commune.postal_codes:
            self.add_error(
                "postal_code",
                _("Le code postal de %(name)s est %(codes)s.")
                % {"name": commune.name, "codes": ", ".join(commune.postal_codes)},
            )
        return data


class CategoryField(SafeModelChoiceField):
    def label_from_instance(self, obj: ExpenseCategory) -> str:
        if obj.is_eligible:
            return str(obj.label)
        return str(_("%(label)s (non éligible : pas comptée dans l'aide)") % {"label": obj.label})


class LineForm(StepForm):
    category = CategoryField(
        label=_("Catégorie de dépense"),
        queryset=ExpenseCategory.objects.none(),
        empty_label=_("— choisissez —"),
        error_messages={"required": _("Choisissez la catégorie."), "invalid_choice": _("Catégorie inconnue.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=250,
        help_text=_("Par exemple : installation d'une parabole et d'un modem satellite."),
        error_messages={"required": _("Décrivez la dépense."), "max_length": _("250 caractères au plus.")},
    )
    amount = EurosField(
        label=_("Montant hors taxes (€)"),
        minimum=Decimal("0.01"),
        maximum=services.MAX_LINE_AMOUNT,
        help_text=_("Le montant HT du devis, par exemple 3 200 ou 3 200,50."),
        error_messages={"required": _("Indiquez le montant HT.")},
    )
    quote = forms.FileField(
        label=_("Devis (PDF ou image)"),
        required=False,
        help_text=_("PDF, JPEG, PNG ou WebP, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
        error_messages={
            "invalid": _("Le fichier n'a pas pu être lu : choisissez-le à nouveau."),
            "empty": _("Le fichier est vide."),
        },
    )

    def __init__(self, *args: Any, line: ExpenseLine | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["category"].queryset = self.application.programme.categories.order_by("position", "label")
        if line is not None:
            if not self.is_bound:
                self.fields["category"].initial = line.category_id
                self.fields["description"].initial = line.description
                self.fields["amount"].initial = line.amount
            self.fields["quote"].label = (
                _("Remplacer le devis (PDF ou image)") if line.quote_id else _("Devis (PDF ou image)")
            )


class DeMinimisStepForm(StepForm):
    de_minimis_amount = EurosField(
        label=_("Aides de minimis reçues sur les trois derniers exercices (€)"),
        minimum=Decimal("0"),
        maximum=services.MAX_DE_MINIMIS,
        allow_zero=True,
        required=False,
        help_text=_("Le total des aides publiques reçues au titre du règlement de minimis ; 0 si aucune."),
    )
    de_minimis_details = _text(
        _("Détail de ces aides (organisme, date, montant)"),
        5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sworn = forms.BooleanField(
        label=_(
            "Je certifie sur l'honneur l'exactitude des informations de ce dossier et je m'engage à signaler "
            "toute autre aide de minimis reçue avant la décision."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conditions = self.application.programme.conditions
        for index, condition in enumerate(self.conditions):
            self.fields[f"condition_{index}"] = forms.BooleanField(label=condition, required=False)
        if not self.is_bound:
            self.fields["de_minimis_amount"].initial = self.application.de_minimis_amount
            self.fields["de_minimis_details"].initial = self.application.de_minimis_details
            certified = self.application.declarations_certified
            self.fields["sworn"].initial = certified
            for index in range(len(self.conditions)):
                self.fields[f"condition_{index}"].initial = certified

    def condition_fields(self) -> list[Any]:
        return [self[f"condition_{index}"] for index in range(len(self.conditions))]

    def clean_de_minimis_amount(self) -> Decimal | None:
        amount = self.cleaned_data.get("de_minimis_amount")
        if amount is None:
            return None
        try:
            services.check_de_minimis(self.application.programme, amount, self.application.computed_aid)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["de_minimis_amount"], code="de_minimis") from exc
        return amount

    def service_values(self) -> dict[str, Any]:
        values = self.valid_values()
        result: dict[str, Any] = {}
        if "de_minimis_amount" in values:
            result["amount"] = values["de_minimis_amount"]
        if "de_minimis_details" in values:
            result["details"] = values["de_minimis_details"]
        ticks = [bool(values.get(f"condition_{i}")) for i in range(len(self.conditions))]
        result["certified"] = bool(values.get("sworn")) and all(ticks)
        return result
