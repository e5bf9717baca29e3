"""Reads of the instruction part: the instructors' queue and everything the review page shows.

The queue must stay fast with 50,000 dossiers (``bench/bench_grants_queue.py``): one query
for the page (with ``select_related``), one for the count; the default order (oldest
submission first) follows the ``application_queue_idx`` index.

Text search is accent- and case-insensitive without a stored search key (the models are
shared and not ours to change): each word of the query, folded by ``core.text.normalise``,
becomes a regular expression where every letter matches its accented and upper-case forms
(``e`` -> ``[eEéÉèÈêÊëË]``), matched against the business name; the reference and the SIRET
are matched with ``icontains``. Every word must match one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Lookup, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from cybercantal.core.text import search_terms

from ..models import (
    DECIDED_STATUSES,
    Application,
    Document,
    DocumentKind,
    ExpenseLine,
    Message,
    ReviewNote,
    Status,
    StatusChange,
)

# "À traiter": what an instructor still has to act on.
TO_PROCESS = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.CORRECTIONS)
# The states the queue may show (everything but drafts: an instructor never sees a draft).
QUEUE_STATUSES = tuple(s for s in Status.values if s != Status.DRAFT)

SORTS: dict[str, tuple[str, ...]] = {
    "anciens": ("submitted_at", "pk"),
    "recents": ("-submitted_at", "-pk"),
    "montant_desc": ("-computed_aid", "submitted_at", "pk"),
    "montant_asc": ("computed_aid", "submitted_at", "pk"),
}
DEFAULT_SORT = "anciens"

QUEUE_COLUMNS = (
    "reference",
    "programme_id",
    "status",
    "business_name",
    "siret",
    "submitted_at",
    "decided_at",
    "computed_aid",
    "eligibility",
    "premises_commune__name",
    "canton__name",
    "instructor__first_name",
    "instructor__last_name",
    "instructor__email",
)

_ACCENTS = {
    "a": "aàâäáãå",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîïíì",
    "n": "nñ",
    "o": "oôöóòõø",
    "u": "uùûüú",
    "y": "yÿý",
}
MAX_TERMS = 6


def _letter_class(char: str) -> str:
    variants = _ACCENTS.get(char, char)
    both = "".join(dict.fromkeys(variants + variants.upper()))
    return f"[{re.escape(both)}]" if len(both) > 1 else re.escape(char)


def accent_pattern(term: str) -> str:
    """A regular expression that finds ``term`` (already folded) in text with accents, any case.
    ``oe`` also finds the ligature œ."""
    parts: list[str] = []
    index = 0
    while index < len(term):
        if term[index : index + 2] == "oe":
            parts.append("(?:[oO][eE]|œ|Œ)")
            index += 2
            continue
        parts.append(_letter_class(term[index]))
        index += 1
    return "".join(parts)


def text_filter(text: str) -> Q:
    """Every word of ``text`` in the reference, the business name or the SIRET."""
    condition = Q()
    digits = re.sub(r"[\s.\-]", "", text)
    if digits.isdigit() and len(digits) >= 3:
        # "123 456 789 00012": a SIRET (or part of one) typed with spaces.
        return Q(siret__contains=digits) | Q(reference__icontains=digits)
    for term in search_terms(text)[:MAX_TERMS]:
        name = Q(business_name__iregex=accent_pattern(term))
        if "oe" not in term:
            # A cheap LIKE first, every letter that has accented forms replaced by "_" (one
            # character): a superset of the expression's matches, evaluated in C by the
            # database; the expression then runs only on the rows it keeps.
            name = Q(LikeFolded(F("business_name"), Value(f"%{like_pattern(term)}%"))) & name
        condition &= Q(reference__icontains=term) | name | Q(siret__contains=term)
    return condition


def like_pattern(term: str) -> str:
    """``planezes`` -> ``pl_n_z_s``: the letters with accented forms become "_" (one character)."""
    return "".join("_" if char in _ACCENTS else char for char in term)


class LikeFolded(Lookup):
    """``UPPER(lhs) LIKE UPPER(rhs)``: the pattern's "_" and "%" are wildcards (``like_pattern``
    makes patterns of ``[a-z0-9_%]`` only, nothing to escape)."""

    lookup_name = "cc_like_folded"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"UPPER({lhs}) LIKE UPPER({rhs})", [*lhs_params, *rhs_params]


@dataclass(frozen=True)
class QueueFilters:
    programme: Any = None  # GrantProgramme or None
    state: str = "a_traiter"  # "a_traiter", "tous" or a Status value
    canton: Any = None  # Canton or None
    eligibility: str = ""  # EligibilityAnswer value or ""
    assigned: str = ""  # "moi", "personne" or ""
    text: str = ""
    sort: str = DEFAULT_SORT


def queue(*, user: Any, filters: QueueFilters | None = None) -> QuerySet[Application]:
    """The dossiers an instructor works on (never drafts), filtered and sorted."""
    f = filters or QueueFilters()
    # Only the columns a row shows: the canton and commune rows carry their boundaries (large
    # GeoJSON) and the dossier its eligibility snapshot; none of them belongs in a list.
    qs = Application.objects.select_related("premises_commune", "canton", "instructor").only(*QUEUE_COLUMNS)
    if f.state == "a_traiter":
        qs = qs.filter(status__in=TO_PROCESS)
    elif f.state in QUEUE_STATUSES:
        qs = qs.filter(status=f.state)
    else:
        qs = qs.filter(status__in=QUEUE_STATUSES)
    if f.programme is not None:
        qs = qs.filter(programme=f.programme)
    if f.canton is not None:
        qs = qs.filter(canton=f.canton)
    if f.eligibility:
        qs = qs.filter(eligibility=f.eligibility)
    if f.assigned == "moi":
        qs = qs.filter(instructor=user)
    elif f.assigned == "personne":
        qs = qs.filter(instructor__isnull=True)
    if f.text.strip():
        qs = qs.filter(text_filter(f.text.strip()[:100]))
    return qs.order_by(*SORTS.get(f.sort, SORTS[DEFAULT_SORT]))


def queue_page(*, user: Any, filters: QueueFilters | None = None, number: Any = 1, per_page: int = 50) -> Any:
    """One page of the queue: ``(page, applications)``. The ordering runs on the dossier ids
    alone (the ``application_queue_idx`` index covers status, submission date and id, so no
    row is read to sort), then the page's 50 rows are read by id."""
    ordered = queue(user=user, filters=filters).values_list("pk", flat=True)
    if filters is not None and filters.text.strip():
        # A text search scans every dossier once (its expressions cannot use an index): read the
        # matching ids in order in that one scan, rather than scanning again to count them.
        page = Paginator(list(ordered), per_page).get_page(number)
    else:
        page = Paginator(ordered, per_page).get_page(number)
    ids = list(page.object_list)
    rows = (
        Application.objects.select_related("premises_commune", "canton", "instructor").only(*QUEUE_COLUMNS).in_bulk(ids)
    )
    return page, [rows[pk] for pk in ids if pk in rows]


