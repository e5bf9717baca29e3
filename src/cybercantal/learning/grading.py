"""Question data, snapshots and automatic grading: the one contract between the question
bank, GIFT import/export, attempts and results.

``Question.data`` per type (fractions are decimal *strings* in [-1, 1], "1" = full marks;
every list item has a stable ``id`` that responses refer to; ``feedback`` is shown with
the answer when the assignment's feedback timing allows it):

- ``single``: ``{"choices": [{"id", "text", "fraction", "feedback"}], "shuffle": bool}``
  — response ``{"choice": id}``.
- ``multiple``: same shape; weights may be negative; the positive ones add up to 1 —
  response ``{"choices": [id, ...]}``; grade = sum of the chosen weights, kept in [0, 1].
- ``truefalse``: ``{"answer": bool, "feedback_true": str, "feedback_false": str}`` (the
  feedback shown when the student answered true / false) — response ``{"value": bool}``.
- ``short``: ``{"answers": [{"id", "text", "fraction", "feedback"}], "case_sensitive": bool,
  "accent_sensitive": bool}``; ``*`` in an accepted answer matches any characters —
  response ``{"text": str}``; grade = best matching answer.
- ``numerical``: ``{"answers": [{"id", "value", "tolerance", "fraction", "feedback"}
  | {"id", "min", "max", "fraction", "feedback"}]}`` (decimal strings) — response
  ``{"value": "3,14"}`` (comma or point); grade = best matching answer (partial credit).
- ``matching``: ``{"pairs": [{"id", "left", "right"}], "extra_rights": [str],
  "shuffle": bool}`` — response ``{"matches": {pair_id: right_text}}``; grade = share of
  pairs matched right.
- ``ordering``: ``{"items": [{"id", "text"}]}`` in the right order — response
  ``{"order": [id, ...]}``; grade = share of items in their right place.
- ``cloze`` (fill in the blanks; GIFT's "missing word" is a cloze with one blank):
  ``{"segments": [str, ...], "blanks": [{"id", "mode": "choice"|"text", "answers": [{"id",
  "text", "fraction", "feedback"}], "case_sensitive": bool, "accent_sensitive": bool}]}``
  with ``len(segments) == len(blanks) + 1`` (text, blank, text, ..., text) — response
  ``{"blanks": {blank_id: answer_id (choice) or text}}``; grade = mean of the blanks.
- ``essay``: ``{"min_words": int|None, "max_words": int|None, "grader_info": str}`` —
  response ``{"text": str}``; graded by the teacher (``fraction`` None until then).
- ``description``: ``{}``; no response, no mark.

A *snapshot* (``snapshot(question, ...)``) freezes a question for an attempt: what it
said when the attempt started, with the display order of choices drawn once, so that
editing the bank later never changes a pupil's attempt.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ONE = Decimal("1")
ZERO = Decimal("0")
FRACTION_PLACES = Decimal("0.0000001")
# Numbers beyond 10^±30 are not what a collège question asks; refusing them keeps Decimal
# arithmetic (value ± tolerance) far from its overflow traps.
MAX_EXPONENT = 30
# A short answer longer than this is not a short answer: it is worth 0 without being compared.
MAX_SHORT_ANSWER = 2_000

AUTO_GRADED = frozenset({"single", "multiple", "truefalse", "short", "numerical", "matching", "ordering", "cloze"})
MANUALLY_GRADED = frozenset({"essay"})
NOT_GRADED = frozenset({"description"})


@dataclass
class Grade:
    """What grading says of a response: ``fraction`` in [0, 1] (None: a teacher grades it),
    the feedback of the chosen answers, and per-part correctness for the correction."""

    fraction: Decimal | None
    feedback: list[str] = field(default_factory=list)
    parts: dict[str, bool] = field(default_factory=dict)

    @property
    def is_right(self) -> bool:
        return self.fraction is not None and self.fraction >= ONE

    @property
    def is_partial(self) -> bool:
        return self.fraction is not None and ZERO < self.fraction < ONE


def to_decimal(value: Any) -> Decimal | None:
    """A decimal from what a person or a file wrote ("3,14", " 2 ", 1e3); None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not text or len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number and abs(number.adjusted()) > MAX_EXPONENT:
        return None
    return number


def fraction_of(item: Any) -> Decimal:
    if not isinstance(item, dict):
        return ZERO
    return to_decimal(item.get("fraction", "0")) or ZERO


