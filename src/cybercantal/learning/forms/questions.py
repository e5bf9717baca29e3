"""The question editor: one form a teacher fills without knowing any format.

``QuestionForm`` holds what every type has (title, text, mark, general feedback, category,
tags, sharing); an *editor* (``editor_for(qtype, ...)``) holds the type's own part: a small
options form and, for the types made of rows (choices, accepted answers, pairs, items), a
formset whose rows can be added ("3 lignes de plus" submit without JavaScript, one row at a
time with it) and removed (a "Supprimer" box per row). ``editor.to_data()`` gives the
``Question.data`` shape documented in ``learning.grading``; ``editor_for(qtype,
data=question.data)`` fills the editor back from it, so edit → save → edit keeps everything.

Fill-in-the-blanks are written as text (``parse_cloze`` / ``cloze_text``)::

    Le Cantal est un [[=département|pays|région]] de France, sa préfecture est [[Aurillac]].

- ``[[Aurillac]]``: the pupil writes the answer; ``[[Aurillac|Aurilac]]``: any of these is right;
- ``[[=département|pays|région]]``: the pupil chooses in a list; ``=`` marks the right one;
- advanced (what GIFT files carry): ``%50%`` before an answer for half the points,
  ``#text`` after it for a message to the pupil, ``\\`` before ``[ ] | = # % \\`` to write them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import grading
from ..models import QuestionType, TextFormat
from ..queries.questions import CategoryNode

MAX_ROWS = 50
ADD_ROWS = 3
MAX_ROW_TEXT = 5_000
MAX_FEEDBACK = 5_000
MAX_CLOZE = 20_000

# Moodle's list of answer weights: 100 %, 90 %, 83.33333 %... down to 5 %, 0, and the same
# negative for multiple choice (a wrong box ticked takes points away).
POSITIVE_WEIGHTS = [
    "1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4", "0.3333333",
    "0.3", "0.25", "0.2", "0.1666667", "0.1428571", "0.125", "0.1111111", "0.1", "0.05",
]  # fmt: skip
NEGATIVE_WEIGHTS = [f"-{w}" for w in reversed(POSITIVE_WEIGHTS)]


def percent_label(fraction: Decimal | str) -> str:
    value = (Decimal(str(fraction)) * 100).quantize(Decimal("0.00001")).normalize()
    return f"{number_format(value, use_l10n=True)} %"


def weight_choices(*, negative: bool, full: bool = True, extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    values = [w for w in POSITIVE_WEIGHTS if full or w != "1"] + ["0"]
    if negative:
        values += NEGATIVE_WEIGHTS
    known = {Decimal(v) for v in values}
    for value in extra:  # a weight an import brought: kept as it is
        number = grading.to_decimal(value)
        if number is not None and number not in known and -1 <= number <= 1:
            values.append(canonical_fraction(number))
            known.add(number)
    values.sort(key=lambda v: -Decimal(v))
    return [(v, percent_label(v)) for v in values]


def canonical_fraction(value: Any) -> str:
    """The one spelling of a fraction in the form's selects ("0.5", "-1", "0")."""
    number = grading.to_decimal(value)
    if number is None:
        return "0"
    for known in [*POSITIVE_WEIGHTS, "0", *NEGATIVE_WEIGHTS]:
        if Decimal(known) == number:
            return known
    return decimal_text(number)


def decimal_text(value: Decimal) -> str:
    """A decimal without exponent, without trailing zeros ("3.14", "1000", "0")."""
    text = format(value.normalize(), "f")
    return text if text not in {"-0", ""} else "0"


def french_number(value: Any) -> str:
    number = grading.to_decimal(value)
    return decimal_text(number).replace(".", ",") if number is not None else ""


