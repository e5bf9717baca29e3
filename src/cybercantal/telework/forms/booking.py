"""Forms of part "booking": what to book (a pool's half-day, or an office or a room from an
hour to another) and, for a telecentre's managers, for whom. Prices are never asked: they come
from the plan or the agreement (``queries.booking.quote``, ``services.booking``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import DayPart, Resource, ResourceKind, Telecentre
from ..queries import booking as queries

# Service field -> form field (the service's messages are keyed by its own argument names).
SERVICE_FIELDS = {"resource": "ressource", "day": "jour", "part": "moment", "starts_at": "debut", "ends_at": "fin"}
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# Beyond these, a day is refused by the form itself (the service gives the finer rules).
MAX_PAST_DAYS = 366
MAX_FUTURE_DAYS = 2 * 366
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%H h %M", "%Hh", "%H h"]


class ResourceSelect(forms.Select):
    """A select whose options say the kind of resource (``data-kind``), so the page can show
    only the fields that matter (a half-day for a pool, hours for an office or a room)."""

    def __init__(self, *args: Any, kinds: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds or {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        kind = self.kinds.get(str(value))
        if kind:
            option["attrs"]["data-kind"] = kind
        return option


class ResourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Resource) -> str:
        if obj.kind == ResourceKind.SEAT_POOL:
            return _("%(name)s — espace partagé, %(capacity)s postes") % {"name": obj.name, "capacity": obj.capacity}
        return f"{obj.name} — {obj.get_kind_display().lower()}"


class BookingForm(forms.Form):
    """The short booking form. ``clean()`` gives ``resource``, ``starts_at``/``ends_at`` (aware,
    for an office or a room), ``day``/``part`` (a pool) and ``member`` (None: oneself)."""

    ressource = ResourceChoiceField(
        queryset=Resource.objects.none(),
        label=gettext_lazy("Espace, bureau ou salle"),
        empty_label=None,
        error_messages={
            "required": gettext_lazy("Choisissez ce que vous réservez."),
            "invalid_choice": gettext_lazy("Cette ressource n'existe pas dans ce télécentre."),
        },
    )
    jour = forms.DateField(
        label=gettext_lazy("Jour"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Choisissez un jour."),
            "invalid": gettext_lazy("Saisissez une date au format JJ/MM/AAAA."),
        },
    )
    moment = forms.ChoiceField(
        label=gettext_lazy("Moment (espace partagé)"),
        choices=DayPart.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("Choisissez le matin, l'après-midi ou la journée.")},
    )
    debut = forms.TimeField(
        label=gettext_lazy("Heure de début (bureau ou salle)"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": gettext_lazy("Saisissez une heure, par exemple 09:30.")},
    )
    fin = forms.TimeField(
        label=gettext_lazy("Heure de fin (bureau ou salle)"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": gettext_lazy("Saisissez une heure, par exemple 11:00.")},
    )

    def __init__(
        self, *args: Any, telecentre: Telecentre, resources: list[Resource], for_others: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.telecentre = telecentre
        self.for_others = for_others
        field = cast(forms.ModelChoiceField, self.fields["ressource"])
        field.queryset = Resource.objects.filter(telecentre=telecentre, is_active=True).order_by("position", "name")
        field.widget = ResourceSelect(kinds={str(r.pk): r.kind for r in resources})
        field.widget.choices = field.choices
        step = min([r.step_minutes for r in resources if r.is_exclusive] or [30])
        for name in ("debut", "fin"):
            self.fields[name].widget.attrs["step"] = str(step * 60)
        today = timezone.localdate()
        self.fields["jour"].widget.attrs["min"] = today.isoformat()
        if for_others:
            self.fields["membre"] = forms.CharField(
                label=_("Pour qui ? (nom ou adresse électronique d'un membre)"),
                help_text=_("Laissez vide pour réserver à votre nom."),
                required=False,
                max_length=200,
            )
            self.fields["membre_id"] = forms.TypedChoiceField(
                label=_("Membre"),
                coerce=int,
                required=False,
                choices=[],
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Cette personne n'est pas membre de ce télécentre.")},
            )
            chosen = self.data.get("membre_id") if self.is_bound else None
            if chosen and str(chosen).isdigit() and len(str(chosen)) < 19:
                person = queries.current_member(telecentre, int(chosen))
                if person is not None:
                    cast(forms.ChoiceField, self.fields["membre_id"]).choices = [(person.pk, _person_label(person))]

    def clean_jour(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("jour")
        if day is None:
            return None
        today = timezone.localdate()
        if day < today - dt.timedelta(days=MAX_PAST_DAYS):
            raise forms.ValidationError(_("Ce jour est passé."))
        if day > today + dt.timedelta(days=MAX_FUTURE_DAYS):
            raise forms.ValidationError(_("Choisissez un jour dans les deux ans qui viennent."))
        return day

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        resource: Resource | None = data.get("ressource")
        day: dt.date | None = data.get("jour")
        data["member"] = None
        if self.for_others:
            data["member"] = self._clean_member()
        if resource is None or day is None:
            return data
        data["resource"] = resource
        data["day"] = day
        if resource.kind == ResourceKind.SEAT_POOL:
            if not data.get("moment") and "moment" not in self.errors:
                self.add_error("moment", _("Choisissez le matin, l'après-midi ou la journée."))
            data["part"] = data.get("moment") or ""
            data["starts_at"] = data["ends_at"] = None
            return data
        start: dt.time | None = data.get("debut")
        end: dt.time | None = data.get("fin")
        if start is None and "debut" not in self.errors:
            self.add_error("debut", _("Indiquez l'heure de début."))
        if end is None and "fin" not in self.errors:
            self.add_error("fin", _("Indiquez l'heure de fin."))
        if start is None or end is None:
            return data
        data["part"] = ""
        data["starts_at"] = timezone.make_aware(dt.datetime.combine(day, start))
        # 00:00 as an end means midnight at the end of the day.
        end_day = day + dt.timedelta(days=1) if end == dt.time() else day
        data["ends_at"] = timezone.make_aware(dt.datetime.combine(end_day, end))
        return data

    def _clean_member(self) -> Any:
        chosen = self.cleaned_data.get("membre_id")
        if chosen:
            person = queries.current_member(self.telecentre, chosen)
            if person is None:
                self.add_error("membre_id", _("Cette personne n'est pas membre de ce télécentre."))
            return person
        text = (self.cleaned_data.get("membre") or "").strip()
        if not text:
            return None
        matches = queries.members_matching(self.telecentre, text)
        if not matches:
            self.add_error("membre", _("Aucun membre de ce télécentre ne correspond à « %(text)s ».") % {"text": text})
            return None
        if len(matches) > 1:
            cast(forms.ChoiceField, self.fields["membre_id"]).choices = [(p.pk, _person_label(p)) for p in matches]
            self.add_error("membre_id", _("Plusieurs membres correspondent : choisissez la bonne personne."))
            return None
        return matches[0]

    def add_service_error(self, exc: Any) -> None:
        """Put a ``BookingError`` next to the field it concerns (or above the form)."""
        error_dict = getattr(exc, "error_dict", None)
        if error_dict is None:
            for message in exc.messages:
                self.add_error(None, message)
            return
        for name, errors in error_dict.items():
            target = SERVICE_FIELDS.get(name)
            if target not in self.fields:
                target = None
            for error in errors:
                for message in error.messages:
                    self.add_error(target, message)


def _person_label(person: Any) -> str:
    name = person.get_full_name() or person.email
    return f"{name} ({person.email})"
