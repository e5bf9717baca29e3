"""Moodle's GIFT format, read and written: ``parse(text) -> ParseResult`` and
``export(questions) -> str``. Pure functions (no database); ``services.gift`` stores.

The grammar is Moodle's (``question/format/gift/format.php`` and docs.moodle.org "GIFT
format"), with French error messages that give the line and what is wrong:

- questions are separated by a blank line; each line is trimmed; a line starting with
  ``//`` is a comment (``// [tag:x]`` and ``// [id:x]`` are Moodle's metadata: tags and
  an id number); ``$CATEGORY: $course$/top/a/b`` sets the category of what follows
  (``//`` in a name is a ``/``);
- ``::title::``, then an optional text format ``[html]`` ``[moodle]`` ``[plain]``
  ``[markdown]`` (also at the start of an answer or a feedback), then the text and one
  answer block ``{...}``; ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` are escapes;
- in the block: ``####`` starts the general feedback; ``#`` a per-answer feedback;
  ``%50%`` a weight after ``~`` or ``=``;
- the type comes from the block, in Moodle's order: nothing → essay; ``#`` first →
  numerical (``3.14:0.01``, ``1..5``, ``=%50%3:1`` several answers); a ``~`` → choice
  (``single`` when an ``=`` marks a right answer, Moodle's rule; ``multiple`` with ``~%w%``
  weights otherwise, whose positive weights must make 100 %); ``=`` with ``->`` →
  matching (``= -> x`` is a distractor); ``T`` ``TRUE`` ``F`` ``FALSE`` → true/false
  (``{T#shown when wrong#shown when right}``); else short answer (case-insensitive,
  as in Moodle); no block → description;
- text after the block makes a "missing word": a ``cloze`` with one blank (``choice``
  for ``~``/``=`` answers, ``text`` for a short answer); the question's ``text`` is the
  sentence with ``_____`` for the blank (what Moodle shows), ``data["segments"]`` its two
  sides. Other types in the middle of a sentence keep their type, the text gets ``_____``.

Where Moodle silently guesses, this parser says what is wrong instead (text before the
first ``~``/``=`` of a choice, two answer blocks, an unreadable weight).

Item ids are given by position (``c1``, ``a1``, ``p1``, ``b1``), so that
``parse(export(x)).questions == x`` for every question GIFT can carry (see
``cannot_export``). Not carried by GIFT (set to Moodle's import defaults on the way in,
listed by ``export_report`` on the way out): ``shuffle`` (on), a short answer's case and
accent options (case-insensitive, accent-sensitive), an essay's word limits and grading
notes, ordering questions and texts with several blanks (written as ``//`` comments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import grading

FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_FORMAT = "moodle"
BLANK = "_____"
MAX_NAME = 255
MAX_TAG = 50
MAX_CATEGORY = 120
CONTEXT_PREFIX = "$course$/top"

_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT_RE = re.compile(r"\[(moodle|html|plain|markdown)\]")
_WEIGHT_RE = re.compile(r"%\s*(-?\d{1,3}(?:[.,]\d+)?)\s*%")
_BAD_WEIGHT_RE = re.compile(r"%[^%\s]{1,12}%")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]\x00-\x1f<>`])+)\]")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_CONTEXT_RE = re.compile(r"^\$[a-z0-9]+\$/?")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


# --- Results ------------------------------------------------------------------------------------


@dataclass
class GiftError:
    """What is wrong, and where: ``str(error)`` is « Ligne 12 : accolade ouvrante sans
    accolade fermante »."""

    line: int
    message: str

    def __str__(self) -> str:
        return _("Ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ParsedQuestion:
    """A question read from GIFT, in the shapes of ``learning.grading`` (``data``) and of
    ``Question`` (the other fields). ``category`` is a path of names, () for none."""

    qtype: str
    text: str
    data: dict[str, Any]
    name: str = ""
    text_format: str = DEFAULT_FORMAT
    general_feedback: str = ""
    category: tuple[str, ...] = ()
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    line: int = field(default=0, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)


@dataclass
class Entry:
    """One question of the file as the preview shows it: read, or refused with its errors."""

    line: int
    name: str
    excerpt: str
    category: tuple[str, ...]
    question: ParsedQuestion | None
    errors: list[GiftError] = field(default_factory=list)
    qtype: str = ""

    @property
    def ok(self) -> bool:
        return self.question is not None and not self.errors


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[GiftError] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    categories: list[tuple[str, ...]] = field(default_factory=list)
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


class GiftFileError(ValueError):
    """The file is not a text file (binary, empty); the message is French."""


# --- Decoding -----------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of a GIFT file: UTF-8 (with or without BOM), else Windows-1252 /
    Latin-1 (old Moodle exports, Windows editors). Raises ``GiftFileError`` for a binary file."""
    if not raw.strip():
        raise GiftFileError(_("Le fichier est vide."))
    head = raw[:8192]
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 100 + 2:
        raise GiftFileError(
            _("Ce fichier n'est pas un fichier texte : exportez les questions de Moodle au format GIFT (.txt).")
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "latin-1"


# --- Source pieces: text and its "mask" (escaped characters blanked) ----------------------------


def unescape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in text:
        if char in "\\~=#{}:":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


class _Src:
    """A slice of a question block: ``raw`` as written and ``mask``, the same length, where
    each escape (``\\{``...) is blanked, so that searching the mask finds only the real
    delimiters. ``start`` is the offset in the block, for line numbers."""

    __slots__ = ("mask", "raw", "start")

    def __init__(self, raw: str, mask: str, start: int) -> None:
        self.raw, self.mask, self.start = raw, mask, start

    @classmethod
    def of(cls, raw: str) -> _Src:
        return cls(raw, _ESCAPE_RE.sub("\x00\x00", raw), 0)

    def find(self, token: str, begin: int = 0) -> int:
        return self.mask.find(token, begin)

    def cut(self, begin: int, end: int | None = None) -> _Src:
        end = len(self.raw) if end is None else end
        return _Src(self.raw[begin:end], self.mask[begin:end], self.start + begin)

    def strip(self) -> _Src:
        left = len(self.raw) - len(self.raw.lstrip())
        right = len(self.raw.rstrip())
        return self.cut(left, max(left, right))

    def split_before(self, markers: str) -> tuple[_Src, list[_Src]]:
        """The text before the first marker, and each piece starting with a marker."""
        cuts = [i for i, char in enumerate(self.mask) if char in markers]
        if not cuts:
            return self, []
        pieces = [self.cut(a, b) for a, b in zip(cuts, [*cuts[1:], len(self.raw)], strict=True)]
        return self.cut(0, cuts[0]), pieces

    def text(self) -> str:
        return unescape(self.raw)

    def __bool__(self) -> bool:
        return bool(self.raw.strip())


def _strip_format(text: str) -> tuple[str | None, str]:
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1), text[match.end() :]
    return None, text


