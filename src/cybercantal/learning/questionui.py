"""How a pupil sees and answers a question: one accessible widget per question type, and
the reading of what the browser sent back.

``render_question(snapshot, response, *, prefix, ...)`` turns a snapshot (see
``learning.grading.snapshot``) and the saved response into HTML; ``parse_response(snapshot,
data, *, prefix)`` reads a form POST (a ``QueryDict`` or a plain dict) back into a response
of the shape ``learning.grading`` documents, or ``None`` when nothing was answered.
``parse_response(render_question(r))`` gives ``r`` back for every response a person can give.

Accessibility is the point (RGAA, pupils on phones, screen readers):

- each question is a ``<fieldset>`` whose ``<legend>`` is the stem; choices are native
  radios and checkboxes inside their label (the whole row is the touch target);
- numbers go in a text input with ``inputmode="decimal"`` (a comma is accepted); short
  answers and text blanks in text inputs; choice blanks and matching in ``<select>``;
- ordering has a "position" ``<select>`` per item and, with JavaScript, "Monter" /
  "Descendre" buttons that announce the new position: no drag-only interaction;
- a cloze shows its text with the blanks inline, each labelled "Trou 1 sur 2";
- right and wrong are said in words and by an icon with text, never by colour alone.

Field names are built from ``prefix`` and positions (never from ids, which come from
imports and may hold any character); the snapshot maps them back. Nothing secret (which
answer is right, fractions) is written in the HTML unless feedback is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import grading, richtext

MAX_TEXT = 1_000  # short answers, numbers, text blanks
MAX_ESSAY = 50_000
NO_VERDICT = {"kind": "", "icon": "", "text": ""}
BLANK_TOKEN = "\u2063CCBLANK{}\u2063"  # noqa: S105 - the place of a blank inside a cloze's HTML


# --- text of questions ---------------------------------------------------------------------------


def format_text(text: str, text_format: str) -> SafeString:
    """A question's rich text: cleaned HTML when the format is html, otherwise the text
    escaped with its line breaks (plain, moodle and markdown alike)."""
    text = text or ""
    if text_format == "html":
        return richtext.render(text)
    return mark_safe(linebreaks(escape(text)))  # escaped just here


def format_inline(text: str, text_format: str) -> SafeString:
    """Short rich text inside a label (a choice, an item): no paragraph around it."""
    text = text or ""
    if text_format == "html":
        return richtext.render(text)
    return mark_safe(escape(text).replace("\n", "<br>"))  # escaped just here


def plain_text(text: str, text_format: str) -> str:
    """Text for an ``<option>`` or an announcement (no markup possible there)."""
    return richtext.plain(text) if text_format == "html" else " ".join(str(text or "").split())


# --- reading the form ----------------------------------------------------------------------------


def _get(data: Any, name: str) -> str:
    """One value of ``data`` as text, never raising whatever ``data`` is."""
    try:
        value = data.get(name) if hasattr(data, "get") else None
    except (AttributeError, KeyError, TypeError, ValueError):  # a malformed POST is no answer
        return ""
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def _getlist(data: Any, name: str) -> list[str]:
    try:
        values = data.getlist(name) if hasattr(data, "getlist") else (data.get(name) if hasattr(data, "get") else None)
    except (AttributeError, KeyError, TypeError, ValueError):
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return []
    return [v for v in values if isinstance(v, str)]


def _index(value: str, size: int) -> int | None:
    """A position sent back by a select or a radio (``"0"``..``"size-1"``), else None."""
    value = value.strip()
    if not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if 0 <= number < size else None


def _clip(text: str, limit: int) -> str:
    return text.replace("\x00", "").strip()[:limit]


def _data(snapshot: dict[str, Any]) -> dict[str, Any]:
    data = snapshot.get("data")
    return data if isinstance(data, dict) else {}


def _display(snapshot: dict[str, Any]) -> dict[str, Any]:
    display = snapshot.get("display")
    return display if isinstance(display, dict) else {}


def _list(mapping: Any, key: str) -> list[Any]:
    """``mapping[key]`` if it is a list, else an empty list (old or broken snapshots)."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return list(value) if isinstance(value, list) else []


def _dicts(mapping: Any, key: str) -> list[dict[str, Any]]:
    return [item for item in _list(mapping, key) if isinstance(item, dict) and "id" in item]


# --- display order (from the snapshot, robust to old or partial snapshots) ------------------------


