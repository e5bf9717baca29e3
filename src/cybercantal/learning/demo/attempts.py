"""Demo attempts: the pupils of 5e B of the demo school answer the exercises given to their
class (the assignments demo creates them; without any, nothing is done and the counts are
zero).

For each assignment of the demo 5e B that has opened: most pupils (not all: some have not
done it) make an attempt with answers right or wrong according to an invented level per
pupil, a few leave questions blank; on an open assignment a few attempts are still in
progress (half answered), and the demo pupil (Hugo) has not started, so that whoever signs
in with his account finds something to do; on a closed one he has handed his in. Essays:
all but one are graded with a comment, as the teacher would; one waits for its grade.

Deterministic (a random generator seeded by the exercise's title and the pupil's login) and
idempotent: a pupil who already has an attempt at an assignment is left as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cybercantal.accounts.models import Role, User

from .. import grading
from ..models import Answer, Assignment, Attempt, Enrolment, SchoolClass
from ..services import attempts as services

logger = logging.getLogger(__name__)

CLASS_NAME = "5e B"
ESSAYS = [
    "Le Cantal est un département de volcans. Le Plomb du Cantal est son plus haut sommet.",
    "Je pense que la réponse est la bonne car on l'a vu en classe avec le professeur.",
    "Il faut d'abord calculer le périmètre puis diviser par deux pour trouver le résultat.",
]
COMMENTS = ["Bien expliqué.", "Développe davantage ton raisonnement.", "Attention à l'orthographe."]


def _demo_classes() -> list[SchoolClass]:
    try:
        from .schools import DEMO_ORGANISATION
    except ImportError:  # pragma: no cover - the schools demo is always there with this one
        return []
    today = timezone.localdate()
    return list(
        SchoolClass.objects.filter(
            school__organisation__name=DEMO_ORGANISATION,
            name=CLASS_NAME,
            year__starts_on__lte=today,
            year__ends_on__gte=today,
        )
    )


def _demo_pupil_id() -> int | None:
    try:
        from cybercantal.accounts.demo import demo_email
    except ImportError:  # pragma: no cover
        return None
    return User.objects.filter(email__iexact=demo_email(Role.STUDENT)).values_list("pk", flat=True).first()


# --- invented responses --------------------------------------------------------------------------


def _best(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(items, key=grading.fraction_of) if items else None


def response_for(snapshot: dict[str, Any], *, right: bool, rng: random.Random) -> dict[str, Any] | None:
    """A response to the question of ``snapshot``: the right one, or a plausible wrong one."""
    qtype = snapshot.get("qtype")
    data = snapshot.get("data") or {}
    if qtype in {"single", "multiple"}:
        choices = [c for c in data.get("choices", []) if isinstance(c, dict)]
        if not choices:
            return None
        good = [c["id"] for c in choices if grading.fraction_of(c) > 0]
        bad = [c["id"] for c in choices if grading.fraction_of(c) <= 0] or [choices[0]["id"]]
        if qtype == "single":
            best = _best(choices)
            return {"choice": best["id"] if right and best else rng.choice(bad)}
        chosen = good if right else [*rng.sample(good, k=max(0, len(good) - 1)), rng.choice(bad)]
        return {"choices": [c["id"] for c in choices if c["id"] in chosen]}
    if qtype == "truefalse":
        return {"value": bool(data.get("answer")) == right}
    if qtype == "short":
        best = _best([a for a in data.get("answers", []) if isinstance(a, dict)])
        text = str(best.get("text", "")).replace("*", "") if best else ""
        return {"text": text if right and text else rng.choice(["je ne sais pas", "aucune idée", "Paris"])}
    if qtype == "numerical":
        best = _best([a for a in data.get("answers", []) if isinstance(a, dict)])
        value = grading.to_decimal(best.get("value", best.get("min"))) if best else None
        value = value if value is not None else Decimal("0")
        shown = value if right else value + rng.choice([1, -1, 10])
        return {"value": format(shown.normalize(), "f").replace(".", ",")}
    if qtype == "matching":
        pairs = [p for p in data.get("pairs", []) if isinstance(p, dict) and p.get("left")]
        rights = [p.get("right") for p in pairs]
        if not right:
            rng.shuffle(rights)
        return {"matches": {p["id"]: r for p, r in zip(pairs, rights, strict=True)}}
    if qtype == "ordering":
        order = [item["id"] for item in data.get("items", []) if isinstance(item, dict)]
        if not right:
            order = list(reversed(order)) if rng.random() < 0.5 else order[1:] + order[:1]
        return {"order": order}
    if qtype == "cloze":
        blanks: dict[str, str] = {}
        for blank in data.get("blanks", []):
            answers = [a for a in blank.get("answers", []) if isinstance(a, dict)]
            best = _best(answers)
            if best is None:
                continue
            if blank.get("mode") == "choice":
                others = [a["id"] for a in answers if a is not best] or [best["id"]]
                blanks[blank["id"]] = best["id"] if right else rng.choice(others)
            else:
                blanks[blank["id"]] = str(best.get("text", "")).replace("*", "") if right else "?"
        return {"blanks": blanks} if blanks else None
    if qtype == "essay":
        return {"text": rng.choice(ESSAYS)}
    return None


# --- attempts ----------------------------------------------------------------------------------


def _answer(attempt: Attempt, pupil: Any, *, skill: float, until: int | None, moment: dt.datetime,
            rng: random.Random, counts: dict[str, int]) -> dt.datetime:  # fmt: skip
    now = timezone.now()
    for answer in Answer.objects.filter(attempt=attempt).order_by("slot"):
        if until is not None and answer.slot > until:
            break
        moment = min(now, moment + dt.timedelta(seconds=rng.randint(20, 90)))
        if rng.random() < 0.05:  # left blank
            continue
        response = response_for(answer.snapshot, right=rng.random() < skill, rng=rng)
        if response is None:
            continue
        try:
            services.answer_save(actor=pupil, attempt=attempt, slot=answer.slot, response=response, now=moment)
        except services.AttemptError:  # the time limit ran out: what was saved is kept
            break
        counts["réponses"] += 1
    return moment


def _grade_essays(attempt: Attempt, teacher_id: int | None, *, keep_one: bool, rng: random.Random) -> bool:
    """Grade the attempt's essays as the teacher would, unless ``keep_one``; True if one is
    left to grade."""
    essays = [a for a in Answer.objects.filter(attempt=attempt) if a.snapshot.get("qtype") == "essay" and a.response]
    if not essays:
        return False
    if keep_one:
        return True
    now = timezone.now()
    for essay in essays:
        essay.override_mark = (essay.max_mark * Decimal(rng.choice(["0.5", "0.75", "1"]))).quantize(Decimal("0.01"))
        essay.override_comment = rng.choice(COMMENTS)
        essay.graded_by_id = teacher_id
        essay.graded_at = now
        essay.save(update_fields=["override_mark", "override_comment", "graded_by", "graded_at"])
    score, needs = services.score_of(list(Answer.objects.filter(attempt=attempt)))
    Attempt.objects.filter(pk=attempt.pk).update(score=score, needs_grading=needs)
    return False


def _for_assignment(assignment: Assignment, pupils: list[Any], demo_pupil: int | None, counts: dict[str, int],
                    essay_left: list[bool]) -> None:  # fmt: skip
    now = timezone.now()
    is_open = assignment.closes_at is None or assignment.closes_at > now
    done = set(Attempt.objects.filter(assignment=assignment).values_list("student_id", flat=True))
    end = min(assignment.closes_at or now, now)
    # An open exercise always shows at least one attempt in progress (the chance alone may
    # give none in a small class): the first pupil by email who has not started it.
    designated = (
        next((p.pk for p in pupils if p.pk != demo_pupil and p.pk not in done), None)
        if is_open and not Attempt.objects.filter(assignment=assignment, state=Attempt.State.IN_PROGRESS).exists()
        else None
    )
    for pupil in pupils:
        if pupil.pk in done:
            continue
        rng = random.Random(f"demo-attempts:{assignment.exercise.title}:{pupil.email}")  # noqa: S311 - demo data
        if pupil.pk == demo_pupil and is_open:
            continue  # the demo pupil's exercise to do
        if pupil.pk != demo_pupil and pupil.pk != designated and rng.random() < 0.15:
            continue  # has not done it
        in_progress = is_open and pupil.pk != demo_pupil and (pupil.pk == designated or rng.random() < 0.15)
        span = max(60, int((end - assignment.opens_at).total_seconds()) - 3600)
        start = assignment.opens_at + dt.timedelta(seconds=rng.randint(60, span))
        if assignment.time_limit_minutes and in_progress:
            start = now - dt.timedelta(minutes=min(5, assignment.time_limit_minutes / 2))
        elif in_progress:
            start = now - dt.timedelta(minutes=rng.randint(10, 50))
        try:
            attempt = services.attempt_start(actor=pupil, assignment=assignment, now=start)
        except services.AttemptError as exc:
            logger.info("demo attempts: %s not started for %s: %s", assignment, pupil.pk, exc.messages[0])
            continue
        counts["tentatives"] += 1
        skill = 0.4 + 0.55 * rng.random()
        slots = attempt.answers.count()
        moment = _answer(attempt, pupil, skill=skill, until=slots // 2 if in_progress else None, moment=start,
                         rng=rng, counts=counts)  # fmt: skip
        if in_progress:
            counts["tentatives en cours"] += 1
            continue
        deadline = services.effective_deadline(attempt, assignment)
        services.attempt_submit(actor=pupil, attempt=attempt, now=min(moment, deadline) if deadline else moment)
        keep = not essay_left[0]
        if _grade_essays(attempt, assignment.created_by_id, keep_one=keep, rng=rng):
            essay_left[0] = True
            counts["rédactions à corriger"] += 1


def load() -> dict[str, int]:
    counts = {"tentatives": 0, "tentatives en cours": 0, "réponses": 0, "rédactions à corriger": 0}
    classes = _demo_classes()
    if not classes:
        return counts
    assignments = list(
        Assignment.objects.filter(school_class__in=classes, opens_at__lte=timezone.now())
        .select_related("exercise", "school_class")
        .order_by("opens_at", "pk")
    )
    if not assignments:
        return counts
    demo_pupil = _demo_pupil_id()
    # An essay already waiting (a previous run) counts as the one left to grade.
    essay_left = [Attempt.objects.filter(assignment__in=assignments, needs_grading=True).exists()]
    for assignment in assignments:
        pupil_ids = Enrolment.objects.filter(school_class=assignment.school_class).values_list("student_id", flat=True)
        pupils = list(User.objects.filter(pk__in=pupil_ids).order_by("email"))
        _for_assignment(assignment, pupils, demo_pupil, counts, essay_left)
    return counts