# --- Parsing ------------------------------------------------------------------------------------


class _ProblemError(Exception):
    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position, self.message = position, message


def _fraction(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _number(value: Decimal) -> str:
    return format(value, "f")


def _percent(fraction: Any) -> str:
    return format(((grading.to_decimal(fraction) or Decimal(0)) * 100).normalize(), "f")


def parse(source: str | bytes) -> ParseResult:
    """Read a whole GIFT file (text, or bytes decoded by ``decode``). Never raises for what
    the file says: every problem is a ``GiftError`` of its question, the others are read."""
    result = ParseResult()
    if isinstance(source, bytes):
        try:
            source, result.encoding = decode(source)
        except GiftFileError as exc:
            result.errors.append(GiftError(1, str(exc)))
            return result
        if result.encoding == "latin-1":
            result.notes.append(_("Le fichier était en Latin-1 (Windows-1252) : il a été converti en UTF-8."))
    text = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    category: tuple[str, ...] = ()
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        stripped = line.strip()
        if stripped:
            block.append((number, stripped))
            continue
        if block:
            category = _read_block(block, category, result)
            block = []
    result.questions = [e.question for e in result.entries if e.ok and e.question is not None]
    return result


def _read_block(lines: list[tuple[int, str]], category: tuple[str, ...], result: ParseResult) -> tuple[str, ...]:
    comments: list[str] = []
    body: list[tuple[int, str]] = []
    started = False
    for number, line in lines:
        if line.startswith("//"):
            comments.append(line)
            body.append((number, ""))
        elif line.startswith("$CATEGORY:") and not started:
            body = []
            comments = []
            category = _read_category(number, line, result)
        else:
            started = True
            body.append((number, line))
    while body and not body[0][1]:
        body.pop(0)
    if not body:
        return category
    first_line = body[0][0]
    raw = "\n".join(text for _, text in body)

    def line_of(position: int) -> int:  # only for errors: counting is linear
        return first_line + raw.count("\n", 0, max(0, position))

    excerpt = raw.replace("\n", " ")
    excerpt = excerpt if len(excerpt) <= 160 else excerpt[:159] + "…"
    title = re.match(r"::(.*?)::", raw)
    entry = Entry(line=first_line, name=unescape(title.group(1)).strip() if title else "", excerpt=excerpt,
                  category=category, question=None)  # fmt: skip
    result.entries.append(entry)
    errors: list[GiftError] = []
    tags, idnumber = _read_comments("\n".join(comments), first_line, errors)
    question = None
    try:
        question = _read_question(_Src.of(raw))
    except _ProblemError as problem:
        errors.append(GiftError(line_of(problem.position), problem.message))
    if question is not None:
        entry.name, entry.qtype = question.name, question.qtype
        question.line, question.category, question.tags, question.idnumber = first_line, category, tags, idnumber
        try:
            grading.validate_data(question.qtype, question.data)
        except ValidationError as exc:
            errors.extend(GiftError(first_line, _describe(question.qtype, m)) for m in exc.messages)
    entry.errors = errors
    entry.question = question if not errors else None
    result.errors.extend(errors)
    return category


def _describe(qtype: str, message: str) -> str:
    from .models import QuestionType

    label = str(QuestionType(qtype).label).lower() if qtype in QuestionType.values else qtype
    return _("%(type)s : %(message)s") % {"type": label[:1].upper() + label[1:], "message": message}


def _read_category(number: int, line: str, result: ParseResult) -> tuple[str, ...]:
    path = line[len("$CATEGORY:") :].strip()
    context = _CONTEXT_RE.match(path)
    if context:
        path = path[context.end() :]
    names = [name.replace("\x00", "/").strip() for name in path.replace("//", "\x00").split("/")]
    names = [name for name in names if name]
    if context and names and names[0] == "top":
        names = names[1:]
    if not names and not context:
        result.errors.append(GiftError(number, _("« $CATEGORY: » sans nom de catégorie.")))
        return ()
    too_long = [name for name in names if len(name) > MAX_CATEGORY]
    if too_long:
        result.errors.append(
            GiftError(number, _("nom de catégorie trop long (%(max)s caractères au plus).") % {"max": MAX_CATEGORY})
        )
        names = [name[:MAX_CATEGORY] for name in names]
    path_tuple = tuple(names)
    if path_tuple and path_tuple not in result.categories:
        result.categories.append(path_tuple)
    return path_tuple


def _read_comments(comments: str, line: int, errors: list[GiftError]) -> tuple[list[str], str]:
    tags: list[str] = []
    for match in _TAG_RE.finditer(comments):
        tag = match.group(1).replace("\\]", "]").strip()
        if len(tag) > MAX_TAG:
            errors.append(
                GiftError(
                    line,
                    _("étiquette « %(tag)s » trop longue (%(max)s caractères au plus).")
                    % {"tag": tag[:60], "max": MAX_TAG},
                )
            )
        elif tag and tag not in tags:
            tags.append(tag)
    found = _ID_RE.search(comments)
    idnumber = found.group(1).replace("\\]", "]").strip()[:100] if found else ""
    return tags, idnumber


def _read_question(src: _Src) -> ParsedQuestion:
    src = src.strip()
    name = ""
    warnings: list[str] = []
    if src.mask.startswith("::"):
        end = src.find("::", 2)
        if end < 0:
            raise _ProblemError(src.start, _("titre sans « :: » de fermeture (écrivez ::titre:: avant le texte)."))
        name = " ".join(src.cut(2, end).text().split())
        if len(name) > MAX_NAME:
            warnings.append(_("Le titre est raccourci à %(max)s caractères.") % {"max": MAX_NAME})
            name = name[:MAX_NAME]
        src = src.cut(end + 2).strip()
    opening, closing = src.find("{"), src.find("}")
    if opening < 0 and closing < 0:
        text_format, text = _text_with_format(src, DEFAULT_FORMAT)
        if not text:
            raise _ProblemError(src.start, _("question sans texte."))
        return ParsedQuestion("description", text, {}, name=name, text_format=text_format, warnings=warnings)
    if opening < 0 or 0 <= closing < opening:
        raise _ProblemError(
            src.start + closing, _("accolade fermante sans accolade ouvrante (écrivez \\} dans un texte).")
        )
    if closing < 0:
        raise _ProblemError(src.start + opening, _("accolade ouvrante sans accolade fermante."))
    nested = src.find("{", opening + 1)
    if 0 <= nested < closing:
        raise _ProblemError(
            src.start + nested,
            _("accolade ouvrante dans un bloc de réponses déjà ouvert (écrivez \\{ pour une accolade dans le texte)."),
        )
    after = src.cut(closing + 1)
    extra = min((i for i in (after.find("{"), after.find("}")) if i >= 0), default=-1)
    if extra >= 0:
        raise _ProblemError(
            after.start + extra,
            _("une question n'a qu'un bloc de réponses { } (écrivez \\{ et \\} pour des accolades dans le texte)."),
        )
    before, answers, missing_word = src.cut(0, opening), src.cut(opening + 1, closing), bool(after)
    found_format, before_raw = _strip_format(before.raw.lstrip())
    text_format = found_format or DEFAULT_FORMAT
    general_feedback = ""
    separator = answers.mask.rfind("####")
    if separator >= 0:
        _format, general_feedback = _text_with_format(answers.cut(separator + 4), text_format)
        answers = answers.cut(0, separator)
    answers = answers.strip()
    at = src.start + opening  # where the answer block starts, for errors about the whole block
    qtype = _question_type(answers)
    # The question text: the block removed (Moodle), or "_____" in its place (missing word).
    prefix = unescape(before_raw).lstrip()
    suffix = after.text().rstrip()
    cloze = missing_word and qtype in {"single", "multiple", "short"}
    text = prefix + BLANK + suffix if missing_word else prefix.strip()
    if not text.strip():
        raise _ProblemError(src.start, _("question sans texte : écrivez l'énoncé avant les réponses { }."))
    question = ParsedQuestion(
        qtype, text, {}, name=name, text_format=text_format, general_feedback=general_feedback, warnings=warnings
    )
    if qtype == "essay":
        question.data = {"min_words": None, "max_words": None, "grader_info": ""}
    elif qtype == "numerical":
        question.data = _read_numerical(answers, text_format, warnings, at)
    elif qtype in {"single", "multiple"}:
        choices, has_right = _read_choices(answers, text_format, at)
        if cloze:
            question.qtype = "cloze"
            question.data = _cloze(prefix, suffix, {"id": "b1", "mode": "choice", "answers": _ids(choices, "a")})
        else:
            question.qtype = "single" if has_right else "multiple"
            if question.qtype == "multiple":
                _check_weights(at, choices)
            question.data = {"choices": _ids(choices, "c"), "shuffle": True}
    elif qtype == "matching":
        question.data = _read_matching(answers, text_format, at)
    elif qtype == "truefalse":
        question.data = _read_truefalse(answers, text_format)
    else:
        accepted = _read_short(answers, text_format, warnings)
        if cloze:
            question.qtype = "cloze"
            question.data = _cloze(
                prefix,
                suffix,
                {"id": "b1", "mode": "text", "answers": accepted, "case_sensitive": False, "accent_sensitive": True},
            )
        else:
            question.data = {"answers": accepted, "case_sensitive": False, "accent_sensitive": True}
    return question


def _cloze(prefix: str, suffix: str, blank: dict[str, Any]) -> dict[str, Any]:
    return {"segments": [prefix, suffix], "blanks": [blank]}


def _ids(items: list[dict[str, Any]], letter: str) -> list[dict[str, Any]]:
    return [{"id": f"{letter}{n}", **item} for n, item in enumerate(items, start=1)]


def _question_type(answers: _Src) -> str:
    mask = answers.mask
    if not answers:
        return "essay"
    if mask.startswith("#"):
        return "numerical"
    if "~" in mask:
        return "single"  # or multiple: decided by the answers
    if "=" in mask and "->" in mask:
        return "matching"
    hash_at = mask.find("#")
    head = (answers.raw[:hash_at] if hash_at > 0 else answers.raw).strip()
    if head in _TRUE_FALSE:
        return "truefalse"
    return "short"


def _text_with_format(src: _Src, default: str) -> tuple[str, str]:
    """A text (answer, feedback, question) with its optional ``[format]``, unescaped, trimmed."""
    text = src.raw.strip()
    text_format, rest = _strip_format(text)
    return text_format or default, unescape(rest).strip()


def _weight(piece: _Src, default: Decimal) -> tuple[Decimal, _Src]:
    """The ``%50%`` weight at the start of an answer (after its ``~`` or ``=``)."""
    body = piece.strip()
    match = _WEIGHT_RE.match(body.raw)
    if match:
        value = grading.to_decimal(match.group(1))
        if value is None or not (-100 <= value <= 100):
            raise _ProblemError(
                body.start,
                _("poids « %(weight)s » hors de -100 %% à 100 %%.") % {"weight": match.group(0)},
            )
        return value / 100, body.cut(match.end())
    bad = _BAD_WEIGHT_RE.match(body.raw)
    if bad:
        raise _ProblemError(
            body.start,
            _("poids « %(weight)s » illisible : écrivez un pourcentage, par exemple ~%%50%%réponse.")
            % {"weight": bad.group(0)},
        )
    return default, body


def _split_feedback(piece: _Src) -> tuple[_Src, _Src | None]:
    hash_at = piece.find("#")
    if hash_at < 0:
        return piece, None
    return piece.cut(0, hash_at), piece.cut(hash_at + 1)


def _answer_text(piece: _Src, text_format: str, mark: str = "") -> str:
    _format, text = _text_with_format(piece, text_format)
    if not text:
        if mark:
            raise _ProblemError(piece.start, _("réponse vide après « %(mark)s ».") % {"mark": mark})
        raise _ProblemError(piece.start, _("réponse acceptée vide."))
    return text


def _feedback(piece: _Src | None, text_format: str) -> str:
    return _text_with_format(piece, text_format)[1] if piece is not None else ""


def _read_choices(answers: _Src, text_format: str, at: int) -> tuple[list[dict[str, Any]], bool]:
    before, pieces = answers.split_before("~=")
    if before:
        raise _ProblemError(
            before.start,
            _("« %(text)s » avant la première réponse : chaque réponse commence par = (bonne) ou ~ (autre).")
            % {"text": before.text().strip()[:40]},
        )
    choices = []
    has_right = False
    for piece in pieces:
        right = piece.mask[0] == "="
        has_right = has_right or right
        fraction, body = _weight(piece.cut(1), Decimal(1) if right else Decimal(0))
        text_part, feedback = _split_feedback(body)
        text = _answer_text(text_part, text_format, piece.mask[0])
        choices.append({"text": text, "fraction": _fraction(fraction), "feedback": _feedback(feedback, text_format)})
    if len(choices) < 2:
        raise _ProblemError(at, _("choix : il faut au moins deux réponses."))
    return choices, has_right


def _check_weights(at: int, choices: list[dict[str, Any]]) -> None:
    positive = sum((Decimal(c["fraction"]) for c in choices if Decimal(c["fraction"]) > 0), Decimal(0))
    if positive == 0:
        raise _ProblemError(
            at,
            _("aucune bonne réponse (=) dans ce choix multiple : marquez-la par =, ou donnez des poids ~%50%."),
        )
    if abs(positive - 1) > Decimal("0.0001"):
        raise _ProblemError(
            at,
            _("choix multiple : les poids positifs font %(total)s %% au lieu de 100 %%.")
            % {"total": _percent(positive).replace(".", ",")},
        )


def _read_short(answers: _Src, text_format: str, warnings: list[str]) -> list[dict[str, Any]]:
    before, pieces = answers.split_before("=")
    items = ([before] if before else []) + pieces
    accepted = []
    for n, piece in enumerate(items, start=1):
        body = piece.cut(1) if piece.mask[:1] == "=" else piece
        fraction, body = _weight(body, Decimal(1))
        text_part, feedback = _split_feedback(body)
        text = _answer_text(text_part, text_format)
        accepted.append(
            {"id": f"a{n}", "text": text, "fraction": _fraction(fraction), "feedback": _feedback(feedback, text_format)}
        )
    if not pieces and before and before.raw.strip().lower() in {"true", "false", "vrai", "faux"}:
        warnings.append(_("Réponse courte « %(text)s » : pour un vrai ou faux, écrivez {T} ou {F}.")
                        % {"text": before.raw.strip()})  # fmt: skip
    return accepted


def _read_truefalse(answers: _Src, text_format: str) -> dict[str, Any]:
    first = answers.find("#")
    if first < 0:
        head, wrong, right = answers, None, None
    else:
        head, rest = answers.cut(0, first), answers.cut(first + 1)
        second = rest.find("#")
        wrong, right = (rest, None) if second < 0 else (rest.cut(0, second), rest.cut(second + 1))
    value = _TRUE_FALSE[head.raw.strip()]
    wrong_text, right_text = _feedback(wrong, text_format), _feedback(right, text_format)
    # Moodle: the first feedback is shown to a wrong answer, the second to a right one.
    if value:
        return {"answer": True, "feedback_true": right_text, "feedback_false": wrong_text}
    return {"answer": False, "feedback_true": wrong_text, "feedback_false": right_text}


def _read_matching(answers: _Src, text_format: str, at: int) -> dict[str, Any]:
    before, pieces = answers.split_before("=")
    if before:
        raise _ProblemError(
            before.start,
            _("« %(text)s » avant la première paire : chaque paire s'écrit =élément -> associé.")
            % {"text": before.text().strip()[:40]},
        )
    pairs: list[dict[str, Any]] = []
    extra: list[str] = []
    for piece in pieces:
        body = piece.cut(1)
        arrow = body.find("->")
        if arrow < 0:
            raise _ProblemError(
                piece.start,
                _("appariement : « %(text)s » n'a pas de « -> » entre l'élément et son associé.")
                % {"text": body.text().strip()[:40]},
            )
        left = _text_with_format(body.cut(0, arrow), text_format)[1]
        right = body.cut(arrow + 2).text().strip()
        if not right:
            raise _ProblemError(piece.start, _("appariement : « %(text)s -> » sans associé.") % {"text": left[:40]})
        if left:
            pairs.append({"id": f"p{len(pairs) + 1}", "left": left, "right": right})
        else:
            extra.append(right)
    if len(pairs) < 2:
        raise _ProblemError(at, _("appariement : il faut au moins deux paires =élément -> associé."))
    return {"pairs": pairs, "extra_rights": extra, "shuffle": True}


def _read_numerical(answers: _Src, text_format: str, warnings: list[str], at: int) -> dict[str, Any]:
    body = answers.cut(1)
    other = body.find("~")
    if other >= 0:
        warnings.append(
            _("Le message pour les autres réponses (~) n'est pas repris : mettez-le dans le feedback général (####).")
        )
        body = body.cut(0, other)
    before, pieces = body.split_before("=")
    items = ([before] if before else []) + pieces
    if not items:
        raise _ProblemError(at, _("question numérique sans réponse : écrivez par exemple {#3,14:0,01}."))
    accepted = []
    for n, piece in enumerate(items, start=1):
        inner = piece.cut(1) if piece.mask[:1] == "=" else piece
        fraction, inner = _weight(inner, Decimal(1))
        value_part, feedback = _split_feedback(inner)
        answer = {"id": f"a{n}", **_numerical_value(value_part)}
        answer.update(fraction=_fraction(fraction), feedback=_feedback(feedback, text_format))
        accepted.append(answer)
    return {"answers": accepted}


def _numerical_value(piece: _Src) -> dict[str, str]:
    written = piece.text().strip()
    if not written:
        raise _ProblemError(piece.start, _("question numérique : une réponse est vide."))
    dots = written.find("..")
    if dots > 0:
        low, high = grading.to_decimal(written[:dots]), grading.to_decimal(written[dots + 2 :])
        if low is None or high is None:
            raise _ProblemError(
                piece.start,
                _("question numérique : « %(text)s » n'est pas un intervalle (écrivez par exemple 1..5).")
                % {"text": written},
            )
        if low > high:
            raise _ProblemError(
                piece.start,
                _("question numérique : l'intervalle « %(text)s » va du plus grand au plus petit.") % {"text": written},
            )
        return {"min": _number(low), "max": _number(high)}
    colon = written.find(":")
    value_text, tolerance_text = (written[:colon], written[colon + 1 :]) if colon > 0 else (written, "0")
    value = grading.to_decimal(value_text)
    if value is None:
        raise _ProblemError(
            piece.start, _("question numérique : « %(text)s » n'est pas un nombre.") % {"text": value_text.strip()}
        )
    tolerance = grading.to_decimal(tolerance_text)
    if tolerance is None or tolerance < 0:
        raise _ProblemError(
            piece.start,
            _("question numérique : « %(text)s » n'est pas une marge d'erreur.") % {"text": written},
        )
    return {"value": _number(value), "tolerance": _number(tolerance)}


# --- Export -------------------------------------------------------------------------------------


def cannot_export(question: Any) -> str:
    """Why GIFT cannot carry ``question`` (French), or "" when it can."""
    data = question.data or {}
    qtype = question.qtype
    if qtype == "ordering":
        return _("GIFT n'a pas de question de remise en ordre.")
    if qtype == "cloze":
        blanks, segments = data.get("blanks", []), data.get("segments", [])
        if len(blanks) != 1 or len(segments) != 2:
            return _("GIFT ne porte qu'un seul trou par texte (« mot manquant »).")
        if not str(segments[1]).strip():
            return _("Le trou est à la fin du texte : GIFT le lirait comme une question à réponse courte.")
        if blanks[0].get("mode") == "text" and _has_arrow(blanks[0].get("answers", [])):
            return _("Une réponse ou son feedback contient « -> », que GIFT lirait comme un appariement.")
    if qtype == "matching" and any("->" in str(p.get("left", "")) for p in data.get("pairs", [])):
        return _("Un élément à associer contient « -> », que GIFT ne sait pas protéger.")
    if qtype == "short" and _has_arrow(data.get("answers", [])):
        return _("Une réponse ou son feedback contient « -> », que GIFT lirait comme un appariement.")
    if qtype not in {
        "single",
        "multiple",
        "truefalse",
        "short",
        "numerical",
        "matching",
        "essay",
        "description",
        "cloze",
    }:
        return _("Type de question inconnu de GIFT.")
    return ""


def _has_arrow(answers: list[dict[str, Any]]) -> bool:
    return any("->" in str(a.get("text", "")) + " " + str(a.get("feedback", "")) for a in answers)


def export_losses(question: Any) -> list[str]:
    """What GIFT leaves out of ``question`` (French), when it is exported anyway."""
    data = question.data or {}
    losses = []
    if data.get("shuffle") is False:
        losses.append(_("l'ordre fixe des réponses"))
    blanks = data.get("blanks", []) if question.qtype == "cloze" else [data] if question.qtype == "short" else []
    if any(b.get("case_sensitive") for b in blanks):
        losses.append(_("le respect des majuscules"))
    if any(b.get("accent_sensitive") is False for b in blanks):
        losses.append(_("la tolérance sur les accents"))
    if question.qtype == "essay" and (data.get("min_words") or data.get("max_words") or data.get("grader_info")):
        losses.append(_("les limites de mots et les notes pour la correction"))
    return losses


@dataclass
class ExportReport:
    text: str
    skipped: list[tuple[Any, str]] = field(default_factory=list)
    losses: list[tuple[Any, list[str]]] = field(default_factory=list)


def export(questions: Iterable[Any]) -> str:
    return export_report(questions).text


def export_report(questions: Iterable[Any]) -> ExportReport:
    """Write ``questions`` (``ParsedQuestion`` or any object with the same attributes) as GIFT,
    in their categories (``$CATEGORY:`` when it changes). What GIFT cannot carry is written
    as a ``//`` comment saying so and listed in ``skipped``."""
    report = ExportReport("")
    out: list[str] = []
    current: tuple[str, ...] = ()
    for question in questions:
        category = tuple(getattr(question, "category", ()) or ())
        if category != current:
            out.append(f"$CATEGORY: {_category_line(category)}\n\n")
            current = category
        reason = cannot_export(question)
        title = " ".join((question.name or question.text or "").split())[:80]
        if reason:
            report.skipped.append((question, reason))
            out.append(
                "// "
                + _("Question non exportée « %(title)s » : %(reason)s") % {"title": title, "reason": reason}
                + "\n\n"
            )
            continue
        losses = export_losses(question)
        if losses:
            report.losses.append((question, losses))
        out.append(_write_question(question) + "\n")
    report.text = "".join(out)
    return report


def _category_line(path: Sequence[str]) -> str:
    names = [" ".join(name.split()).replace("/", "//") for name in path]
    return "/".join([CONTEXT_PREFIX, *names])


def _protect(text: str, text_format: str, *, start_of_line: bool = False) -> str:
    """Escape ``text``; a leading ``[html]`` (or ``//`` at the start of a line) that is part of
    the text gets the format written before it, so that it is not read as markup."""
    escaped = escape(text)
    if _FORMAT_RE.match(text) or (start_of_line and text.lstrip().startswith("//")):
        return f"[{text_format}]" + escaped
    return escaped


def _write_text(text: str, text_format: str, *, start_of_line: bool) -> str:
    if text_format != DEFAULT_FORMAT and text:
        return f"[{text_format}]" + escape(text)
    return _protect(text, text_format, start_of_line=start_of_line)


def _weight_mark(mark: str, fraction: Any, text: str, default: str) -> str:
    """``~``/``=`` with the weight, written when it is not the default or the text starts with %."""
    percent = _percent(fraction)
    if percent == default and not text.startswith("%"):
        return mark
    return f"{mark}%{percent}%"


def _with_feedback(text: str, feedback: str, text_format: str) -> str:
    return text + ("#" + _protect(feedback, text_format) if feedback else "")


def _write_choices(choices: list[dict[str, Any]], text_format: str, *, single: bool) -> list[str]:
    """``=`` for the right answers of a single choice (Moodle's rule: an ``=`` makes it single),
    ``~%w%`` for weights, ``~`` for wrong ones; at least one ``~`` so that GIFT reads a choice."""
    percents = [_percent(c.get("fraction", "0")) for c in choices]
    some_other = any(p != "100" for p in percents)
    lines = []
    for n, (choice, percent) in enumerate(zip(choices, percents, strict=True)):
        text = str(choice.get("text", ""))
        if single and percent == "100" and (some_other or n == 0):
            mark = _weight_mark("=", choice.get("fraction"), text, "100")
        elif percent == "0" and not text.startswith("%"):
            mark = "~"
        else:
            mark = f"~%{percent}%"
        body = _with_feedback(_protect(text, text_format), str(choice.get("feedback", "")), text_format)
        lines.append("\t" + mark + body)
    return lines


def _write_short(answers: list[dict[str, Any]], text_format: str) -> list[str]:
    lines = []
    for answer in answers:
        text = str(answer.get("text", ""))
        mark = _weight_mark("=", answer.get("fraction", "1"), text, "100")
        lines.append(
            "\t" + mark + _with_feedback(_protect(text, text_format), str(answer.get("feedback", "")), text_format)
        )
    return lines


def _write_numerical(answers: list[dict[str, Any]], text_format: str) -> list[str]:
    lines = []
    only = len(answers) == 1 and _percent(answers[0].get("fraction", "1")) == "100"
    for answer in answers:
        if "min" in answer or "max" in answer:
            value = f"{answer.get('min')}..{answer.get('max')}"
        else:
            value = f"{answer.get('value')}:{answer.get('tolerance') or '0'}"
        mark = "" if only else f"=%{_percent(answer.get('fraction', '1'))}%"
        # Numbers are written as they are: Moodle reads "3.14:0.01" before unescaping.
        lines.append("\t" + mark + _with_feedback(value, str(answer.get("feedback", "")), text_format))
    return lines


def _write_question(question: Any) -> str:
    data = question.data or {}
    text_format = question.text_format or DEFAULT_FORMAT
    head = []
    tags = list(_tag_names(question))
    if tags:
        head.append("// " + " ".join(f"[tag:{t.replace(']', chr(92) + ']')}]" for t in tags) + "\n")
    if getattr(question, "idnumber", ""):
        head.append(f"// [id:{question.idnumber.replace(']', chr(92) + ']')}]\n")
    name = escape(" ".join(str(question.name or "").split()))
    title = f"::{name}::" if name else ""
    general = str(question.general_feedback or "")
    tail = ("\t####" + _protect(general, text_format) + "\n") if general else ""
    qtype = question.qtype
    if qtype == "cloze":
        blank = data["blanks"][0]
        before, after = str(data["segments"][0]), str(data["segments"][1])
        lines = (
            _write_choices(blank.get("answers", []), text_format, single=True)
            if blank.get("mode") == "choice"
            else _write_short(blank.get("answers", []), text_format)
        )
        opening = _write_text(before, text_format, start_of_line=not title) if before else _format_only(text_format)
        return "".join(head) + title + opening + "{\n" + "\n".join(lines) + "\n" + tail + "}" + escape(after) + "\n"
    text = _write_text(str(question.text or ""), text_format, start_of_line=not title)
    if qtype == "description":
        return "".join(head) + title + text + "\n"
    if qtype == "essay":
        return "".join(head) + title + text + "{" + ("####" + _protect(general, text_format) if general else "") + "}\n"
    if qtype == "truefalse":
        answer = bool(data.get("answer"))
        right = str(data.get("feedback_true" if answer else "feedback_false", "") or "")
        wrong = str(data.get("feedback_false" if answer else "feedback_true", "") or "")
        block = "TRUE" if answer else "FALSE"
        if wrong or right:
            block += "#" + _protect(wrong, text_format)
        if right:
            block += "#" + _protect(right, text_format)
        if general:
            block += "####" + _protect(general, text_format)
        return "".join(head) + title + text + "{" + block + "}\n"
    if qtype in {"single", "multiple"}:
        lines = _write_choices(data.get("choices", []), text_format, single=qtype == "single")
        return "".join(head) + title + text + "{\n" + "\n".join(lines) + "\n" + tail + "}\n"
    if qtype == "short":
        lines = _write_short(data.get("answers", []), text_format)
        return "".join(head) + title + text + "{\n" + "\n".join(lines) + "\n" + tail + "}\n"
    if qtype == "numerical":
        lines = _write_numerical(data.get("answers", []), text_format)
        return "".join(head) + title + text + "{#\n" + "\n".join(lines) + "\n" + tail + "}\n"
    if qtype == "matching":
        lines = [
            "\t=" + _protect(str(p["left"]), text_format) + " -> " + escape(str(p["right"]))
            for p in data.get("pairs", [])
            if p.get("left")
        ]
        lines += ["\t= -> " + escape(str(right)) for right in data.get("extra_rights", [])]
        return "".join(head) + title + text + "{\n" + "\n".join(lines) + "\n" + tail + "}\n"
    raise ValueError(qtype)


def _format_only(text_format: str) -> str:
    return f"[{text_format}]" if text_format != DEFAULT_FORMAT else ""


def _tag_names(question: Any) -> list[str]:
    tags = getattr(question, "tags", None) or []
    if hasattr(tags, "all"):
        return [tag.name for tag in tags.all()]
    return [str(tag) for tag in tags]


# --- Summaries for the preview -----------------------------------------------------------------


def answers_summary(question: ParsedQuestion) -> str:
    """The answers in one French line, right ones first named (for the preview table)."""
    data, qtype = question.data, question.qtype

    def weighted(items: list[dict[str, Any]], key: str = "text") -> str:
        parts = []
        for item in items:
            percent = _percent(item.get("fraction", "0"))
            label = str(item.get(key, ""))
            if percent == "100":
                parts.append(_("%(text)s (bonne)") % {"text": label})
            elif percent != "0":
                parts.append(f"{label} ({percent.replace('.', ',')} %)")
            else:
                parts.append(label)
        return " · ".join(parts)

    if qtype in {"single", "multiple"}:
        return weighted(data.get("choices", []))
    if qtype == "truefalse":
        return _("Réponse : vrai") if data.get("answer") else _("Réponse : faux")
    if qtype == "short":
        return weighted(data.get("answers", []))
    if qtype == "numerical":
        parts = []
        for answer in data.get("answers", []):
            if "min" in answer:
                value = _("de %(min)s à %(max)s") % {"min": answer["min"], "max": answer["max"]}
            elif grading.to_decimal(answer.get("tolerance")):
                value = f"{answer['value']} ± {answer['tolerance']}"
            else:
                value = str(answer.get("value"))
            percent = _percent(answer.get("fraction", "1"))
            parts.append(value.replace(".", ",") + ("" if percent == "100" else f" ({percent} %)"))
        return " · ".join(parts)
    if qtype == "matching":
        pairs = [f"{p['left']} → {p['right']}" for p in data.get("pairs", [])]
        extra = data.get("extra_rights", [])
        return " · ".join(pairs) + (_(" ; leurres : %(list)s") % {"list": ", ".join(extra)} if extra else "")
    if qtype == "cloze":
        blank = data.get("blanks", [{}])[0]
        return weighted(blank.get("answers", []))
    if qtype == "essay":
        return _("Corrigée par l'enseignant")
    return ""
