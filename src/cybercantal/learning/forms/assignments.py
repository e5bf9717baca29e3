"""Forms of exercises, assignments and grading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.core.forms import SafeModelChoiceField

from .. import grading
from ..models import FeedbackTiming, GradingMethod, Subject
from ..services.assignments import MAX_ATTEMPTS, MAX_COMMENT, MAX_INSTRUCTIONS, MAX_TIME_LIMIT, next_friday_evening


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class MarkField(forms.CharField):
    """Points typed the French way ("1,5"); checked again by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "size": "5", "autocomplete": "off"})

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in ("", None):
            return None
        number = grading.to_decimal(text)
        if number is None:
            raise forms.ValidationError(_("Écrivez un nombre, par exemple 1 ou 0,5."))
        if number < 0:
            raise forms.ValidationError(_("Une note ne peut pas être négative."))
        if number > Decimal("1000"):
            raise forms.ValidationError(_("1 000 points au plus."))
        return number


class ExerciseForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    instructions = forms.CharField(
        label=_("Consigne (facultative)"),
        required=False,
        max_length=MAX_INSTRUCTIONS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Montrée aux élèves avant la première question."),
    )
    subject = SafeModelChoiceField(
        label=_("Matière"),
        queryset=Subject.objects.none(),
        required=False,
        empty_label=_("(aucune)"),
        error_messages={"invalid_choice": _("Choisissez une matière que vous enseignez.")},
        help_text=_("Sert à inscrire l'exercice dans le cahier de textes de la bonne matière."),
    )

    def __init__(self, *args: Any, subjects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects


class MarkForm(forms.Form):
    mark = MarkField(label=_("Points"))


class AddQuestionsForm(forms.Form):
    """The questions ticked on the "add questions" page (ids checked again by the service)."""

    question = forms.MultipleChoiceField(
        label=_("Questions"),
        error_messages={"required": _("Cochez au moins une question à ajouter.")},
    )
    mark = MarkField(
        label=_("Points par question (facultatif)"),
        required=False,
        help_text=_("Laissez vide pour garder les points par défaut de chaque question."),
    )

    def __init__(self, *args: Any, question_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [(str(pk), str(pk)) for pk in question_ids]


def _combine(day: dt.date | None, moment: dt.time | None, default: dt.time) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, moment or default))


