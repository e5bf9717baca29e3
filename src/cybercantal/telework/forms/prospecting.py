"""Forms of the prospecting pages: a company, a contact, an activity, a stage move, the link
to an agreement, the list filters. They check what people type; the rules are the services'
(``services.prospecting``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation, User
from cybercantal.core.forms import SafeModelChoiceField

from ..models import PIPELINE_STAGES, EmployerAgreement, LostReason, Prospect, ProspectActivity, ProspectStage, SizeBand
from ..queries import prospecting as queries
from ..services import prospecting as services
from .fields import date_field


def person_label(user: User) -> str:
    return user.get_full_name() or user.email


class OwnerChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return person_label(obj)


class AgreementChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: EmployerAgreement) -> str:
        return f"{obj.reference} — {obj.employer.name}"


class ProspectForm(forms.Form):
    """What is known of a company (its stage moves apart)."""

    name = forms.CharField(
        label=_("Nom de l'entreprise"),
        max_length=200,
        error_messages={"required": _("Indiquez le nom de l'entreprise.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    siren = forms.CharField(
        label=_("SIREN"),
        required=False,
        max_length=30,
        help_text=_("Facultatif. 9 chiffres, les espaces sont acceptés (par exemple 732 829 320)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    sector = forms.CharField(
        label=_("Secteur d'activité"),
        required=False,
        max_length=200,
        help_text=_("Par exemple : assurance, édition de logiciels, conseil."),
    )
    size_band = forms.ChoiceField(
        label=_("Effectif"), required=False, choices=[("", _("Non renseigné")), *SizeBand.choices]
    )
    head_office = forms.CharField(
        label=_("Ville du siège"), required=False, max_length=200, help_text=_("Par exemple : Lyon.")
    )
    website = forms.CharField(
        label=_("Site internet"),
        required=False,
        max_length=200,
        help_text=_("Par exemple : https://www.entreprise.fr"),
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )
    source_partner = SafeModelChoiceField(
        label=_("Partenaire à l'origine du contact"),
        required=False,
        queryset=Organisation.objects.none(),  # set in __init__
        empty_label=_("Aucun (prospection directe)"),
    )
    source_detail = forms.CharField(
        label=_("Origine du contact"),
        required=False,
        max_length=200,
        help_text=_("Par exemple : salon Vivatech 2026, recommandation d'un salarié."),
    )
    potential_staff = forms.IntegerField(
        label=_("Salariés susceptibles de venir"),
        required=False,
        min_value=0,
        max_value=services.MAX_POTENTIAL_STAFF,
        help_text=_("Estimation : combien de salariés pourraient télétravailler depuis le Cantal."),
        error_messages={
            "invalid": _("Indiquez un nombre entier de salariés."),
            "min_value": _("Le nombre de salariés ne peut pas être négatif."),
            "max_value": _("Indiquez au plus %(limit_value)s salariés."),
        },
    )
    owner = OwnerChoiceField(
        label=_("Suivie par"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Personne pour le moment"),
        help_text=_("Une personne de l'équipe du programme."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=services.MAX_TEXT, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_partner"].queryset = queries.source_partners()
        self.fields["owner"].queryset = services.programme_team()

    def clean_siren(self) -> str:
        try:
            return services.normalise_siren(self.cleaned_data.get("siren"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["siren"]) from exc

    @staticmethod
    def initial_from(prospect: Prospect) -> dict[str, Any]:
        return {
            "name": prospect.name,
            "siren": services.format_siren(prospect.siren),
            "sector": prospect.sector,
            "size_band": prospect.size_band,
            "head_office": prospect.head_office,
            "website": prospect.website,
            "source_partner": prospect.source_partner_id,
            "source_detail": prospect.source_detail,
            "potential_staff": prospect.potential_staff,
            "owner": prospect.owner_id,
            "notes": prospect.notes,
        }


class MoveForm(forms.Form):
    """Move a company to another stage, on a date; a reason when lost; the agreement signed."""

    to_stage = forms.ChoiceField(
        label=_("Nouvelle étape"),
        choices=ProspectStage.choices,
        error_messages={
            "required": _("Choisissez une étape."),
            "invalid_choice": _("Choisissez une étape dans la liste."),
        },
    )
    on = date_field(_("Date du changement"), required=False, help_text=_("Aujourd'hui si vous la laissez vide."))
    reason_kind = forms.ChoiceField(
        label=_("Raison de la perte"),
        required=False,
        choices=[("", _("— Choisir —")), *LostReason.choices],
        help_text=_("Obligatoire pour l'étape « Perdue »."),
        error_messages={"invalid_choice": _("Choisissez une raison dans la liste.")},
    )
    reason = forms.CharField(
        label=_("Précisions sur la perte"),
        required=False,
        max_length=250,
        help_text=_("Obligatoires pour « Autre raison »."),
    )
    agreement = AgreementChoiceField(
        label=_("Convention employeur signée"),
        required=False,
        queryset=EmployerAgreement.objects.none(),
        empty_label=_("Pas encore de convention"),
        help_text=_("Pour les étapes « Accord pilote » et « Salariés installés »."),
    )

    def __init__(self, *args: Any, prospect: Prospect | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "move_%s")
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = queries.linkable_agreements(prospect)
        if prospect is not None:
            self.fields["to_stage"].choices = [
                (value, label) for value, label in ProspectStage.choices if value != prospect.stage
            ]


class BoardMoveForm(forms.Form):
    """The small move menu of a card of the board: a pipeline stage, today."""

    to_stage = forms.ChoiceField(label=_("Déplacer vers"), choices=[(s.value, s.label) for s in PIPELINE_STAGES])


class AgreementLinkForm(forms.Form):
    agreement = AgreementChoiceField(
        label=_("Convention employeur signée"),
        required=False,
        queryset=EmployerAgreement.objects.none(),
        empty_label=_("Aucune"),
    )

    def __init__(self, *args: Any, prospect: Prospect | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = queries.linkable_agreements(prospect)


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Nom et prénom"),
        max_length=200,
        error_messages={"required": _("Indiquez le nom du contact.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    job_title = forms.CharField(
        label=_("Fonction"), required=False, max_length=200, help_text=_("Par exemple : DRH, responsable RSE.")
    )
    email = forms.CharField(
        label=_("Adresse électronique"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "contact_%s")
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_from(contact: Any) -> dict[str, Any]:
        return {f: getattr(contact, f) for f in ("name", "job_title", "email", "phone", "notes")}


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type d'action"),
        choices=ProspectActivity.Kind.choices,
        error_messages={"invalid_choice": _("Choisissez le type d'action dans la liste.")},
    )
    happened_on = date_field(_("Date"))
    summary = forms.CharField(
        label=_("Compte rendu"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Résumez ce qui s'est dit ou fait.")},
    )
    next_step = forms.CharField(
        label=_("Prochaine étape"),
        required=False,
        max_length=300,
        help_text=_("Par exemple : envoyer la proposition de convention."),
    )
    next_step_on = date_field(_("Prévue le"), required=False, help_text=_("La date de la relance."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"happened_on": timezone.localdate(), "kind": ProspectActivity.Kind.CALL})
        kwargs.setdefault("auto_id", "activity_%s")
        super().__init__(*args, **kwargs)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Nom, SIREN ou ville du siège"), required=False, max_length=100)
    etape = forms.ChoiceField(label=_("Étape"), required=False, choices=[("", _("Toutes")), *ProspectStage.choices])
    effectif = forms.ChoiceField(label=_("Effectif"), required=False, choices=[("", _("Tous")), *SizeBand.choices])
    partenaire = SafeModelChoiceField(
        label=_("Partenaire source"), required=False, queryset=Organisation.objects.none(), empty_label=_("Tous")
    )
    suivie_par = forms.ChoiceField(label=_("Suivie par"), required=False)
    relances = forms.BooleanField(label=_("Relances en retard seulement"), required=False)
    tri = forms.ChoiceField(
        label=_("Trier par"),
        required=False,
        choices=[
            ("nom", _("Nom")),
            ("relance", _("Date de relance")),
            ("etape", _("Étape")),
            ("recent", _("Dernier changement d'étape")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partenaire"].queryset = queries.source_partners()
        self.team = list(services.programme_team())
        self.fields["suivie_par"].choices = [
            ("", _("Tout le monde")),
            ("personne", _("Personne")),
            *[(str(user.pk), person_label(user)) for user in self.team],
        ]

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of ``queries.prospects`` (nothing when the form is invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        owner: Any = None
        if data["suivie_par"] == "personne":
            owner = "none"
        elif data["suivie_par"]:
            owner = next((u for u in self.team if str(u.pk) == data["suivie_par"]), None)
        return {
            "text": data["q"],
            "stage": data["etape"],
            "size_band": data["effectif"],
            "source_partner": data["partenaire"],
            "owner": owner,
            "overdue": data["relances"],
            "sort": data["tri"] or "nom",
        }


class BoardFilterForm(forms.Form):
    suivie_par = forms.ChoiceField(label=_("Suivie par"), required=False)
    effectif = forms.ChoiceField(label=_("Effectif"), required=False, choices=[("", _("Tous")), *SizeBand.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = list(services.programme_team())
        self.fields["suivie_par"].choices = [
            ("", _("Tout le monde")),
            ("personne", _("Personne")),
            *[(str(user.pk), person_label(user)) for user in self.team],
        ]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        owner: Any = None
        if self.cleaned_data["suivie_par"] == "personne":
            owner = "none"
        elif self.cleaned_data["suivie_par"]:
            owner = next((u for u in self.team if str(u.pk) == self.cleaned_data["suivie_par"]), None)
        return {"owner": owner, "size_band": self.cleaned_data["effectif"]}