def days_waiting(application: Application, *, now: datetime | None = None) -> int | None:
    """Days since the (last) submission; for a decided dossier, until the decision."""
    if application.submitted_at is None:
        return None
    end = application.decided_at if application.status in DECIDED_STATUSES and application.decided_at else None
    end = end or now or timezone.now()
    return max(0, (timezone.localdate(end) - timezone.localdate(application.submitted_at)).days)


def application_for_review(reference: str) -> Application | None:
    """The dossier with everything the review page shows, or None (drafts are not reviewed)."""
    if not reference or len(reference) > 24 or "\x00" in reference:
        return None
    return (
        Application.objects.exclude(status=Status.DRAFT)
        .select_related(
            "programme", "organisation", "premises_commune", "canton", "instructor", "decided_by", "created_by"
        )
        .prefetch_related(
            Prefetch(
                "lines", queryset=ExpenseLine.objects.select_related("category", "quote").order_by("position", "pk")
            ),
            Prefetch("review_notes", queryset=ReviewNote.objects.select_related("author")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor")),
        )
        .filter(reference=reference)
        .first()
    )


def unread_messages(application: Application) -> int:
    return Message.objects.filter(application=application, from_applicant=True, read_at__isnull=True).count()


def latest_decision_letter(application: Application) -> Document | None:
    return (
        Document.objects.filter(application=application, kind=DocumentKind.DECISION)
        .order_by("-uploaded_at", "-pk")
        .first()
    )