class AssignmentForm(forms.Form):
    """Give an exercise to a class (or change an assignment: without ``school_class`` and
    ``homework``)."""

    school_class = SafeModelChoiceField(
        label=_("Classe ou groupe"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Choisissez une classe ou un groupe où vous enseignez.")},
    )
    opens_on = forms.DateField(label=_("Ouvre le"), widget=DateInput())
    opens_time = forms.TimeField(label=_("à (heure d'ouverture)"), widget=TimeInput(), required=False)
    closes_on = forms.DateField(
        label=_("Ferme le"),
        widget=DateInput(),
        required=False,
        help_text=_("Par défaut : vendredi prochain. Laissez vide pour ne pas fermer."),
    )
    closes_time = forms.TimeField(label=_("à (heure de fermeture)"), widget=TimeInput(), required=False)
    training = forms.BooleanField(
        label=_("Entraînement : tentatives illimitées, pas de note"),
        required=False,
    )
    attempts_allowed = forms.IntegerField(
        label=_("Tentatives permises"),
        required=False,
        min_value=0,
        max_value=MAX_ATTEMPTS,
        help_text=_("0 : illimité. Ignoré en entraînement."),
    )
    grading_method = forms.ChoiceField(
        label=_("Note retenue quand il y a plusieurs tentatives"),
        choices=GradingMethod.choices,
        widget=forms.RadioSelect,
    )
    feedback_timing = forms.ChoiceField(
        label=_("Les élèves voient la correction"),
        choices=FeedbackTiming.choices,
        widget=forms.RadioSelect,
    )
    shuffle_questions = forms.BooleanField(label=_("Mélanger l'ordre des questions"), required=False)
    shuffle_answers = forms.BooleanField(label=_("Mélanger les réponses proposées"), required=False)
    time_limit_minutes = forms.IntegerField(
        label=_("Durée limite en minutes (facultatif)"),
        required=False,
        min_value=1,
        max_value=MAX_TIME_LIMIT,
        help_text=_("Laissez vide pour ne pas limiter la durée."),
    )
    homework = forms.BooleanField(
        label=_("Inscrire au cahier de textes"),
        required=False,
        help_text=_("« Faire l'exercice en ligne » pour le jour de la fermeture."),
    )

    def __init__(self, *args: Any, classes: Any = None, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["school_class"].queryset = classes
            if not self.is_bound:
                now = timezone.localtime()
                friday = timezone.localtime(next_friday_evening())
                self.initial.update(
                    {
                        "opens_on": now.date(),
                        "opens_time": now.replace(second=0, microsecond=0).time(),
                        "closes_on": friday.date(),
                        "closes_time": friday.time(),
                        "attempts_allowed": 1,
                        "grading_method": GradingMethod.HIGHEST,
                        "feedback_timing": FeedbackTiming.AFTER_SUBMIT,
                        "shuffle_answers": True,
                        "homework": True,
                    }
                )
        else:
            del self.fields["school_class"]
            del self.fields["homework"]

    @staticmethod
    def initial_from(assignment: Any) -> dict[str, Any]:
        opens = timezone.localtime(assignment.opens_at)
        closes = timezone.localtime(assignment.closes_at) if assignment.closes_at else None
        return {
            "opens_on": opens.date(),
            "opens_time": opens.time().replace(second=0, microsecond=0),
            "closes_on": closes.date() if closes else None,
            "closes_time": closes.time().replace(second=0, microsecond=0) if closes else None,
            "attempts_allowed": assignment.attempts_allowed,
            "grading_method": assignment.grading_method,
            "feedback_timing": assignment.feedback_timing,
            "shuffle_questions": assignment.shuffle_questions,
            "shuffle_answers": assignment.shuffle_answers,
            "time_limit_minutes": assignment.time_limit_minutes,
            "training": assignment.training,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens_at = _combine(data.get("opens_on"), data.get("opens_time"), dt.time(8, 0))
        closes_at = _combine(data.get("closes_on"), data.get("closes_time"), dt.time(18, 0))
        if data.get("closes_time") and not data.get("closes_on") and "closes_on" not in self.errors:
            self.add_error("closes_on", _("Indiquez le jour de fermeture (ou effacez l'heure)."))
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_on", _("La fermeture doit venir après l'ouverture."))
        data["opens_at"], data["closes_at"] = opens_at, closes_at
        if data.get("training"):
            data["attempts_allowed"] = 0
        elif data.get("attempts_allowed") is None and "attempts_allowed" not in self.errors:
            self.add_error("attempts_allowed", _("Indiquez le nombre de tentatives permises (0 : illimité)."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "attempts_allowed": data.get("attempts_allowed") or 0,
            "grading_method": data["grading_method"],
            "feedback_timing": data["feedback_timing"],
            "shuffle_questions": bool(data.get("shuffle_questions")),
            "shuffle_answers": bool(data.get("shuffle_answers")),
            "time_limit_minutes": data.get("time_limit_minutes"),
            "training": bool(data.get("training")),
        }


# The service's field names -> the form's (to put a service's error next to its field).
SERVICE_FIELDS = {"opens_at": "opens_on", "closes_at": "closes_on"}


class GradeForm(forms.Form):
    """A teacher's mark and comment on one answer (one form per answer, prefixed)."""

    mark = MarkField(label=_("Note"), required=False)
    comment = forms.CharField(
        label=_("Commentaire pour l'élève (facultatif)"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Je confirme"), required=True)