def _items(data: Any, key: str) -> list[dict[str, Any]]:
    """The list ``data[key]`` keeping only its dict items: data written by another path (an
    old snapshot, an import) never makes grading raise."""
    value = data.get(key) if isinstance(data, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _clamp(value: Decimal) -> Decimal:
    value = max(ZERO, min(ONE, value))
    return value.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP)


def fold(text: str, *, case_sensitive: bool = False, accent_sensitive: bool = True) -> str:
    """Text as compared for short answers: spaces collapsed, case and accents folded on demand."""
    text = " ".join(str(text).split())
    if not accent_sensitive:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = unicodedata.normalize("NFC", text)
    return text if case_sensitive else text.casefold()


def text_matches(given: str, accepted: str, *, case_sensitive: bool, accent_sensitive: bool) -> bool:
    """``given`` is ``accepted`` once folded; ``*`` in ``accepted`` stands for any characters
    (none included). Linear in the length of ``given`` (no regular expression: a pupil's
    long answer against an accepted answer full of ``*`` cannot make it backtrack)."""
    if not isinstance(given, str) or not isinstance(accepted, str) or len(given) > MAX_SHORT_ANSWER:
        return False
    given_f = fold(given, case_sensitive=case_sensitive, accent_sensitive=accent_sensitive)
    accepted_f = fold(accepted, case_sensitive=case_sensitive, accent_sensitive=accent_sensitive)
    if "*" not in accepted_f:
        return given_f == accepted_f
    first, *middle, last = accepted_f.split("*")
    if len(given_f) < len(first) + len(last) or not given_f.startswith(first) or not given_f.endswith(last):
        return False
    position, end = len(first), len(given_f) - len(last)
    for part in middle:  # each piece as early as possible: greedy is right for a lone "*"
        found = given_f.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _best_text_answer(
    given: str, answers: list[dict[str, Any]], *, case_sensitive: bool, accent_sensitive: bool
) -> dict[str, Any] | None:
    best = None
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        matches = text_matches(
            given, str(answer.get("text", "")), case_sensitive=case_sensitive, accent_sensitive=accent_sensitive
        )
        if matches and (best is None or fraction_of(answer) > fraction_of(best)):
            best = answer
    return best


def numerical_matches(value: Decimal, answer: dict[str, Any]) -> bool:
    """``value`` is in ``answer``'s range, or within its tolerance of its value (bounds included)."""
    if "min" in answer or "max" in answer:
        low, high = to_decimal(answer.get("min")), to_decimal(answer.get("max"))
        return low is not None and high is not None and low <= value <= high
    target = to_decimal(answer.get("value"))
    if target is None:
        return False
    tolerance = abs(to_decimal(answer.get("tolerance", "0")) or ZERO)
    return target - tolerance <= value <= target + tolerance


# --- Grading ---------------------------------------------------------------------------------


def grade(qtype: str, data: dict[str, Any], response: dict[str, Any] | None) -> Grade:
    """Grade ``response`` to a question of type ``qtype`` with ``data`` (a snapshot's or the
    bank's). A missing or malformed response is worth 0, never an error."""
    if qtype in NOT_GRADED:
        return Grade(fraction=None)
    if qtype in MANUALLY_GRADED:
        return Grade(fraction=None)
    response = response if isinstance(response, dict) else {}
    grader = _GRADERS.get(qtype)
    if grader is None:
        return Grade(fraction=ZERO)
    return grader(data if isinstance(data, dict) else {}, response)