def _choices(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    choices = _dicts(_data(snapshot), "choices")
    by_id = {str(c["id"]): c for c in choices}
    order = [str(i) for i in _list(_display(snapshot), "choices") if str(i) in by_id]
    order += [str(c["id"]) for c in choices if str(c["id"]) not in order]
    return [by_id[i] for i in order]


def _pairs(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in _dicts(_data(snapshot), "pairs") if p.get("left")]


def _rights(snapshot: dict[str, Any]) -> list[str]:
    rights = [str(r) for r in _list(_display(snapshot), "rights")]
    known = {str(p.get("right", "")) for p in _pairs(snapshot)} | {
        str(r) for r in _list(_data(snapshot), "extra_rights")
    }
    rights = [r for r in rights if r in known]
    rights += sorted(known - set(rights) - {""})
    return rights


def _items(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    items = _dicts(_data(snapshot), "items")
    by_id = {str(i["id"]): i for i in items}
    order = [str(i) for i in _list(_display(snapshot), "items") if str(i) in by_id]
    order += [str(i["id"]) for i in items if str(i["id"]) not in order]
    return [by_id[i] for i in order]


def _blanks(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return _dicts(_data(snapshot), "blanks")


def _blank_answers(snapshot: dict[str, Any], blank: dict[str, Any]) -> list[dict[str, Any]]:
    answers = _dicts(blank, "answers")
    by_id = {str(a["id"]): a for a in answers}
    shown = _list(_display(snapshot).get("blanks"), str(blank["id"]))
    order = [str(i) for i in shown if str(i) in by_id]
    order += [str(a["id"]) for a in answers if str(a["id"]) not in order]
    return [by_id[i] for i in order]


# --- parsing ---------------------------------------------------------------------------------------


def parse_response(snapshot: dict[str, Any], data: Any, *, prefix: str) -> dict[str, Any] | None:
    """The response a form POST holds for the question of ``snapshot``; None when nothing
    was answered. Never raises: a malformed POST is read as no answer (or the part of it
    that makes sense)."""
    if not isinstance(snapshot, dict):
        return None
    parser = _PARSERS.get(str(snapshot.get("qtype")))
    return parser(snapshot, data, prefix) if parser else None


def _parse_single(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    choices = _choices(snapshot)
    index = _index(_get(data, f"{prefix}-choice"), len(choices))
    return {"choice": str(choices[index]["id"])} if index is not None else None


def _parse_multiple(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    choices = _choices(snapshot)
    indexes = {i for i in (_index(v, len(choices)) for v in _getlist(data, f"{prefix}-choices")) if i is not None}
    chosen_ids = {str(choices[i]["id"]) for i in indexes}
    # In the question's own order, whatever the display order: the same answer reads the same.
    chosen = [str(c["id"]) for c in _dicts(_data(snapshot), "choices") if str(c["id"]) in chosen_ids]
    return {"choices": chosen} if chosen else None


def _parse_truefalse(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    value = _get(data, f"{prefix}-value")
    return {"value": value == "true"} if value in {"true", "false"} else None


def _parse_text(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    text = _clip(_get(data, f"{prefix}-text"), MAX_TEXT)
    return {"text": text} if text else None


def _parse_numerical(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    value = _clip(_get(data, f"{prefix}-value"), 100)
    return {"value": value} if value else None


def _parse_matching(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    rights = _rights(snapshot)
    matches: dict[str, str] = {}
    for position, pair in enumerate(_pairs(snapshot)):
        index = _index(_get(data, f"{prefix}-match-{position}"), len(rights))
        if index is not None:
            matches[str(pair["id"])] = rights[index]
    return {"matches": matches} if matches else None


def _parse_ordering(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    """Each item (by its position in the snapshot's display order) has the position the pupil
    chose and the one it was shown at. Ties (two items given the same place without
    JavaScript) go to the item that moved: before the others if it moved up, after if down."""
    items = _items(snapshot)
    size = len(items)
    keys = []
    seen = False
    for index, item in enumerate(items):
        chosen = _index(_get(data, f"{prefix}-pos-{index}"), size + 1)
        shown = _index(_get(data, f"{prefix}-at-{index}"), size + 1)
        if chosen is None or chosen == 0:
            chosen = shown if shown else index + 1
        else:
            seen = True
        shown = shown or chosen
        direction = -1 if chosen < shown else (1 if chosen > shown else 0)
        keys.append(((chosen, direction, shown, index), str(item["id"])))
    if not seen or size == 0:
        return None
    return {"order": [item_id for _key, item_id in sorted(keys)]}


def _parse_cloze(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    given: dict[str, str] = {}
    for position, blank in enumerate(_blanks(snapshot)):
        value = _get(data, f"{prefix}-blank-{position}")
        if blank.get("mode") == "choice":
            answers = _blank_answers(snapshot, blank)
            index = _index(value, len(answers))
            if index is not None:
                given[str(blank["id"])] = str(answers[index]["id"])
        else:
            text = _clip(value, MAX_TEXT)
            if text:
                given[str(blank["id"])] = text
    return {"blanks": given} if given else None


def _parse_essay(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    text = _get(data, f"{prefix}-text").replace("\x00", "").replace("\r\n", "\n")[:MAX_ESSAY]
    return {"text": text} if text.strip() else None


def _parse_nothing(snapshot: dict[str, Any], data: Any, prefix: str) -> dict[str, Any] | None:
    return None


_PARSERS: dict[str, Callable[[dict[str, Any], Any, str], dict[str, Any] | None]] = {
    "single": _parse_single,
    "multiple": _parse_multiple,
    "truefalse": _parse_truefalse,
    "short": _parse_text,
    "numerical": _parse_numerical,
    "matching": _parse_matching,
    "ordering": _parse_ordering,
    "cloze": _parse_cloze,
    "essay": _parse_essay,
    "description": _parse_nothing,
}


# --- rendering -----------------------------------------------------------------------------------


def is_answered(qtype: str, response: Any) -> bool:
    return qtype != "description" and isinstance(response, dict) and bool(response)


def verdict(qtype: str, response: Any, grade: grading.Grade | None) -> dict[str, str]:
    """What the pupil is told of an answer, in words, with an icon that has text too."""
    if qtype == "description":
        return NO_VERDICT
    if not is_answered(qtype, response):
        return {"kind": "none", "icon": "–", "text": _("Pas de réponse")}
    if grade is None or grade.fraction is None:
        if qtype == "essay":
            return {"kind": "pending", "icon": "…", "text": _("En attente de correction par l'enseignant")}
        return NO_VERDICT
    if grade.is_right:
        return {"kind": "right", "icon": "✓", "text": _("Bonne réponse")}
    if grade.is_partial:
        return {"kind": "partial", "icon": "◐", "text": _("Réponse en partie juste")}
    return {"kind": "wrong", "icon": "✗", "text": _("Réponse fausse")}


def _part_verdict(ok: bool | None) -> dict[str, str] | None:
    if ok is None:
        return None
    return (
        {"kind": "right", "icon": "✓", "text": _("juste")} if ok else {"kind": "wrong", "icon": "✗", "text": _("faux")}
    )


def render_question(
    snapshot: dict[str, Any],
    response: dict[str, Any] | None,
    *,
    prefix: str,
    disabled: bool = False,
    show_feedback: bool = False,
    grade: grading.Grade | None = None,
    show_right_answers: bool = False,
) -> SafeString:
    """The HTML of one question for a form (field names start with ``prefix``, an HTML id).

    ``disabled``: read only (a review, a locked answer). ``show_feedback``: say whether it is
    right, with the feedback of the chosen answers and the general feedback (``grade`` is
    computed from the snapshot when not given). ``show_right_answers``: also point out the
    right choices (after the close date, in training)."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    qtype = str(snapshot.get("qtype", ""))
    data = _data(snapshot)
    fmt = str(snapshot.get("text_format") or "moodle")
    response = response if isinstance(response, dict) else None
    if show_feedback and grade is None and qtype in grading.AUTO_GRADED and response is not None:
        grade = grading.grade(qtype, data, response)
    builder = _BUILDERS.get(qtype)
    if builder is None:
        return format_html('<p class="question question--unknown">{}</p>', _("Ce type de question est inconnu."))
    context: dict[str, Any] = {
        "prefix": prefix,
        "qtype": qtype,
        "stem": format_text(str(snapshot.get("text", "")), fmt),
        "disabled": disabled,
        "show_feedback": show_feedback,
        "show_right_answers": show_right_answers,
        "verdict": verdict(qtype, response, grade) if show_feedback else NO_VERDICT,
        "feedback": [],
        "general_feedback": "",
    }
    context.update(builder(snapshot, response or {}, prefix, fmt, grade if show_feedback else None, show_right_answers))
    if show_feedback:
        if grade is not None and not context.pop("feedback_inline", False):
            context["feedback"] = [format_inline(text, fmt) for text in grade.feedback if text]
        general = str(snapshot.get("general_feedback") or "")
        context["general_feedback"] = format_text(general, fmt) if general.strip() else ""
    context.pop("feedback_inline", None)
    return mark_safe(render_to_string(f"learning/attempts/widgets/{qtype}.html", context))


def _build_choices(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    qtype = snapshot.get("qtype")
    if qtype == "single":
        chosen = {str(response.get("choice"))} if response.get("choice") is not None else set()
    else:
        values = response.get("choices")
        chosen = {str(v) for v in values} if isinstance(values, list) else set()
    rows = []
    for index, choice in enumerate(_choices(snapshot)):
        checked = str(choice["id"]) in chosen
        fraction = grading.fraction_of(choice)
        rows.append(
            {
                "index": index,
                "label": format_inline(str(choice.get("text", "")), fmt),
                "checked": checked,
                "verdict": _part_verdict(fraction > 0) if grade is not None and checked else None,
                "feedback": format_inline(str(choice.get("feedback", "")), fmt)
                if grade is not None and checked and choice.get("feedback")
                else "",
                "is_answer": answers and fraction > 0,
            }
        )
    return {"choices": rows, "feedback_inline": True}


def _build_truefalse(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    value = response.get("value")
    right = bool(_data(snapshot).get("answer"))
    rows = [
        {"value": "true", "label": _("Vrai"), "checked": value is True, "is_answer": answers and right},
        {"value": "false", "label": _("Faux"), "checked": value is False, "is_answer": answers and not right},
    ]
    return {"choices": rows}


def _build_short(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    accepted = [
        str(a.get("text", "")) for a in _dicts(_data(snapshot), "answers") if grading.fraction_of(a) >= grading.ONE
    ]
    text = response.get("text")
    return {
        "value": text if isinstance(text, str) else "",
        "right_answers": accepted if answers else [],
        "maxlength": MAX_TEXT,
    }


def _build_numerical(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    value = response.get("value")
    value = value if isinstance(value, str) else ("" if value is None else str(value))
    right = []
    if answers:
        for answer in _dicts(_data(snapshot), "answers"):
            if grading.fraction_of(answer) < grading.ONE:
                continue
            if "min" in answer or "max" in answer:
                right.append(
                    _("entre %(min)s et %(max)s")
                    % {"min": _number(answer.get("min")), "max": _number(answer.get("max"))}
                )
            else:
                tolerance = grading.to_decimal(answer.get("tolerance", "0")) or grading.ZERO
                text = _number(answer.get("value"))
                right.append(
                    text
                    if not tolerance
                    else _("%(value)s (à %(tol)s près)") % {"value": text, "tol": _number(tolerance)}
                )
    return {
        "value": value,
        "not_a_number": bool(value.strip()) and grading.to_decimal(value) is None,
        "right_answers": right,
    }


def _number(value: Any) -> str:
    number = grading.to_decimal(value)
    if number is None:
        return str(value or "")
    return format(number.normalize(), "f").replace(".", ",")


def _build_matching(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    rights = _rights(snapshot)
    matches = response.get("matches") if isinstance(response.get("matches"), dict) else {}
    parts = grade.parts if grade is not None else {}
    rows = []
    for position, pair in enumerate(_pairs(snapshot)):
        given = matches.get(str(pair["id"]))
        rows.append(
            {
                "position": position,
                "label": format_inline(str(pair.get("left", "")), fmt),
                "options": [
                    {"value": index, "text": plain_text(right, fmt), "selected": right == given}
                    for index, right in enumerate(rights)
                ],
                "verdict": _part_verdict(parts.get(str(pair["id"]))) if grade is not None and given else None,
                "right_answer": plain_text(str(pair.get("right", "")), fmt) if answers else "",
            }
        )
    return {"pairs": rows}


def _build_ordering(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    items = _items(snapshot)
    index_of = {str(item["id"]): index for index, item in enumerate(items)}
    order = response.get("order") if isinstance(response.get("order"), list) else []
    current = [str(i) for i in order if str(i) in index_of]
    current = list(dict.fromkeys(current))
    current += [str(item["id"]) for item in items if str(item["id"]) not in current]
    parts = grade.parts if grade is not None else {}
    right_order = [str(item["id"]) for item in _dicts(_data(snapshot), "items")]
    texts = {str(item["id"]): str(item.get("text", "")) for item in items}
    size = len(current)
    rows = []
    for position, item_id in enumerate(current, start=1):
        rows.append(
            {
                "index": index_of[item_id],
                "position": position,
                "label": format_inline(texts[item_id], fmt),
                "plain": plain_text(texts[item_id], fmt),
                "verdict": _part_verdict(parts.get(item_id)) if grade is not None and order else None,
            }
        )
    return {
        "items": rows,
        "positions": list(range(1, size + 1)),
        "size": size,
        "right_order": [format_inline(texts.get(i, ""), fmt) for i in right_order if i in texts] if answers else [],
    }


def _build_cloze(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    segments = [str(s) for s in _list(_data(snapshot), "segments")]
    blanks = _blanks(snapshot)
    given = response.get("blanks") if isinstance(response.get("blanks"), dict) else {}
    parts = grade.parts if grade is not None else {}
    total = len(blanks)
    widgets = []
    for position, blank in enumerate(blanks):
        value = given.get(str(blank["id"]))
        entry: dict[str, Any] = {
            "position": position,
            "label": _("Trou %(n)s sur %(total)s") % {"n": position + 1, "total": total},
            "mode": "choice" if blank.get("mode") == "choice" else "text",
            "verdict": _part_verdict(parts.get(str(blank["id"]))) if grade is not None and value else None,
            "right_answer": "",
        }
        accepted = [a for a in _dicts(blank, "answers") if grading.fraction_of(a) >= grading.ONE]
        if answers and accepted:
            entry["right_answer"] = plain_text(str(accepted[0].get("text", "")), fmt)
        if entry["mode"] == "choice":
            entry["options"] = [
                {"value": index, "text": plain_text(str(a.get("text", "")), fmt), "selected": str(a["id"]) == value}
                for index, a in enumerate(_blank_answers(snapshot, blank))
            ]
        else:
            entry["value"] = value if isinstance(value, str) else ""
        widgets.append(entry)
    # The text around the blanks: with html, cleaned as a whole (tags may open before a blank
    # and close after it), then cut at the blanks' places.
    while len(segments) < len(blanks) + 1:
        segments.append("")
    if fmt == "html":
        joined = "".join(
            segment + (BLANK_TOKEN.format(i) if i < len(blanks) else "") for i, segment in enumerate(segments)
        )
        cleaned = richtext.clean(joined)
        pieces: list[SafeString] = []
        for i in range(len(blanks)):
            before, _sep, cleaned = cleaned.partition(BLANK_TOKEN.format(i))
            pieces.append(mark_safe(before))  # cleaned by nh3 above
        pieces.append(mark_safe(cleaned))  # cleaned by nh3 above
    else:
        pieces = [format_inline(segment, fmt) for segment in segments[: len(blanks) + 1]]
    flow = []
    for i, piece in enumerate(pieces):
        flow.append({"text": piece, "blank": widgets[i] if i < len(widgets) else None})
    return {"flow": flow, "blank_count": total}


def word_count(text: str) -> int:
    return len(str(text or "").split())


def words_text(count: int) -> str:
    return ngettext("%(n)s mot", "%(n)s mots", count) % {"n": count}


def _build_essay(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    data = _data(snapshot)
    text = response.get("text") if isinstance(response.get("text"), str) else ""
    low, high = data.get("min_words"), data.get("max_words")
    low = low if isinstance(low, int) and low > 0 else None
    high = high if isinstance(high, int) and high > 0 else None
    if low and high:
        limits = _("Entre %(min)s et %(max)s mots.") % {"min": low, "max": high}
    elif low:
        limits = _("Au moins %(min)s mots.") % {"min": low}
    elif high:
        limits = _("Au plus %(max)s mots.") % {"max": high}
    else:
        limits = ""
    count = word_count(text)
    return {
        "value": text,
        "limits": limits,
        "min_words": low or "",
        "max_words": high or "",
        "count_text": words_text(count),
        "maxlength": MAX_ESSAY,
    }


def _build_description(
    snapshot: dict[str, Any], response: dict[str, Any], prefix: str, fmt: str, grade: Any, answers: bool
) -> dict[str, Any]:
    return {}


_BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "single": _build_choices,
    "multiple": _build_choices,
    "truefalse": _build_truefalse,
    "short": _build_short,
    "numerical": _build_numerical,
    "matching": _build_matching,
    "ordering": _build_ordering,
    "cloze": _build_cloze,
    "essay": _build_essay,
    "description": _build_description,
}
