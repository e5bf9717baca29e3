"""Forms of the fleet pages: a kiosk's record, an incident's cause, the day of the incidents list.

They validate what people type; the rules (unique code, host place, ranges) live in
``services.fleet`` and come back next to the fields through ``add_service_errors``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cybercantal.kiosks.models import ConnectionTechnology, KioskStatus
from cybercantal.kiosks.services.fleet import host_places_q
from cybercantal.places.forms import PlaceChoiceField
from cybercantal.places.models import Place


class KioskForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("En minuscules, sans accents : il forme l'adresse /borne/<code>/ (par exemple « murat »)."),
    )
    place = PlaceChoiceField(
        label=_("Lieu d'accueil"),
        queryset=Place.objects.none(),
        help_text=_("Un lieu publié de l'annuaire qui propose une borne (mairie, MSAP, communauté de communes…)."),
    )
    status = forms.ChoiceField(label=_("État"), choices=KioskStatus.choices, initial=KioskStatus.PLANNED)
    status_note = forms.CharField(
        label=_("Précision sur l'état"),
        max_length=255,
        required=False,
        help_text=_("Obligatoire si la borne est hors service : dites pourquoi."),
    )
    hardware_model = forms.CharField(label=_("Modèle de matériel"), max_length=120, required=False)
    serial_number = forms.CharField(label=_("Numéro de série"), max_length=80, required=False)
    installed_on = forms.DateField(
        label=_("Installée le"),
        required=False,
        help_text=_("Format JJ/MM/AAAA."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )
    connection_technology = forms.ChoiceField(label=_("Connexion à internet"), choices=ConnectionTechnology.choices)
    connection_speed_mbps = forms.DecimalField(
        label=_("Débit descendant (Mbit/s)"),
        required=False,
        min_value=0,
        max_value=100000,
        decimal_places=1,
        max_digits=7,
        localize=True,
    )
    idle_timeout_seconds = forms.IntegerField(
        label=_("Retour à l'accueil après (secondes sans toucher l'écran)"),
        min_value=30,
        max_value=900,
        initial=120,
        help_text=_("Entre 30 et 900 secondes ; 120 par défaut."),
    )
    help_location = forms.CharField(
        label=_("Où trouver l'agent"),
        max_length=200,
        required=False,
        help_text=_("Affiché après « Demander de l'aide », par exemple « au guichet d'accueil, à votre gauche »."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (
            Place.objects.filter(host_places_q())
            .select_related("commune")
            .only("pk", "name", "commune__name")
            .order_by("name")
        )
        self.fields["installed_on"].widget.input_type = "text"


class IncidentCauseForm(forms.Form):
    cause = forms.CharField(
        label=_("Cause de la coupure"),
        max_length=255,
        help_text=_("Par exemple : coupure électrique, box internet en panne, borne débranchée pour le ménage."),
    )


class DayForm(forms.Form):
    jour = forms.DateField(label=_("Jour"), input_formats=["%Y-%m-%d", "%d/%m/%Y"], help_text=_("Format JJ/MM/AAAA."))