def _grade_single(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    chosen = response.get("choice")
    if not isinstance(chosen, str | int) or isinstance(chosen, bool):
        return Grade(ZERO)
    for choice in _items(data, "choices"):
        if str(choice.get("id")) == str(chosen):
            feedback = [str(choice["feedback"])] if choice.get("feedback") else []
            return Grade(_clamp(fraction_of(choice)), feedback, {str(chosen): fraction_of(choice) > 0})
    return Grade(ZERO)


def _grade_multiple(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    chosen = response.get("choices")
    chosen_ids = {str(c) for c in chosen if isinstance(c, str | int)} if isinstance(chosen, list) else set()
    total = ZERO
    feedback: list[str] = []
    parts: dict[str, bool] = {}
    for choice in _items(data, "choices"):
        if str(choice.get("id")) in chosen_ids:
            total += fraction_of(choice)
            parts[str(choice.get("id"))] = fraction_of(choice) > 0
            if choice.get("feedback"):
                feedback.append(str(choice["feedback"]))
    return Grade(_clamp(total), feedback, parts)


def _grade_truefalse(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    value = response.get("value")
    if not isinstance(value, bool):
        return Grade(ZERO)
    right = value == bool(data.get("answer"))
    text = data.get("feedback_true" if value else "feedback_false", "")
    return Grade(ONE if right else ZERO, [str(text)] if text else [], {"value": right})


def _grade_short(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    given = response.get("text")
    if not isinstance(given, str) or not given.strip():
        return Grade(ZERO)
    best = _best_text_answer(
        given,
        _items(data, "answers"),
        case_sensitive=bool(data.get("case_sensitive", False)),
        accent_sensitive=bool(data.get("accent_sensitive", True)),
    )
    if best is None:
        return Grade(ZERO)
    return Grade(_clamp(fraction_of(best)), [str(best["feedback"])] if best.get("feedback") else [])


def _grade_numerical(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    value = to_decimal(response.get("value"))
    if value is None:
        return Grade(ZERO)
    best = None
    for answer in _items(data, "answers"):
        if numerical_matches(value, answer) and (best is None or fraction_of(answer) > fraction_of(best)):
            best = answer
    if best is None:
        return Grade(ZERO)
    return Grade(_clamp(fraction_of(best)), [str(best["feedback"])] if best.get("feedback") else [])


def _grade_matching(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    pairs = [p for p in _items(data, "pairs") if p.get("left")]
    matches = response.get("matches")
    matches = {str(k): v for k, v in matches.items()} if isinstance(matches, dict) else {}
    if not pairs:
        return Grade(ZERO)
    parts = {str(p.get("id")): matches.get(str(p.get("id"))) == p.get("right") for p in pairs}
    right = sum(1 for ok in parts.values() if ok)
    return Grade(_clamp(Decimal(right) / Decimal(len(pairs))), [], parts)


def _grade_ordering(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    items = [str(item.get("id")) for item in _items(data, "items")]
    order = response.get("order")
    order = [str(i) for i in order] if isinstance(order, list) else []
    if not items:
        return Grade(ZERO)
    parts = {item: index < len(order) and order[index] == item for index, item in enumerate(items)}
    right = sum(1 for ok in parts.values() if ok)
    return Grade(_clamp(Decimal(right) / Decimal(len(items))), [], parts)


def _grade_cloze(data: dict[str, Any], response: dict[str, Any]) -> Grade:
    blanks = _items(data, "blanks")
    given = response.get("blanks")
    given = {str(k): v for k, v in given.items()} if isinstance(given, dict) else {}
    if not blanks:
        return Grade(ZERO)
    total = ZERO
    feedback: list[str] = []
    parts: dict[str, bool] = {}
    for blank in blanks:
        value = given.get(str(blank.get("id")))
        chosen = None
        if blank.get("mode") == "choice":
            if isinstance(value, str | int) and not isinstance(value, bool):
                chosen = next((a for a in _items(blank, "answers") if str(a.get("id")) == str(value)), None)
        elif isinstance(value, str) and value.strip():
            chosen = _best_text_answer(
                value,
                _items(blank, "answers"),
                case_sensitive=bool(blank.get("case_sensitive", False)),
                accent_sensitive=bool(blank.get("accent_sensitive", True)),
            )
        fraction = max(ZERO, fraction_of(chosen)) if chosen else ZERO
        parts[str(blank.get("id", ""))] = fraction >= ONE
        total += min(fraction, ONE)
        if chosen and chosen.get("feedback"):
            feedback.append(str(chosen["feedback"]))
    return Grade(_clamp(total / Decimal(len(blanks))), feedback, parts)


_GRADERS = {
    "single": _grade_single,
    "multiple": _grade_multiple,
    "truefalse": _grade_truefalse,
    "short": _grade_short,
    "numerical": _grade_numerical,
    "matching": _grade_matching,
    "ordering": _grade_ordering,
    "cloze": _grade_cloze,
}


# --- Snapshots -----------------------------------------------------------------------------


def snapshot(question: Any, *, shuffle_answers: bool = False, rng: random.Random | None = None) -> dict[str, Any]:
    """Freeze ``question`` for an attempt. ``display`` holds the order in which choices,
    right-hand options or items are shown (drawn once here, so resuming on another device
    shows the same order)."""
    rng = rng or random.Random()  # noqa: S311 - display order, not a secret
    data = question.data or {}
    display: dict[str, Any] = {}
    qtype = question.qtype
    if qtype in {"single", "multiple"}:
        ids = [c["id"] for c in data.get("choices", [])]
        if shuffle_answers and data.get("shuffle", True):
            rng.shuffle(ids)
        display["choices"] = ids
    elif qtype == "matching":
        rights = sorted(
            {p["right"] for p in data.get("pairs", []) if p.get("left")} | set(data.get("extra_rights", []))
        )
        rng.shuffle(rights)
        display["rights"] = rights
    elif qtype == "ordering":
        ids = [item["id"] for item in data.get("items", [])]
        original = list(ids)
        while len(ids) > 1 and ids == original:  # the right order is never the one shown
            rng.shuffle(ids)
        display["items"] = ids
    elif qtype == "cloze":
        display["blanks"] = {}
        for blank in data.get("blanks", []):
            if blank.get("mode") == "choice":
                ids = [a["id"] for a in blank.get("answers", [])]
                if shuffle_answers:
                    rng.shuffle(ids)
                display["blanks"][blank["id"]] = ids
    return {
        "question_id": question.pk,
        "qtype": qtype,
        "name": question.name,
        "text": question.text,
        "text_format": question.text_format,
        "data": data,
        "general_feedback": question.general_feedback,
        "display": display,
    }


# --- Validation of question data -------------------------------------------------------------


def _require(condition: bool, message: str, errors: list[str]) -> None:
    if not condition:
        errors.append(message)


def _check_fractions(items: list[dict[str, Any]], errors: list[str]) -> None:
    for item in items:
        fraction = to_decimal(item.get("fraction", "0"))
        if fraction is None or not (-ONE <= fraction <= ONE):
            errors.append(_("Un poids de réponse doit être compris entre -100 % et 100 %."))
            return


def validate_data(qtype: str, data: Any) -> None:
    """Raise ``ValidationError`` (French messages) when ``data`` does not fit ``qtype``."""
    errors: list[str] = []
    if not isinstance(data, dict) or not _well_formed(qtype, data):
        raise ValidationError(_("Les réponses de la question sont illisibles."))
    if qtype in {"single", "multiple"}:
        choices = data.get("choices", [])
        _require(len(choices) >= 2, _("Proposez au moins deux réponses."), errors)
        _require(all(str(c.get("text", "")).strip() for c in choices), _("Une réponse proposée est vide."), errors)
        _check_fractions(choices, errors)
        if qtype == "single":
            _require(any(fraction_of(c) == ONE for c in choices), _("Indiquez la bonne réponse (100 %)."), errors)
        else:
            positive = sum((fraction_of(c) for c in choices if fraction_of(c) > 0), ZERO)
            _require(
                abs(positive - ONE) <= Decimal("0.0001"),
                _("Les poids positifs des bonnes réponses doivent faire 100 %% au total (ici %(total)s %%).")
                % {"total": format((positive * 100).normalize(), "f").replace(".", ",")},
                errors,
            )
    elif qtype == "truefalse":
        _require(isinstance(data.get("answer"), bool), _("Indiquez si l'affirmation est vraie ou fausse."), errors)
    elif qtype == "short":
        answers = data.get("answers", [])
        _require(bool(answers), _("Indiquez au moins une réponse acceptée."), errors)
        _require(all(str(a.get("text", "")).strip() for a in answers), _("Une réponse acceptée est vide."), errors)
        _check_fractions(answers, errors)
        _require(any(fraction_of(a) == ONE for a in answers), _("Une réponse acceptée doit valoir 100 %."), errors)
    elif qtype == "numerical":
        answers = data.get("answers", [])
        _require(bool(answers), _("Indiquez au moins une valeur acceptée."), errors)
        for answer in answers:
            if "min" in answer or "max" in answer:
                low, high = to_decimal(answer.get("min")), to_decimal(answer.get("max"))
                _require(
                    low is not None and high is not None and low <= high,
                    _("Un intervalle doit aller d'un nombre à un nombre plus grand."),
                    errors,
                )
            else:
                _require(
                    to_decimal(answer.get("value")) is not None, _("Une valeur acceptée n'est pas un nombre."), errors
                )
                tolerance = to_decimal(answer.get("tolerance", "0"))
                _require(
                    tolerance is not None and tolerance >= 0,
                    _("La marge d'erreur doit être un nombre positif."),
                    errors,
                )
        _check_fractions(answers, errors)
        _require(any(fraction_of(a) == ONE for a in answers), _("Une valeur acceptée doit valoir 100 %."), errors)
    elif qtype == "matching":
        pairs = [p for p in data.get("pairs", []) if p.get("left")]
        _require(len(pairs) >= 2, _("Proposez au moins deux paires à associer."), errors)
        _require(
            all(str(p.get("right", "")).strip() for p in pairs), _("Chaque élément doit avoir son associé."), errors
        )
    elif qtype == "ordering":
        items = data.get("items", [])
        _require(len(items) >= 2, _("Proposez au moins deux éléments à remettre en ordre."), errors)
        _require(all(str(i.get("text", "")).strip() for i in items), _("Un élément à ordonner est vide."), errors)
        texts = [fold(str(i.get("text", ""))) for i in items]
        _require(
            len(texts) == len(set(texts)),
            _("Deux éléments à ordonner sont identiques : l'élève ne pourrait pas les distinguer."),
            errors,
        )
    elif qtype == "cloze":
        blanks, segments = data.get("blanks", []), data.get("segments", [])
        _require(bool(blanks), _("Le texte doit contenir au moins un trou."), errors)
        _require(len(segments) == len(blanks) + 1, _("Le texte à trous est mal formé."), errors)
        for blank in blanks:
            answers = blank.get("answers", [])
            _require(bool(answers), _("Chaque trou doit avoir au moins une réponse acceptée."), errors)
            _require(
                any(fraction_of(a) == ONE for a in answers), _("Chaque trou doit avoir une réponse à 100 %."), errors
            )
            _require(all(str(a.get("text", "")).strip() for a in answers), _("Une réponse d'un trou est vide."), errors)
            answer_ids = [a["id"] for a in answers]
            _require(len(answer_ids) == len(set(answer_ids)), _("Deux réponses portent le même identifiant."), errors)
            _check_fractions(answers, errors)
            if blank.get("mode") == "choice":
                _require(len(answers) >= 2, _("Un trou à choix doit proposer au moins deux réponses."), errors)
    elif qtype == "essay":
        low, high = data.get("min_words"), data.get("max_words")
        for bound in (low, high):
            _require(
                bound is None or (isinstance(bound, int) and not isinstance(bound, bool) and bound >= 0),
                _("Un nombre de mots doit être un entier positif."),
                errors,
            )
        if isinstance(low, int) and isinstance(high, int):
            _require(low <= high, _("Le nombre de mots minimum dépasse le maximum."), errors)
    elif qtype == "description":
        pass
    else:
        errors.append(_("Type de question inconnu."))
    ids = _all_ids(qtype, data)
    _require(len(ids) == len(set(ids)), _("Deux réponses portent le même identifiant."), errors)
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))


_LISTS = {
    "single": ("choices",),
    "multiple": ("choices",),
    "short": ("answers",),
    "numerical": ("answers",),
    "matching": ("pairs",),
    "ordering": ("items",),
    "cloze": ("segments", "blanks"),
}


def _well_formed(qtype: str, data: dict[str, Any]) -> bool:
    """The lists of ``data`` are lists of objects (of strings for cloze segments), every
    object with an id; a blank's answers too. What the French checks then read safely."""
    for key in _LISTS.get(qtype, ()):
        value = data.get(key, [])
        if not isinstance(value, list):
            return False
        if key == "segments":
            if not all(isinstance(item, str) for item in value):
                return False
            continue
        if not all(isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] for item in value):
            return False
        if key == "blanks":
            for blank in value:
                answers = blank.get("answers", [])
                if not isinstance(answers, list) or not all(
                    isinstance(a, dict) and isinstance(a.get("id"), str) for a in answers
                ):
                    return False
    if qtype == "matching":
        extras = data.get("extra_rights", [])
        return isinstance(extras, list) and all(isinstance(x, str) for x in extras)
    return True


def _all_ids(qtype: str, data: dict[str, Any]) -> list[str]:
    key = {"single": "choices", "multiple": "choices", "short": "answers", "numerical": "answers",
           "matching": "pairs", "ordering": "items", "cloze": "blanks"}.get(qtype)  # fmt: skip
    return [str(item.get("id")) for item in data.get(key, [])] if key else []
