"""Forms of the cahier de textes and homework."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from ..models import Assignment, Document, Subject

MAX_TEXT = 20_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _subjects_field(subjects: Any) -> SafeModelChoiceField:
    field = SafeModelChoiceField(
        label=_("Matière"),
        queryset=subjects,
        empty_label=None,
        error_messages={"invalid_choice": _("Choisissez une matière que vous enseignez dans cette classe.")},
    )
    return field


def _documents_field(owner: Any) -> SafeModelMultipleChoiceField:
    return SafeModelMultipleChoiceField(
        label=_("Pièces jointes"),
        queryset=Document.objects.filter(space__owner=owner).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Des documents de votre espace (Mes documents)."),
        error_messages={"invalid_choice": _("Choisissez des documents de votre espace.")},
    )


class AssignmentChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if obj.closes_at:
            return _("%(title)s (à rendre le %(day)s)") % {
                "title": obj.exercise.title,
                "day": date_format(timezone.localtime(obj.closes_at), "j F Y"),
            }
        return str(obj.exercise.title)


def _assignments_field(school_class: Any) -> AssignmentChoiceField:
    """The exercises given to this class (and only to it), most recent first."""
    return AssignmentChoiceField(
        label=_("Exercice en ligne à faire (facultatif)"),
        queryset=Assignment.objects.filter(school_class=school_class)
        .select_related("exercise")
        .order_by("-opens_at", "-pk"),
        required=False,
        empty_label=_("Aucun"),
        help_text=_("Les élèves de la classe auront un lien vers cet exercice dans leurs devoirs."),
        error_messages={"invalid_choice": _("Choisissez un exercice donné à cette classe.")},
    )


class LessonLogForm(forms.Form):
    """A session of the cahier de textes, with optionally the homework given in it."""

    subject = forms.ModelChoiceField(queryset=Subject.objects.none())
    date = forms.DateField(label=_("Date de la séance"), widget=DateInput())
    title = forms.CharField(label=_("Titre"), max_length=200)
    content = forms.CharField(
        label=_("Ce qui a été fait"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Quelques lignes suffisent ; les élèves absents s'en servent pour rattraper."),
    )
    homework_title = forms.CharField(
        label=_("Travail à faire (facultatif)"),
        max_length=200,
        required=False,
        help_text=_("Laissez vide s'il n'y a pas de travail à faire."),
    )
    homework_due_on = forms.DateField(label=_("Pour le"), required=False, widget=DateInput())
    homework_minutes = forms.IntegerField(
        label=_("Durée estimée (minutes)"), required=False, min_value=1, max_value=600
    )

    def __init__(self, *args: Any, subjects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"] = _subjects_field(subjects)
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("homework_title") and not data.get("homework_due_on"):
            self.add_error("homework_due_on", _("Indiquez pour quel jour est le travail à faire."))
        if data.get("homework_due_on") and not data.get("homework_title"):
            self.add_error("homework_title", _("Dites ce qu'il faut faire pour ce jour."))
        return data


class HomeworkForm(forms.Form):
    subject = forms.ModelChoiceField(queryset=Subject.objects.none())
    due_on = forms.DateField(label=_("Pour le"), widget=DateInput())
    title = forms.CharField(label=_("Travail à faire"), max_length=200)
    instructions = forms.CharField(
        label=_("Consignes"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )
    estimated_minutes = forms.IntegerField(
        label=_("Durée estimée (minutes)"),
        required=False,
        min_value=1,
        max_value=600,
        help_text=_("Elle sert à éviter de surcharger la classe un même jour."),
    )

    def __init__(
        self,
        *args: Any,
        subjects: Any,
        owner: Any,
        school_class: Any = None,
        with_subject: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if with_subject:
            self.fields["subject"] = _subjects_field(subjects)
        else:
            del self.fields["subject"]
        self.fields["attachments"] = _documents_field(owner)
        if school_class is not None:
            self.fields["assignment"] = _assignments_field(school_class)


class SignOffForm(forms.Form):
    up_to = forms.DateField(label=_("Visé jusqu'au"), widget=DateInput())
    comment = forms.CharField(
        label=_("Observations (facultatif)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("up_to", timezone.localdate())


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je comprends que l'adresse actuelle ne fonctionnera plus."),
        error_messages={"required": _("Cochez la case pour confirmer.")},
    )


def default_due_on() -> dt.date:
    """The next school day (Saturday and Sunday skipped)."""
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day