def new_key(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# --- fields ------------------------------------------------------------------------------------


class NumberField(forms.CharField):
    """A decimal written the French way ("3,14", "1 000") or with a point; gives a Decimal."""

    default_error_messages = {"invalid": gettext_lazy("Écrivez un nombre, par exemple 3,14.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        number = grading.to_decimal(text) if len(text) <= 40 else None
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


def _text_field(label: str, *, required: bool = False, rows: int = 0, max_length: int = MAX_ROW_TEXT, **kw: Any) -> Any:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(attrs={"autocomplete": "off"})
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget, strip=True, **kw)


# --- the common part -----------------------------------------------------------------------------


class QuestionForm(forms.Form):
    """What every question has. ``categories``: the owner's tree (``category_tree``)."""

    name = _text_field(
        gettext_lazy("Titre (pour vous retrouver dans la banque)"),
        max_length=255,
        help_text=gettext_lazy("Facultatif. Les élèves ne le voient pas."),
    )
    text = forms.CharField(
        label=gettext_lazy("Énoncé"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Écrivez l'énoncé de la question.")},
    )
    text_format = forms.ChoiceField(
        label=gettext_lazy("Mise en forme"),
        choices=[
            (TextFormat.PLAIN, gettext_lazy("Texte simple (les retours à la ligne sont gardés)")),
            (TextFormat.HTML, gettext_lazy("HTML (gras, listes, tableaux, liens)")),
        ],
        initial=TextFormat.PLAIN,
    )
    default_mark = NumberField(
        label=gettext_lazy("Points par défaut"),
        initial="1",
        help_text=gettext_lazy("La note de la question dans un exercice, modifiable dans chaque exercice."),
    )
    general_feedback = _text_field(
        gettext_lazy("Correction générale"),
        rows=3,
        max_length=10_000,
        help_text=gettext_lazy("Montrée à l'élève avec la correction, quelle que soit sa réponse."),
    )
    category = forms.ChoiceField(label=gettext_lazy("Catégorie"), required=False)
    tags = _text_field(
        gettext_lazy("Étiquettes"),
        max_length=1_000,
        help_text=gettext_lazy("Séparées par des virgules, par exemple : fractions, calcul mental."),
    )
    shared = forms.BooleanField(label=gettext_lazy("Partager avec les collègues du collège"), required=False)

    def __init__(self, *args: Any, qtype: str, categories: list[CategoryNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qtype = qtype
        self._categories = {str(node.category.pk): node.category for node in categories}
        self.fields["category"].choices = [("", _("Sans catégorie"))] + [
            (str(node.category.pk), node.path) for node in categories
        ]
        current = self.initial.get("text_format") or self.data.get(self.add_prefix("text_format"))
        if current in {TextFormat.MOODLE, TextFormat.MARKDOWN}:  # kept for questions from GIFT files
            self.fields["text_format"].choices = [
                *self.fields["text_format"].choices,
                (current, TextFormat(current).label),
            ]
        if qtype == QuestionType.DESCRIPTION:
            del self.fields["default_mark"]
            self.fields["text"].label = _("Texte à lire")
        if qtype == QuestionType.CLOZE:
            self.fields["text"].label = _("Consigne")
            self.fields["text"].help_text = _("Par exemple : Complète le texte.")

    def clean_default_mark(self) -> Decimal:
        mark = self.cleaned_data.get("default_mark")
        if mark is None:
            raise ValidationError(_("Indiquez les points de la question (par exemple 1)."))
        if mark < 0 or mark > 1000 or mark != mark.quantize(Decimal("0.01")):
            raise ValidationError(_("Une note entre 0 et 1000, avec deux décimales au plus (par exemple 1 ou 0,5)."))
        return mark

    def clean_category(self) -> Any:
        value = self.cleaned_data.get("category") or ""
        return self._categories.get(value) if value else None

    def clean_text(self) -> str:
        text = self.cleaned_data.get("text", "")
        if "\x00" in text:
            raise ValidationError(_("Ce texte contient un caractère interdit."))
        return text

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("name", ""),
            "text": data["text"],
            "text_format": data.get("text_format") or TextFormat.PLAIN,
            "default_mark": data.get("default_mark", Decimal("0")),
            "general_feedback": data.get("general_feedback", ""),
            "category": data.get("category"),
            "tags": data.get("tags", ""),
            "shared": data.get("shared", False),
        }


def question_initial(question: Any) -> dict[str, Any]:
    return {
        "name": question.name,
        "text": question.text,
        "text_format": question.text_format,
        "default_mark": french_number(question.default_mark),
        "general_feedback": question.general_feedback,
        "category": str(question.category_id or ""),
        "tags": ", ".join(t.name for t in question.tags.all()),
        "shared": question.shared,
    }


# --- rows -------------------------------------------------------------------------------------------


class RowForm(forms.Form):
    """A row: its ``key`` (the stable id of the item in ``data``) and the type's fields.
    A row left empty is ignored; a row half filled gets its errors next to its fields."""

    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    required_fields: tuple[str, ...] = ()

    def has_content(self) -> bool:
        return any(
            self.cleaned_data.get(name) not in (None, "")
            for name in self.fields
            if name not in {"key", "weight", "DELETE"}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_content():
            for name in self.required_fields:
                if name in self.fields and data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, self.fields[name].error_messages["required"])
        return data


class ChoiceRow(RowForm):
    text = _text_field(gettext_lazy("Réponse proposée"))
    weight = forms.ChoiceField(label=gettext_lazy("Points si cochée"), initial="0", required=False)
    feedback = _text_field(gettext_lazy("Message à l'élève s'il choisit cette réponse"))
    required_fields = ("text",)

    def __init__(self, *args: Any, negative: bool = True, full: bool = True, extra: Iterable[str] = (), **kw: Any):
        super().__init__(*args, **kw)
        self.fields["text"].error_messages["required"] = _("Écrivez la réponse proposée, ou videz la ligne.")
        self.fields["weight"].choices = weight_choices(negative=negative, full=full, extra=extra)
        if not full:
            self.fields["weight"].label = _("Points si choisie alors qu'elle n'est pas la bonne réponse")


class ShortRow(RowForm):
    text = _text_field(gettext_lazy("Réponse acceptée"))
    weight = forms.ChoiceField(label=gettext_lazy("Points"), initial="1", required=False)
    feedback = _text_field(gettext_lazy("Message à l'élève s'il donne cette réponse"))
    required_fields = ("text",)

    def __init__(self, *args: Any, extra: Iterable[str] = (), **kw: Any):
        super().__init__(*args, **kw)
        self.fields["text"].error_messages["required"] = _("Écrivez la réponse acceptée, ou videz la ligne.")
        self.fields["weight"].choices = weight_choices(negative=False, extra=extra)


class NumericalRow(RowForm):
    value = NumberField(label=gettext_lazy("Valeur attendue"), required=False)
    tolerance = NumberField(
        label=gettext_lazy("Marge d'erreur (±)"), required=False, help_text=gettext_lazy("0 si vide.")
    )
    min = NumberField(label=gettext_lazy("ou : de"), required=False)
    max = NumberField(label=gettext_lazy("à"), required=False)
    weight = forms.ChoiceField(label=gettext_lazy("Points"), initial="1", required=False)
    feedback = _text_field(gettext_lazy("Message à l'élève si sa réponse tombe ici"))

    def __init__(self, *args: Any, extra: Iterable[str] = (), **kw: Any):
        super().__init__(*args, **kw)
        self.fields["weight"].choices = weight_choices(negative=False, extra=extra)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_content() or self.errors:
            return data
        value, tolerance, low, high = (data.get(k) for k in ("value", "tolerance", "min", "max"))
        by_value = value is not None or tolerance is not None
        by_range = low is not None or high is not None
        if by_value and by_range:
            self.add_error("min", _("Remplissez soit la valeur (et sa marge), soit l'intervalle, pas les deux."))
        elif by_range:
            if low is None:
                self.add_error("min", _("Écrivez le début de l'intervalle."))
            elif high is None:
                self.add_error("max", _("Écrivez la fin de l'intervalle."))
            elif low > high:
                self.add_error("max", _("La fin de l'intervalle doit être plus grande que son début."))
        elif value is None:
            self.add_error("value", _("Écrivez la valeur attendue (ou un intervalle), ou videz la ligne."))
        if tolerance is not None and tolerance < 0:
            self.add_error("tolerance", _("La marge d'erreur est un nombre positif."))
        return data


class PairRow(RowForm):
    left = _text_field(gettext_lazy("Élément"))
    right = _text_field(gettext_lazy("Son associé"))
    required_fields = ("left", "right")

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["left"].error_messages["required"] = _("Écrivez l'élément à associer, ou videz la ligne.")
        self.fields["right"].error_messages["required"] = _("Écrivez son associé, ou videz la ligne.")


class ItemRow(RowForm):
    text = _text_field(gettext_lazy("Élément"))
    required_fields = ("text",)


def _formset(row: type[RowForm]) -> Any:
    return formset_factory(row, extra=0, can_delete=True, max_num=MAX_ROWS, absolute_max=MAX_ROWS, validate_max=True)


# --- the type's part ---------------------------------------------------------------------------------


class OptionsForm(forms.Form):
    pass


class ChoiceOptions(OptionsForm):
    correct = forms.CharField(required=False, max_length=4)
    shuffle = forms.BooleanField(label=gettext_lazy("Mélanger l'ordre des réponses pour chaque élève"), required=False)


class TrueFalseOptions(OptionsForm):
    answer = forms.ChoiceField(
        label=gettext_lazy("L'affirmation est"),
        choices=[("true", gettext_lazy("Vraie")), ("false", gettext_lazy("Fausse"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Indiquez si l'affirmation est vraie ou fausse.")},
    )
    feedback_true = _text_field(gettext_lazy("Message à l'élève s'il répond « Vrai »"), rows=2)
    feedback_false = _text_field(gettext_lazy("Message à l'élève s'il répond « Faux »"), rows=2)


class TextMatchOptions(OptionsForm):
    case_sensitive = forms.BooleanField(
        label=gettext_lazy("Respecter la casse (« aurillac » refusé si la réponse est « Aurillac »)"), required=False
    )
    accent_sensitive = forms.BooleanField(
        label=gettext_lazy("Respecter les accents (« depart » refusé si la réponse est « départ »)"), required=False
    )


class MatchingOptions(OptionsForm):
    extra_rights = _text_field(
        gettext_lazy("Intrus (associés proposés en trop)"),
        rows=3,
        help_text=gettext_lazy("Un par ligne. Facultatif."),
    )
    shuffle = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ClozeOptions(TextMatchOptions):
    cloze = forms.CharField(
        label=gettext_lazy("Texte à trous"),
        max_length=MAX_CLOZE,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": gettext_lazy("Écrivez le texte avec ses trous.")},
    )

    def clean_cloze(self) -> Any:
        text = self.cleaned_data.get("cloze", "")
        try:
            return parse_cloze(text)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class EssayOptions(OptionsForm):
    min_words = forms.IntegerField(
        label=gettext_lazy("Nombre de mots minimum"), required=False, min_value=0, max_value=10_000
    )
    max_words = forms.IntegerField(
        label=gettext_lazy("Nombre de mots maximum"), required=False, min_value=1, max_value=10_000
    )
    grader_info = _text_field(
        gettext_lazy("Aide à la correction (vue des enseignants seulement)"), rows=3, max_length=10_000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_words"), data.get("max_words")
        if low is not None and high is not None and low > high:
            self.add_error("max_words", _("Le maximum doit être au moins égal au minimum."))
        return data


class Editor:
    """The type's part of the editor: ``options`` (a form) and ``rows`` (a formset or None)."""

    qtype: str = ""
    options_class: type[OptionsForm] = OptionsForm
    row_class: type[RowForm] | None = None
    min_rows = 0
    new_rows = 0  # empty rows offered on a new question
    rows_legend = ""
    row_legend = ""
    add_label = ""

    def __init__(
        self,
        post: Any = None,
        *,
        data: dict[str, Any] | None = None,
        extra_rows: int = 0,
    ) -> None:
        self.post = post
        options_initial, rows_initial = self.initial_from(data) if data is not None else (self.new_initial(), [])
        if data is None:
            rows_initial = [{} for _ in range(self.new_rows)]
        self.row_extra = self._row_extra(data)
        self.options = self.options_class(post, prefix="opt", initial=options_initial)
        self.rows = None
        if self.row_class is not None:
            formset = _formset(self.row_class)
            if post is not None and extra_rows:
                self.rows = formset(prefix="rows", initial=self._posted_rows(post), form_kwargs=self.form_kwargs())
                self.rows.extra = 0
                self.rows.initial = [*self.rows.initial, *({} for _ in range(extra_rows))][:MAX_ROWS]
                self.options = self.options_class(prefix="opt", initial=self._posted_options(post))
            else:
                self.rows = formset(post, prefix="rows", initial=rows_initial, form_kwargs=self.form_kwargs())

    # how a type is filled from its data and from a new question
    def new_initial(self) -> dict[str, Any]:
        return {}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return {}, []

    def _row_extra(self, data: dict[str, Any] | None) -> list[str]:
        return []

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def _posted_rows(self, post: Any) -> list[dict[str, Any]]:
        """The rows as sent, deleted ones dropped: to show them again with more empty rows."""
        if self.row_class is None:
            return []
        try:
            total = min(int(post.get("rows-TOTAL_FORMS", 0)), MAX_ROWS)
        except (TypeError, ValueError):
            total = 0
        rows = []
        self._kept_indexes: list[str] = []
        for index in range(max(total, 0)):
            if post.get(f"rows-{index}-DELETE"):
                continue
            self._kept_indexes.append(str(index))
            rows.append({name: post.get(f"rows-{index}-{name}", "") for name in self.row_class.base_fields})
        return rows

    def _posted_options(self, post: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.options_class.base_fields.items():
            raw = post.get(f"opt-{name}", "")
            values[name] = bool(raw) if isinstance(field, forms.BooleanField) else raw
        if "correct" in values:  # rows dropped before the right one move it up
            kept = getattr(self, "_kept_indexes", [])
            values["correct"] = str(kept.index(values["correct"])) if values["correct"] in kept else ""
        return values

    def is_valid(self) -> bool:
        valid = self.options.is_valid()
        if self.rows is not None:
            valid = self.rows.is_valid() and valid
        if valid:
            valid = self.check()
        return valid

    def kept_rows(self) -> list[tuple[int, RowForm]]:
        """The rows to save, with their index as sent: filled in and not ticked for deletion."""
        if self.rows is None:
            return []
        kept = []
        for index, form in enumerate(self.rows.forms):
            if form.cleaned_data.get("DELETE") or not form.cleaned_data or not form.has_content():
                continue
            kept.append((index, form))
        return kept

    def keys(self) -> list[str]:
        """Each kept row's key, a new one when absent or repeated."""
        seen: set[str] = set()
        keys = []
        for _index, form in self.kept_rows():
            key = str(form.cleaned_data.get("key") or "").strip()
            if not key or key in seen:
                key = new_key()
            seen.add(key)
            keys.append(key)
        return keys

    def row_error(self, message: str) -> None:
        self.errors.append(message)

    @property
    def errors(self) -> list[str]:
        if not hasattr(self, "_errors"):
            self._errors: list[str] = []
        return self._errors

    def check(self) -> bool:
        """Type-level checks (after fields and rows are valid); fills ``self.errors``."""
        if self.rows is not None and len(self.kept_rows()) < self.min_rows:
            self.errors.append(self.too_few_message())
        if not self.errors:
            try:
                grading.validate_data(self.qtype, self.to_data())
            except ValidationError as exc:
                self.errors.extend(exc.messages)
        return not self.errors

    def too_few_message(self) -> str:
        return _("Remplissez au moins %(n)s lignes.") % {"n": self.min_rows}

    def to_data(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def correct(self) -> str:
        """The row marked « C'est la bonne réponse » (single choice), as its index."""
        if "correct" not in self.options.fields:
            return ""
        value = self.options["correct"].value()
        return "" if value is None else str(value)

    def all_errors(self) -> list[str]:
        messages = list(self.errors)
        if self.rows is not None:
            messages.extend(self.rows.non_form_errors())
        return messages


class ChoiceEditor(Editor):
    options_class = ChoiceOptions
    row_class = ChoiceRow
    min_rows = 2
    new_rows = 4
    rows_legend = gettext_lazy("Les réponses proposées")
    row_legend = gettext_lazy("Réponse")
    add_label = gettext_lazy("Ajouter une réponse")

    def new_initial(self) -> dict[str, Any]:
        return {"shuffle": True, "correct": ""}

    def _row_extra(self, data: dict[str, Any] | None) -> list[str]:
        return [str(c.get("fraction", "0")) for c in (data or {}).get("choices", [])]

    def form_kwargs(self) -> dict[str, Any]:
        return {"negative": True, "full": self.qtype == "multiple", "extra": self.row_extra}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows, correct = [], ""
        for index, choice in enumerate(data.get("choices", [])):
            weight = canonical_fraction(choice.get("fraction", "0"))
            if self.qtype == "single" and weight == "1" and correct == "":
                correct, weight = str(index), "0"
            rows.append(
                {
                    "key": choice.get("id", ""),
                    "text": choice.get("text", ""),
                    "weight": weight,
                    "feedback": choice.get("feedback", ""),
                }
            )
        return {"shuffle": bool(data.get("shuffle", True)), "correct": correct}, rows

    def to_data(self) -> dict[str, Any]:
        correct = str(self.options.cleaned_data.get("correct") or "")
        choices = []
        for (index, form), key in zip(self.kept_rows(), self.keys(), strict=True):
            fraction = canonical_fraction(form.cleaned_data.get("weight") or "0")
            if self.qtype == "single" and str(index) == correct:
                fraction = "1"
            choices.append(
                {
                    "id": key,
                    "text": form.cleaned_data["text"],
                    "fraction": fraction,
                    "feedback": form.cleaned_data.get("feedback", ""),
                }
            )
        return {"choices": choices, "shuffle": bool(self.options.cleaned_data.get("shuffle"))}

    def check(self) -> bool:
        if self.qtype == "single":
            correct = str(self.options.cleaned_data.get("correct") or "")
            kept = {str(index) for index, _form in self.kept_rows()}
            if correct not in kept:
                self.errors.append(_("Cochez la bonne réponse (« C'est la bonne réponse »)."))
                return False
        else:
            positive = sum(
                (
                    Decimal(f.cleaned_data.get("weight") or "0")
                    for _i, f in self.kept_rows()
                    if Decimal(f.cleaned_data.get("weight") or "0") > 0
                ),
                Decimal("0"),
            )
            if abs(positive - 1) > Decimal("0.0001"):
                self.errors.append(
                    _(
                        "Les points des bonnes réponses doivent faire 100 %% au total (ici %(total)s). "
                        "Par exemple 50 %% et 50 %% pour deux bonnes réponses, 33,33333 %% trois fois pour trois."
                    )
                    % {"total": percent_label(positive)}
                )
                return False
        return super().check()

    def too_few_message(self) -> str:
        return _("Proposez au moins deux réponses.")


class TrueFalseEditor(Editor):
    qtype = "truefalse"
    options_class = TrueFalseOptions

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        answer = data.get("answer")
        return {
            "answer": "true" if answer is True else "false" if answer is False else "",
            "feedback_true": data.get("feedback_true", ""),
            "feedback_false": data.get("feedback_false", ""),
        }, []

    def to_data(self) -> dict[str, Any]:
        cleaned = self.options.cleaned_data
        return {
            "answer": cleaned.get("answer") == "true",
            "feedback_true": cleaned.get("feedback_true", ""),
            "feedback_false": cleaned.get("feedback_false", ""),
        }


class ShortEditor(Editor):
    qtype = "short"
    options_class = TextMatchOptions
    row_class = ShortRow
    min_rows = 1
    new_rows = 3
    rows_legend = gettext_lazy("Les réponses acceptées")
    row_legend = gettext_lazy("Réponse acceptée")
    add_label = gettext_lazy("Ajouter une réponse acceptée")

    def new_initial(self) -> dict[str, Any]:
        return {"case_sensitive": False, "accent_sensitive": True}

    def _row_extra(self, data: dict[str, Any] | None) -> list[str]:
        return [str(a.get("fraction", "0")) for a in (data or {}).get("answers", [])]

    def form_kwargs(self) -> dict[str, Any]:
        return {"extra": self.row_extra}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows = [
            {
                "key": a.get("id", ""),
                "text": a.get("text", ""),
                "weight": canonical_fraction(a.get("fraction", "0")),
                "feedback": a.get("feedback", ""),
            }
            for a in data.get("answers", [])
        ]
        return {
            "case_sensitive": bool(data.get("case_sensitive", False)),
            "accent_sensitive": bool(data.get("accent_sensitive", True)),
        }, rows

    def to_data(self) -> dict[str, Any]:
        answers = [
            {
                "id": key,
                "text": form.cleaned_data["text"],
                "fraction": canonical_fraction(form.cleaned_data.get("weight") or "0"),
                "feedback": form.cleaned_data.get("feedback", ""),
            }
            for (_index, form), key in zip(self.kept_rows(), self.keys(), strict=True)
        ]
        return {
            "answers": answers,
            "case_sensitive": bool(self.options.cleaned_data.get("case_sensitive")),
            "accent_sensitive": bool(self.options.cleaned_data.get("accent_sensitive")),
        }

    def too_few_message(self) -> str:
        return _("Indiquez au moins une réponse acceptée.")


class NumericalEditor(Editor):
    qtype = "numerical"
    row_class = NumericalRow
    min_rows = 1
    new_rows = 2
    rows_legend = gettext_lazy("Les réponses acceptées")
    row_legend = gettext_lazy("Réponse acceptée")
    add_label = gettext_lazy("Ajouter une réponse acceptée")

    def _row_extra(self, data: dict[str, Any] | None) -> list[str]:
        return [str(a.get("fraction", "0")) for a in (data or {}).get("answers", [])]

    def form_kwargs(self) -> dict[str, Any]:
        return {"extra": self.row_extra}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows = []
        for answer in data.get("answers", []):
            row = {
                "key": answer.get("id", ""),
                "weight": canonical_fraction(answer.get("fraction", "0")),
                "feedback": answer.get("feedback", ""),
            }
            if "min" in answer or "max" in answer:
                row.update(min=french_number(answer.get("min")), max=french_number(answer.get("max")))
            else:
                row.update(value=french_number(answer.get("value")), tolerance=french_number(answer.get("tolerance")))
            rows.append(row)
        return {}, rows

    def to_data(self) -> dict[str, Any]:
        answers = []
        for (_index, form), key in zip(self.kept_rows(), self.keys(), strict=True):
            cleaned = form.cleaned_data
            answer: dict[str, Any] = {"id": key}
            if cleaned.get("min") is not None:
                answer.update(min=decimal_text(cleaned["min"]), max=decimal_text(cleaned["max"]))
            else:
                answer.update(
                    value=decimal_text(cleaned["value"]),
                    tolerance=decimal_text(cleaned.get("tolerance") or Decimal("0")),
                )
            answer.update(
                fraction=canonical_fraction(cleaned.get("weight") or "0"), feedback=cleaned.get("feedback", "")
            )
            answers.append(answer)
        return {"answers": answers}

    def too_few_message(self) -> str:
        return _("Indiquez au moins une valeur acceptée.")


class MatchingEditor(Editor):
    qtype = "matching"
    options_class = MatchingOptions
    row_class = PairRow
    min_rows = 2
    new_rows = 4
    rows_legend = gettext_lazy("Les paires à associer")
    row_legend = gettext_lazy("Paire")
    add_label = gettext_lazy("Ajouter une paire")

    def new_initial(self) -> dict[str, Any]:
        return {"shuffle": True}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rows = [
            {"key": p.get("id", ""), "left": p.get("left", ""), "right": p.get("right", "")}
            for p in data.get("pairs", [])
        ]
        options = {"extra_rights": "\n".join(data.get("extra_rights", [])), "shuffle": bool(data.get("shuffle", True))}
        return options, rows

    def to_data(self) -> dict[str, Any]:
        pairs = [
            {"id": key, "left": form.cleaned_data["left"], "right": form.cleaned_data["right"]}
            for (_index, form), key in zip(self.kept_rows(), self.keys(), strict=True)
        ]
        extras = [line.strip() for line in self.options.cleaned_data.get("extra_rights", "").splitlines()]
        rights = {p["right"] for p in pairs}
        extras = list(dict.fromkeys(e for e in extras if e and e not in rights))
        return {"pairs": pairs, "extra_rights": extras, "shuffle": True}

    def too_few_message(self) -> str:
        return _("Proposez au moins deux paires à associer.")


class OrderingEditor(Editor):
    qtype = "ordering"
    row_class = ItemRow
    min_rows = 2
    new_rows = 4
    rows_legend = gettext_lazy("Les éléments, dans le bon ordre")
    row_legend = gettext_lazy("Élément")
    add_label = gettext_lazy("Ajouter un élément")

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return {}, [{"key": i.get("id", ""), "text": i.get("text", "")} for i in data.get("items", [])]

    def to_data(self) -> dict[str, Any]:
        items = [
            {"id": key, "text": form.cleaned_data["text"]}
            for (_index, form), key in zip(self.kept_rows(), self.keys(), strict=True)
        ]
        return {"items": items}

    def too_few_message(self) -> str:
        return _("Proposez au moins deux éléments à remettre en ordre.")


class ClozeEditor(Editor):
    qtype = "cloze"
    options_class = ClozeOptions

    def new_initial(self) -> dict[str, Any]:
        return {"case_sensitive": False, "accent_sensitive": True}

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        text_blanks = [b for b in data.get("blanks", []) if b.get("mode") != "choice"]
        first = text_blanks[0] if text_blanks else {}
        return {
            "cloze": cloze_text(data),
            "case_sensitive": bool(first.get("case_sensitive", False)),
            "accent_sensitive": bool(first.get("accent_sensitive", True)),
        }, []

    def to_data(self) -> dict[str, Any]:
        cleaned = self.options.cleaned_data
        data = cleaned["cloze"]
        for blank in data["blanks"]:
            if blank["mode"] == "text":
                blank["case_sensitive"] = bool(cleaned.get("case_sensitive"))
                blank["accent_sensitive"] = bool(cleaned.get("accent_sensitive"))
        return data


class EssayEditor(Editor):
    qtype = "essay"
    options_class = EssayOptions

    def initial_from(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return {k: data.get(k) for k in ("min_words", "max_words")} | {"grader_info": data.get("grader_info", "")}, []

    def to_data(self) -> dict[str, Any]:
        cleaned = self.options.cleaned_data
        return {
            "min_words": cleaned.get("min_words"),
            "max_words": cleaned.get("max_words"),
            "grader_info": cleaned.get("grader_info", ""),
        }


class DescriptionEditor(Editor):
    qtype = "description"

    def to_data(self) -> dict[str, Any]:
        return {}


EDITORS: dict[str, type[Editor]] = {
    "single": type("SingleEditor", (ChoiceEditor,), {"qtype": "single"}),
    "multiple": type("MultipleEditor", (ChoiceEditor,), {"qtype": "multiple"}),
    "truefalse": TrueFalseEditor,
    "short": ShortEditor,
    "numerical": NumericalEditor,
    "matching": MatchingEditor,
    "ordering": OrderingEditor,
    "cloze": ClozeEditor,
    "essay": EssayEditor,
    "description": DescriptionEditor,
}


def editor_for(qtype: str, post: Any = None, *, data: dict[str, Any] | None = None, extra_rows: int = 0) -> Editor:
    return EDITORS[qtype](post, data=data, extra_rows=extra_rows)


# --- fill-in-the-blanks written as text --------------------------------------------------------------

SPECIAL = set("[]|=#%\\")


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in SPECIAL else c for c in text)


def _escape_segment(text: str) -> str:
    return "".join(f"\\{c}" if c in "[]\\" else c for c in text)


def cloze_text(data: dict[str, Any]) -> str:
    """The editor's text of a ``cloze`` data (the reverse of ``parse_cloze``)."""
    segments = [s for s in data.get("segments", []) if isinstance(s, str)]
    blanks = data.get("blanks", [])
    out: list[str] = []
    for index, segment in enumerate(segments):
        out.append(_escape_segment(segment))
        if index < len(blanks):
            blank = blanks[index]
            choice = blank.get("mode") == "choice"
            options = []
            for answer in blank.get("answers", []):
                fraction = grading.fraction_of(answer)
                prefix = ""
                if choice and fraction == 1:
                    prefix = "="
                elif (choice and fraction != 0) or (not choice and fraction != 1):
                    prefix = f"%{decimal_text(fraction * 100)}%"
                option = prefix + _escape(str(answer.get("text", "")))
                if answer.get("feedback"):
                    option += "#" + _escape(str(answer["feedback"]))
                options.append(option)
            out.append("[[" + "|".join(options) + "]]")
    return "".join(out)


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    return _("ligne %(line)s") % {"line": line}


def _parse_option(raw: str, number: int, where: str) -> dict[str, Any]:
    right = False
    fraction: Decimal | None = None
    body = raw.strip()
    if body.startswith("="):
        right, body = True, body[1:].lstrip()
    if body.startswith("%"):
        end = body.find("%", 1)
        number_text = body[1:end] if end > 0 else ""
        fraction = grading.to_decimal(number_text)
        if end < 0 or fraction is None or not (-100 <= fraction <= 100):
            raise ValidationError(
                _("Trou n°%(n)s (%(where)s) : « %%50%% » s'écrit avec un pourcentage entre -100 et 100.")
                % {"n": number, "where": where}
            )
        fraction = fraction / 100
        body = body[end + 1 :].lstrip()
    pieces = _split_unescaped(body, "#")
    text = _unescape(pieces[0]).strip()
    feedback = _unescape("#".join(pieces[1:])).strip() if len(pieces) > 1 else ""
    if not text:
        raise ValidationError(
            _("Trou n°%(n)s (%(where)s) : une réponse est vide (deux « | » de suite ?).")
            % {"n": number, "where": where}
        )
    return {"right": right, "fraction": fraction, "text": text, "feedback": feedback}


def parse_cloze(text: str) -> dict[str, Any]:
    """``cloze`` data (segments and blanks, without the case/accent options) from the
    editor's text; ``ValidationError`` with the blank's number and line otherwise."""
    if "\x00" in text:
        raise ValidationError(_("Ce texte contient un caractère interdit."))
    segments: list[str] = []
    blanks: list[dict[str, Any]] = []
    current: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            current.append(text[index + 1])
            index += 2
            continue
        if text.startswith("]]", index):
            raise ValidationError(
                _("« ]] » sans « [[ » avant (%(where)s) : un trou s'écrit [[réponse]].")
                % {"where": _where(text, index)}
            )
        if not text.startswith("[[", index):
            current.append(char)
            index += 1
            continue
        number = len(blanks) + 1
        where = _where(text, index)
        end, scan = -1, index + 2
        while scan < length:
            if text[scan] == "\\":
                scan += 2
                continue
            if text.startswith("]]", scan):
                end = scan
                break
            if text.startswith("[[", scan):
                break
            scan += 1
        if end < 0:
            raise ValidationError(
                _("Le trou n°%(n)s (%(where)s) n'est pas fermé : ajoutez « ]] » après la réponse.")
                % {"n": number, "where": where}
            )
        inside = text[index + 2 : end]
        if not inside.strip():
            raise ValidationError(
                _("Le trou n°%(n)s (%(where)s) est vide : écrivez la réponse entre [[ et ]].")
                % {"n": number, "where": where}
            )
        options = [_parse_option(raw, number, where) for raw in _split_unescaped(inside, "|")]
        choice = any(option["right"] for option in options)
        answers = []
        for position, option in enumerate(options, start=1):
            fraction = option["fraction"]
            if option["right"]:
                fraction = Decimal("1")
            elif fraction is None:
                fraction = Decimal("0") if choice else Decimal("1")
            answers.append(
                {
                    "id": f"b{number}a{position}",
                    "text": option["text"],
                    "fraction": canonical_fraction(fraction),
                    "feedback": option["feedback"],
                }
            )
        if choice and len(answers) < 2:
            raise ValidationError(
                _(
                    "Le trou n°%(n)s (%(where)s) est une liste à choix : proposez au moins une autre réponse, "
                    "par exemple [[=département|pays]]."
                )
                % {"n": number, "where": where}
            )
        if not any(Decimal(a["fraction"]) == 1 for a in answers):
            raise ValidationError(
                _("Le trou n°%(n)s (%(where)s) n'a pas de réponse à 100 %%.") % {"n": number, "where": where}
            )
        blank: dict[str, Any] = {"id": f"b{number}", "mode": "choice" if choice else "text", "answers": answers}
        if not choice:
            blank.update(case_sensitive=False, accent_sensitive=True)
        blanks.append(blank)
        segments.append("".join(current))
        current = []
        index = end + 2
    segments.append("".join(current))
    if not blanks:
        raise ValidationError(
            _("Le texte n'a aucun trou : entourez chaque réponse de doubles crochets, par exemple [[Aurillac]].")
        )
    return {"segments": segments, "blanks": blanks}


# --- the bank's filters and bulk actions ---------------------------------------------------------------


class BankFilterForm(forms.Form):
    portee = forms.ChoiceField(
        label=gettext_lazy("Questions"),
        choices=[
            ("mine", gettext_lazy("Mes questions")),
            ("shared", gettext_lazy("Partagées par mes collègues")),
            ("all", gettext_lazy("Toutes")),
        ],
        required=False,
    )
    q = forms.CharField(label=gettext_lazy("Rechercher"), required=False, max_length=200)
    categorie = forms.ChoiceField(label=gettext_lazy("Catégorie"), required=False)
    etiquette = forms.ChoiceField(label=gettext_lazy("Étiquette"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    retirees = forms.BooleanField(label=gettext_lazy("Voir mes questions retirées"), required=False)

    def __init__(self, *args: Any, categories: list[CategoryNode], tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._categories = {str(n.category.pk): n.category for n in categories}
        self.fields["categorie"].choices = [("", _("Toutes"))] + [(str(n.category.pk), n.path) for n in categories]
        self.fields["etiquette"].choices = [("", _("Toutes"))] + [(t, t) for t in tags]
        self.fields["type"].choices = [("", _("Tous")), *QuestionType.choices]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"scope": "mine"}
        data = self.cleaned_data
        return {
            "scope": data.get("portee") or "mine",
            "text": data.get("q", ""),
            "category": self._categories.get(data.get("categorie") or ""),
            "tag": data.get("etiquette", ""),
            "qtype": data.get("type", ""),
            "retired": bool(data.get("retirees")),
        }


class BulkForm(forms.Form):
    ACTIONS = [
        ("move", gettext_lazy("Ranger dans la catégorie")),
        ("tag", gettext_lazy("Ajouter les étiquettes")),
        ("untag", gettext_lazy("Retirer les étiquettes")),
        ("share", gettext_lazy("Partager avec les collègues")),
        ("unshare", gettext_lazy("Ne plus partager")),
        ("retire", gettext_lazy("Retirer de la banque")),
        ("restore", gettext_lazy("Remettre dans la banque")),
    ]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS)
    category = forms.ChoiceField(label=gettext_lazy("Catégorie"), required=False)
    tags = _text_field(gettext_lazy("Étiquettes"), max_length=1_000)
    question = forms.MultipleChoiceField(
        label=gettext_lazy("Questions"),
        error_messages={"required": gettext_lazy("Cochez au moins une question.")},
    )

    def __init__(self, *args: Any, categories: list[CategoryNode], question_ids: Iterable[int], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._categories = {str(n.category.pk): n.category for n in categories}
        self.fields["category"].choices = [("", _("Sans catégorie"))] + [
            (str(n.category.pk), n.path) for n in categories
        ]
        self.fields["question"].choices = [(str(pk), str(pk)) for pk in question_ids]

    def clean_category(self) -> Any:
        return self._categories.get(self.cleaned_data.get("category") or "")


class CategoryForm(forms.Form):
    name = _text_field(gettext_lazy("Nom"), required=True, max_length=120)
    parent = forms.ChoiceField(label=gettext_lazy("Rangée dans"), required=False)

    def __init__(self, *args: Any, categories: list[CategoryNode], exclude: Iterable[int] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        excluded = set(exclude)
        self._categories = {str(n.category.pk): n.category for n in categories}
        self.fields["name"].error_messages["required"] = _("Donnez un nom à la catégorie.")
        self.fields["parent"].choices = [("", _("(en haut, sans catégorie parente)"))] + [
            (str(n.category.pk), n.path) for n in categories if n.category.pk not in excluded
        ]

    def clean_parent(self) -> Any:
        return self._categories.get(self.cleaned_data.get("parent") or "")
