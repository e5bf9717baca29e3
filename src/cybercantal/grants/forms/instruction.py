"""Forms of the instruction part: the queue's filters and each action of the review page.

The forms only shape what the instructor typed; the rules (state, amount within the computed
aid, envelope) live in ``services.instruction`` and their French messages come back next to
the fields through ``add_service_errors``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField
from cybercantal.territory.models import Canton

from ..models import EligibilityAnswer, GrantProgramme, Status
from ..queries.instruction import DEFAULT_SORT, QUEUE_STATUSES, QueueFilters

MAX_TEXT = 5000


class ServiceErrorsMixin:
    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ``ValidationError`` next to its fields (the others on top)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)  # type: ignore[attr-defined]
            return
        for name, errors in exc.error_dict.items():
            messages = [message for error in errors for message in error.messages]
            self.add_error(name if name in self.fields else None, messages)  # type: ignore[attr-defined]


STATE_CHOICES = [
    ("a_traiter", _("À traiter (déposés, en instruction, en corrections)")),
    ("tous", _("Tous les états")),
    *[(value, label) for value, label in Status.choices if value in QUEUE_STATUSES],
]
ASSIGNED_CHOICES = [("", _("Tous")), ("moi", _("Mes dossiers")), ("personne", _("Sans instructeur"))]
SORT_CHOICES = [
    ("anciens", _("Dépôt le plus ancien d'abord")),
    ("recents", _("Dépôt le plus récent d'abord")),
    ("montant_desc", _("Aide calculée, la plus élevée d'abord")),
    ("montant_asc", _("Aide calculée, la plus faible d'abord")),
]


class CantonField(SafeModelChoiceField):
    def label_from_instance(self, obj: Canton) -> str:
        return obj.name


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher (numéro, raison sociale, SIRET)"),
        required=False,
        max_length=100,
        error_messages={"max_length": _("100 caractères au plus.")},
    )
    dispositif = SafeModelChoiceField(
        label=_("Dispositif"),
        queryset=GrantProgramme.objects.only("pk", "slug", "name").order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les dispositifs"),
        error_messages={"invalid_choice": _("Dispositif inconnu.")},
    )
    etat = forms.ChoiceField(
        label=_("État"),
        choices=STATE_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("État inconnu.")},
    )
    canton = CantonField(
        label=_("Canton"),
        queryset=Canton.objects.only("pk", "slug", "name").order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les cantons"),
        error_messages={"invalid_choice": _("Canton inconnu.")},
    )
    eligibilite = forms.ChoiceField(
        label=_("Éligibilité"),
        choices=[("", _("Toutes les réponses")), *EligibilityAnswer.choices],
        required=False,
        error_messages={"invalid_choice": _("Réponse inconnue.")},
    )
    instructeur = forms.ChoiceField(
        label=_("Instructeur"),
        choices=ASSIGNED_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Choix inconnu.")},
    )
    tri = forms.ChoiceField(
        label=_("Trier par"),
        choices=SORT_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Tri inconnu.")},
    )

    def filters(self) -> QueueFilters:
        """The filters to apply: the valid fields, the defaults for the others."""
        if not self.is_bound:
            return QueueFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return QueueFilters(
            programme=data.get("dispositif"),
            state=data.get("etat") or "a_traiter",
            canton=data.get("canton"),
            eligibility=data.get("eligibilite") or "",
            assigned=data.get("instructeur") or "",
            text=(data.get("q") or "").replace("\x00", ""),
            sort=data.get("tri") or DEFAULT_SORT,
        )


def _text_field(label: Any, required_message: Any, *, max_length: int = MAX_TEXT, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": required_message,
            "max_length": _("%(limit_value)d caractères au plus (vous en avez saisi %(show_value)d)."),
        },
    )


class NoteForm(ServiceErrorsMixin, forms.Form):
    prefix = "note"
    text = _text_field(_("Nouvelle note (jamais montrée au demandeur)"), _("Écrivez la note."), rows=3)


class LineIneligibleForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        error_messages={
            "required": _("Indiquez pourquoi cette dépense n'est pas retenue."),
            "max_length": _("%(limit_value)d caractères au plus (vous en avez saisi %(show_value)d)."),
        },
    )

    def __init__(self, *args: Any, line: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"ligne-{line.pk}")
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Motif pour écarter « %(line)s »") % {"line": line.description}


class CorrectionsForm(ServiceErrorsMixin, forms.Form):
    prefix = "corrections"
    message = _text_field(
        _("Message au demandeur : ce qu'il doit corriger"), _("Dites au demandeur ce qu'il doit corriger.")
    )


_AMOUNT_RE = re.compile(r"^-?[0-9]{1,12}([.,][0-9]{1,2})?$")


class AmountField(forms.Field):
    """An amount in euros typed the French way ("1 600,50"); never a float, no exponent."""

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value or "").strip()
        if not text:
            return None
        compact = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").removesuffix("€")
        if not _AMOUNT_RE.match(compact):
            raise ValidationError(
                _("Saisissez un montant en euros, avec au plus deux décimales, par exemple 1600,00."), code="invalid"
            )
        try:
            amount = Decimal(compact.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the expression above rules it out
            raise ValidationError(_("Saisissez un montant en euros."), code="invalid") from exc
        if amount <= 0:
            raise ValidationError(_("Le montant accordé doit être positif."), code="min_value")
        return amount


class AcceptForm(ServiceErrorsMixin, forms.Form):
    prefix = "accord"
    amount = AmountField(
        label=_("Montant accordé (€)"),
        required=False,
        help_text=_("Laissez vide pour accorder l'aide calculée. Jamais plus que l'aide calculée."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 30}),
    )


class RefuseForm(ServiceErrorsMixin, forms.Form):
    prefix = "refus"
    reason = _text_field(_("Motif du refus (repris dans la lettre de décision)"), _("Indiquez le motif du refus."))


class CloseForm(ServiceErrorsMixin, forms.Form):
    prefix = "classement"
    reason = _text_field(
        _("Motif du classement sans suite (communiqué au demandeur)"),
        _("Indiquez pourquoi le dossier est classé sans suite."),
        rows=3,
    )


class ReopenForm(ServiceErrorsMixin, forms.Form):
    prefix = "reouverture"
    reason = _text_field(
        _("Motif de la réouverture (journalisé, communiqué au demandeur)"),
        _("Indiquez pourquoi la décision est rouverte."),
        rows=3,
    )
