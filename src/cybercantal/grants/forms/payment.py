"""Forms of the payment part: a paid invoice (the business), the check of an invoice and the
payment order (the instructor), the filters of the payments list (the accountant).

The forms shape what people type; the rules live in ``services.payment`` and come back next
to the fields through ``add_service_errors``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField

from ..models import ExpenseLine, GrantProgramme
from ..services import payment as services

DATE_ERRORS = {"required": _("Indiquez une date."), "invalid": _("Indiquez une date valide (jj/mm/aaaa).")}


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
            if target in self.fields and target not in self.errors:  # type: ignore[attr-defined]
                self.add_error(target, messages)  # type: ignore[attr-defined]
            elif target not in self.fields:  # type: ignore[attr-defined]
                self.add_error(None, messages)  # type: ignore[attr-defined]


class EuroField(forms.CharField):
    """An amount in euros typed the French way or not: ``1 250,50``, ``1250.50``, ``1 250 €``."""

    default_error_messages = {"invalid": _("Indiquez un montant en euros, par exemple 1250,50.")}

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "30"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        cleaned = (
            str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
        )
        if len(cleaned) > 30 or cleaned.count(".") > 1 or not cleaned.isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = Decimal(cleaned)
        except (InvalidOperation, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return services.check_amount(amount, allow_zero=self.allow_zero)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}".replace(".", ",")
        return value


class LineField(SafeModelChoiceField):
    def label_from_instance(self, obj: ExpenseLine) -> str:
        from cybercantal.core.money import format_euros

        return f"{obj.description} — {obj.category.label} ({format_euros(obj.amount)} HT)"


class InvoiceForm(ServiceErrorsMixin, forms.Form):
    line = LineField(
        label=_("Dépense concernée"),
        queryset=ExpenseLine.objects.none(),
        empty_label=_("— choisissez la dépense —"),
        error_messages={
            "required": _("Choisissez la dépense que la facture concerne."),
            "invalid_choice": _("Choisissez une dépense retenue de ce dossier."),
        },
    )
    supplier = forms.CharField(
        label=_("Fournisseur"),
        max_length=services.SUPPLIER_MAX,
        error_messages={"required": _("Indiquez le fournisseur."), "max_length": _("200 caractères au plus.")},
    )
    invoice_number = forms.CharField(
        label=_("Numéro de la facture"),
        max_length=services.NUMBER_MAX,
        error_messages={
            "required": _("Indiquez le numéro de la facture."),
            "max_length": _("60 caractères au plus."),
        },
    )
    invoice_date = forms.DateField(
        label=_("Date de la facture"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    amount = EuroField(
        label=_("Montant payé HT (€)"),
        help_text=_("Hors taxes, tel qu'il figure sur la facture. Par exemple 1250,50."),
        error_messages={"required": _("Indiquez le montant payé hors taxes.")},
    )
    file = forms.FileField(
        label=_("Facture acquittée (PDF ou image)"),
        help_text=_("PDF, JPEG, PNG ou WebP, 10 Mo au plus. Le contenu du fichier est vérifié."),
        error_messages={
            "required": _("Joignez la facture (PDF ou image)."),
            "empty": _("Le fichier envoyé est vide."),
            "invalid": _("Aucun fichier n'a été reçu : choisissez à nouveau la facture."),
            "max_length": _("Le nom du fichier est trop long."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, lines: Any, programme: GrantProgramme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]
        self.fields["invoice_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["invoice_date"].widget.attrs["min"] = programme.opens_on.isoformat()

    def clean_supplier(self) -> str:
        return str(self.cleaned_data["supplier"]).strip()

    def clean_invoice_number(self) -> str:
        return str(self.cleaned_data["invoice_number"]).strip()

    def clean_invoice_date(self) -> Any:
        value = self.cleaned_data["invoice_date"]
        services.check_invoice_date(value, self.programme)
        return value

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "line": data["line"],
            "supplier": data["supplier"],
            "invoice_number": data["invoice_number"],
            "invoice_date": data["invoice_date"],
            "amount": data["amount"],
            "file": data["file"],
        }


class InvoiceAcceptForm(ServiceErrorsMixin, forms.Form):
    accepted_amount = EuroField(
        label=_("Montant retenu HT (€)"),
        allow_zero=True,
        error_messages={"required": _("Indiquez le montant retenu.")},
    )


class InvoiceRejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif (lu par l'entreprise)"),
        max_length=services.REASON_MAX,
        error_messages={
            "required": _("Indiquez pourquoi la facture est écartée."),
            "max_length": _("300 caractères au plus."),
        },
    )


class PaymentOrderForm(ServiceErrorsMixin, forms.Form):
    ordered_on = forms.DateField(
        label=_("Date du mandat"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    iban = forms.CharField(
        label=_("IBAN du compte à créditer"),
        max_length=60,
        help_text=_("Par exemple FR76 3000 6000 0112 3456 7890 189."),
        error_messages={
            "required": _("Indiquez l'IBAN du compte à créditer."),
            "max_length": _("Cet IBAN est trop long."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reference = forms.CharField(
        label=_("Référence du mandat (facultatif)"),
        max_length=services.REFERENCE_MAX,
        required=False,
        error_messages={"max_length": _("30 caractères au plus.")},
    )

    def clean_iban(self) -> str:
        try:
            return services.normalise_iban(self.cleaned_data["iban"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["iban"]) from exc


EXPORTED_CHOICES = [("", _("Tous")), ("non", _("Pas encore exportés")), ("oui", _("Déjà exportés"))]


class PaymentFilterForm(forms.Form):
    dispositif = SafeModelChoiceField(
        label=_("Dispositif"),
        queryset=GrantProgramme.objects.none(),
        required=False,
        empty_label=_("Tous les dispositifs"),
        to_field_name="slug",
        error_messages={"invalid_choice": _("Dispositif inconnu.")},
    )
    du = forms.DateField(
        label=_("Mandats du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    au = forms.DateField(
        label=_("au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    exporte = forms.ChoiceField(
        label=_("Export"),
        choices=EXPORTED_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Choix inconnu.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dispositif"].queryset = GrantProgramme.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            self.add_error("au", _("La fin de la période doit suivre son début."))
        return data

    def values(self) -> dict[str, Any]:
        """The filters that are valid (a wrong one is ignored and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        exported = {"oui": True, "non": False}.get(data.get("exporte") or "")
        return {
            "programme": data.get("dispositif"),
            "start": data.get("du") if "du" not in self.errors else None,
            "end": data.get("au") if "au" not in self.errors else None,
            "exported": exported,
        }
