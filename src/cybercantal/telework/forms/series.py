"""Forms of part "series": a recurring booking as a person says it (« le mardi et le jeudi,
la journée, pendant un mois ») or as a raw RRULE, the cancellation of part of a series, and
the request to join a waiting list. Types and lengths here; the rules are in the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import DayPart, Resource, ResourceKind, Telecentre
from ..services import series as series_service

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]
DATE_ERRORS = {"invalid": _("Date illisible : utilisez le format JJ/MM/AAAA, par exemple 03/03/2026.")}

WEEKDAY_CHOICES = [
    ("0", _("lundi")),
    ("1", _("mardi")),
    ("2", _("mercredi")),
    ("3", _("jeudi")),
    ("4", _("vendredi")),
    ("5", _("samedi")),
    ("6", _("dimanche")),
]
MONTHS = {"1m": 1, "2m": 2, "3m": 3, "6m": 6}
END_CHOICES = [
    ("1m", _("pendant 1 mois")),
    ("2m", _("pendant 2 mois")),
    ("3m", _("pendant 3 mois")),
    ("6m", _("pendant 6 mois")),
    ("until", _("jusqu'à une date")),
    ("count", _("un nombre de fois")),
]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class ResourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Resource) -> str:
        if obj.kind == ResourceKind.SEAT_POOL:
            return str(_("%(name)s — espace partagé, %(n)s postes") % {"name": obj.name, "n": obj.capacity})
        return f"{obj.name} — {obj.get_kind_display().lower()}"


class SeriesForm(forms.Form):
    """What to book, which days, when, from when and until when."""

    resource = ResourceChoiceField(
        label=_("Espace, bureau ou salle"),
        queryset=Resource.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choisissez ce que vous réservez."),
            "invalid_choice": _("Cette ressource n'existe pas dans ce télécentre ou n'est plus réservable."),
        },
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Quels jours de la semaine ?"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Jour de la semaine inconnu.")},
    )
    interval = forms.TypedChoiceField(
        label=_("Fréquence"),
        choices=[(1, _("toutes les semaines")), (2, _("une semaine sur deux"))],
        coerce=int,
        initial=1,
        error_messages={"invalid_choice": _("Choisissez toutes les semaines ou une semaine sur deux.")},
    )
    part = forms.ChoiceField(
        label=_("Moment (espace partagé)"),
        choices=DayPart.choices,
        required=False,
        initial=DayPart.DAY,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choisissez le matin, l'après-midi ou la journée.")},
    )
    start_time = forms.TimeField(
        label=_("De (bureau ou salle)"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=_time_widget(),
        error_messages={"invalid": _("Heure illisible : utilisez le format HH:MM, par exemple 09:00.")},
    )
    end_time = forms.TimeField(
        label=_("À (bureau ou salle)"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=_time_widget(),
        error_messages={"invalid": _("Heure illisible : utilisez le format HH:MM, par exemple 17:30.")},
    )
    first_day = forms.DateField(
        label=_("À partir du"),
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages={"required": _("Indiquez le premier jour."), **DATE_ERRORS},
    )
    end = forms.ChoiceField(
        label=_("Pendant combien de temps"),
        choices=END_CHOICES,
        initial="1m",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez une durée, une date de fin ou un nombre de fois."),
            "invalid_choice": _("Choisissez une durée, une date de fin ou un nombre de fois."),
        },
    )
    until = forms.DateField(
        label=_("Jusqu'au (inclus)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages=DATE_ERRORS,
    )
    count = forms.IntegerField(
        label=_("Nombre de fois"),
        required=False,
        min_value=1,
        max_value=series_service.MAX_OCCURRENCES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Indiquez un nombre entier."),
            "min_value": _("Au moins une fois."),
            "max_value": _("Une série compte au plus %(limit_value)s dates."),
        },
    )
    rrule = forms.CharField(
        label=_("Règle de récurrence RRULE (facultatif)"),
        required=False,
        max_length=300,
        strip=True,
        help_text=_(
            "Pour les habitués des agendas : une règle RFC 5545 remplace les jours et la durée choisis "
            "ci-dessus, par exemple FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        error_messages={"max_length": _("Cette règle est trop longue (300 caractères au plus).")},
    )

    def __init__(self, *args: Any, telecentre: Telecentre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.telecentre = telecentre
        self.fields["resource"].queryset = (  # type: ignore[attr-defined]
            Resource.objects.filter(telecentre=telecentre, is_active=True)
            .select_related("telecentre__place")
            .order_by("position", "name")
        )
        self.plan: series_service.SeriesPlan | None = None

    def resource_queryset(self) -> Any:
        return self.fields["resource"].queryset  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        resource: Resource | None = data.get("resource")
        first_day: dt.date | None = data.get("first_day")
        if resource is not None:
            if resource.kind == ResourceKind.SEAT_POOL:
                if not data.get("part") and "part" not in self.errors:
                    self.add_error("part", _("Choisissez le matin, l'après-midi ou la journée."))
            else:
                start, end = data.get("start_time"), data.get("end_time")
                if start is None and "start_time" not in self.errors:
                    self.add_error("start_time", _("Indiquez l'heure de début."))
                if end is None and "end_time" not in self.errors:
                    self.add_error("end_time", _("Indiquez l'heure de fin."))
                if start is not None and end is not None and end <= start:
                    self.add_error("end_time", _("L'heure de fin doit suivre l'heure de début."))
        advanced = bool(data.get("rrule"))
        text = data.get("rrule", "")
        end_field = "end"
        if not advanced and first_day is not None:
            weekdays = [int(d) for d in data.get("weekdays") or []]
            if not weekdays and "weekdays" not in self.errors:
                self.add_error("weekdays", _("Cochez au moins un jour de la semaine."))
            end = data.get("end")
            until: dt.date | None = None
            count: int | None = None
            if end in MONTHS:
                until = first_day + relativedelta(months=MONTHS[end]) - dt.timedelta(days=1)
            elif end == "until":
                end_field = "until"
                until = data.get("until")
                if until is None and "until" not in self.errors:
                    self.add_error("until", _("Indiquez la date de fin."))
                elif until is not None and until < first_day:
                    self.add_error("until", _("La date de fin doit suivre le premier jour."))
                    until = None
            elif end == "count":
                end_field = "count"
                count = data.get("count")
                if count is None and "count" not in self.errors:
                    self.add_error("count", _("Indiquez le nombre de fois."))
            if weekdays and (until or count) and data.get("interval"):
                text = series_service.weekly_rule(
                    first_day=first_day, weekdays=weekdays, interval=data["interval"], until=until, count=count
                )
        if self.errors or resource is None or first_day is None or not text:
            return data
        try:
            self.plan = series_service.plan_dates(rrule=text, first_day=first_day, resource=resource)
        except series_service.SeriesError as exc:
            for key, errors in exc.error_dict.items():
                target = key
                if key == "rrule" and not advanced:
                    target = end_field
                self.add_error(target, errors)
        return data

    def period_text(self) -> str:
        data = self.cleaned_data
        resource = data["resource"]
        if resource.kind == ResourceKind.SEAT_POOL:
            return str(DayPart(data["part"]).label).lower()
        return f"{data['start_time']:%H:%M} – {data['end_time']:%H:%M}"


class CancelForm(forms.Form):
    """One date, a period, or all the dates from a day on."""

    MODES = [
        ("one", _("Une date")),
        ("range", _("Une période (du … au …)")),
        ("following", _("Toutes les dates à partir du …")),
    ]

    mode = forms.ChoiceField(
        label=_("Que voulez-vous annuler ?"),
        choices=MODES,
        initial="one",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez une date, une période ou toutes les dates suivantes."),
            "invalid_choice": _("Choisissez une date, une période ou toutes les dates suivantes."),
        },
    )
    from_day = forms.DateField(
        label=_("Le, ou à partir du"),
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages={"required": _("Indiquez la date."), **DATE_ERRORS},
    )
    to_day = forms.DateField(
        label=_("Jusqu'au (pour une période)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages=DATE_ERRORS,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode, start, end = data.get("mode"), data.get("from_day"), data.get("to_day")
        if mode == "range" and start is not None:
            if end is None and "to_day" not in self.errors:
                self.add_error("to_day", _("Indiquez la fin de la période."))
            elif end is not None and end < start:
                self.add_error("to_day", _("La fin de la période doit suivre son début."))
        return data

    def bounds(self) -> tuple[dt.date, dt.date | None]:
        data = self.cleaned_data
        mode, start = data["mode"], data["from_day"]
        if mode == "one":
            return start, start
        if mode == "range":
            return start, data["to_day"]
        return start, None


class WaitlistJoinForm(forms.Form):
    """Sent by the conflict message of a full pool (booking page) or a series report."""

    resource = forms.ModelChoiceField(
        queryset=Resource.objects.filter(kind=ResourceKind.SEAT_POOL, is_active=True).select_related(
            "telecentre__place"
        ),
        error_messages={
            "required": _("Choisissez l'espace partagé."),
            "invalid_choice": _("Cet espace partagé n'existe pas ou n'est plus réservable."),
        },
    )
    day = forms.DateField(
        input_formats=DATE_FORMATS, error_messages={"required": _("Choisissez un jour."), **DATE_ERRORS}
    )
    part = forms.ChoiceField(
        choices=DayPart.choices,
        error_messages={
            "required": _("Choisissez le matin, l'après-midi ou la journée."),
            "invalid_choice": _("Choisissez le matin, l'après-midi ou la journée."),
        },
    )
    next = forms.CharField(required=False, max_length=500)


def default_first_day() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)
