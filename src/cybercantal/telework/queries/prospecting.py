"""Reads of the prospecting pages: the companies list (search, filters, follow-ups), the
pipeline board and the conversion figures.

Definitions of the figures (the same on the page and in the tests):

- a company **reached** a stage of the pipeline (identified → contacted → meeting → pilot
  agreement → staff relocated) when its stage history shows it moved to that stage or to a
  later one (a company taken straight from « Contactée » to « Accord pilote » has reached
  « Rendez-vous » too). A company lost later keeps the stages it reached;
- the **conversion rate** from a stage to the next = companies that reached the next one /
  companies that reached this one; **overall** = reached « Salariés installés » / reached
  « Identifiée » (every company);
- the **days between two stages**: for each company that reached the later stage, the days
  between the first time it reached the earlier one and the first time it reached the later
  one; the median is shown (half of the companies took less);
- **lost reasons** count the companies lost today, by motive; a company taken back into the
  pipeline no longer counts;
- **staff relocated** come from the employer agreements linked to the companies: employees
  named in the agreement, those who joined (accepted the invitation, they work from a
  telecentre), and those still covered today.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Organisation
from cybercantal.core.text import search_terms

from ..models import (
    PIPELINE_STAGES,
    AgreementEmployee,
    EmployerAgreement,
    LostReason,
    Prospect,
    ProspectActivity,
    ProspectStage,
    ProspectStageChange,
    SizeBand,
)

PARTNER_KINDS = (
    Organisation.Kind.ASSOCIATION,
    Organisation.Kind.DEPARTEMENT,
    Organisation.Kind.EPCI,
    Organisation.Kind.BUSINESS,
    Organisation.Kind.TELECENTRE_OPERATOR,
)
SORTS = ("nom", "relance", "etape", "recent")
_SIREN_LIKE = re.compile(r"^[0-9][0-9 .\u00a0]{2,}$")
STAGE_INDEX: dict[str, int] = {str(stage): index for index, stage in enumerate(PIPELINE_STAGES)}


# --- lists --------------------------------------------------------------------------------------


def _stage_order() -> Case:
    return Case(
        *[When(stage=stage, then=Value(index)) for index, stage in enumerate([*PIPELINE_STAGES, ProspectStage.LOST])],
        default=Value(99),
        output_field=IntegerField(),
    )


def annotated() -> QuerySet[Prospect]:
    """Companies with what a list or a card shows: owner, partner, agreement, the follow-up
    (the next step of the latest activity) and the date of the latest activity."""
    latest = ProspectActivity.objects.filter(prospect=OuterRef("pk")).order_by("-happened_on", "-pk")
    return Prospect.objects.select_related("owner", "source_partner", "agreement").annotate(
        next_step_text=Subquery(latest.values("next_step")[:1]),
        next_step_date=Subquery(latest.values("next_step_on")[:1]),
        last_activity_on=Subquery(latest.values("happened_on")[:1]),
    )


def overdue_q(today: dt.date | None = None) -> Q:  # on ``annotated()`` only
    """Follow-ups whose date has passed, for companies still in play (not lost)."""
    today = today or timezone.localdate()
    return Q(next_step_date__lt=today) & ~Q(stage=ProspectStage.LOST)


def prospects(
    *,
    text: str = "",
    stage: str = "",
    size_band: str = "",
    source_partner: Organisation | None = None,
    owner: Any = None,
    overdue: bool = False,
    sort: str = "nom",
    today: dt.date | None = None,
) -> QuerySet[Prospect]:
    """The companies list: search (name, SIREN, head office; accents and case folded, each word
    the start of a word), filters, sort."""
    queryset = annotated()
    text = " ".join((text or "").split())
    if text:
        digits = re.sub(r"[\s.\u00a0]", "", text)
        words = Q()
        for term in search_terms(text):
            words &= Q(search_text__contains=f" {term}")
        if _SIREN_LIKE.match(text) and digits.isdigit():
            queryset = queryset.filter(Q(siren__contains=digits) | words)
        elif search_terms(text):
            queryset = queryset.filter(words)
    if stage:
        queryset = queryset.filter(stage=stage)
    if size_band:
        queryset = queryset.filter(size_band=size_band)
    if source_partner is not None:
        queryset = queryset.filter(source_partner=source_partner)
    if owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif owner is not None:
        queryset = queryset.filter(owner=owner)
    if overdue:
        queryset = queryset.filter(overdue_q(today))
    if sort == "relance":
        return queryset.order_by(F("next_step_date").asc(nulls_last=True), "name", "pk")
    if sort == "etape":
        return queryset.annotate(stage_order=_stage_order()).order_by("stage_order", "-stage_changed_at", "pk")
    if sort == "recent":
        return queryset.order_by("-stage_changed_at", "pk")
    return queryset.order_by("name", "pk")


def overdue_count(today: dt.date | None = None) -> int:
    return annotated().filter(overdue_q(today)).count()


def source_partners() -> QuerySet[Organisation]:
    """Organisations that may bring companies: agencies, networks, the département's services,
    communities of communes, consultancies, operators; and any partner already named."""
    used = Prospect.objects.filter(source_partner__isnull=False).values("source_partner_id")
    return Organisation.objects.filter(Q(kind__in=PARTNER_KINDS) | Q(pk__in=used)).order_by("name")


def linkable_agreements(prospect: Prospect | None = None) -> QuerySet[EmployerAgreement]:
    """Agreements not yet linked to another company, newest first."""
    taken = Prospect.objects.filter(agreement__isnull=False)
    if prospect is not None:
        taken = taken.exclude(pk=prospect.pk)
    return (
        EmployerAgreement.objects.select_related("employer")
        .exclude(pk__in=taken.values("agreement_id"))
        .order_by("-starts_on", "reference")
    )


def days_at_stage(prospect: Prospect, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return max(0, (today - timezone.localdate(prospect.stage_changed_at)).days)


# --- the board ----------------------------------------------------------------------------------


@dataclass
class Column:
    stage: ProspectStage
    prospects: list[Prospect]
    count: int

    @property
    def label(self) -> str:
        return str(self.stage.label)


def board(*, owner: Any = None, size_band: str = "", lost_shown: int = 10) -> tuple[list[Column], Column]:
    """One column per pipeline stage (every company), and the lost ones apart (the latest
    ``lost_shown``, with their total). Two queries, three with the lost count."""
    queryset = annotated()
    if owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif owner is not None:
        queryset = queryset.filter(owner=owner)
    if size_band:
        queryset = queryset.filter(size_band=size_band)
    by_stage: dict[str, list[Prospect]] = defaultdict(list)
    for prospect in queryset.exclude(stage=ProspectStage.LOST).order_by("stage_changed_at", "pk"):
        by_stage[prospect.stage].append(prospect)
    columns = [Column(stage, by_stage[stage], len(by_stage[stage])) for stage in PIPELINE_STAGES]
    lost = queryset.filter(stage=ProspectStage.LOST)
    lost_list = list(lost.order_by("-stage_changed_at", "-pk")[:lost_shown])
    lost_count = len(lost_list) if len(lost_list) < lost_shown else lost.count()
    return columns, Column(ProspectStage.LOST, lost_list, lost_count)


# --- the detail page ----------------------------------------------------------------------------


def history(prospect: Prospect) -> QuerySet[ProspectStageChange]:
    return prospect.stage_changes.select_related("by").order_by("-at", "-pk")


def activities(prospect: Prospect) -> QuerySet[ProspectActivity]:
    return prospect.activities.select_related("author").order_by("-happened_on", "-pk")


# --- conversion figures --------------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage with one decimal (half up), None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class StageFigure:
    stage: ProspectStage
    reached: int
    now: int  # companies at this stage today
    to_next: Decimal | None  # conversion to the next stage (None for the last one)

    @property
    def label(self) -> str:
        return str(self.stage.label)


@dataclass
class GroupFigure:
    label: str
    companies: int
    reached: list[int]
    lost: int
    overall: Decimal | None


@dataclass
class Duration:
    from_stage: ProspectStage
    to_stage: ProspectStage
    companies: int
    median_days: Decimal | None

    @property
    def label(self) -> str:
        return f"{self.from_stage.label} → {self.to_stage.label}"


@dataclass
class StaffLine:
    prospect_name: str
    prospect_pk: int
    agreement_reference: str
    agreement_pk: int
    potential: int | None
    named: int
    joined: int
    active: int


@dataclass
class Figures:
    companies: int
    stages: list[StageFigure]
    overall: Decimal | None
    by_source: list[GroupFigure]
    by_size: list[GroupFigure]
    durations: list[Duration]
    overall_duration: Duration
    lost_reasons: list[tuple[str, int]]
    lost_at_stage: list[tuple[str, int]]
    lost_total: int
    staff: list[StaffLine] = field(default_factory=list)
    potential_in_play: int = 0

    @property
    def staff_named(self) -> int:
        return sum(line.named for line in self.staff)

    @property
    def staff_joined(self) -> int:
        return sum(line.joined for line in self.staff)

    @property
    def staff_active(self) -> int:
        return sum(line.active for line in self.staff)

    @property
    def max_reached(self) -> int:
        return max((s.reached for s in self.stages), default=0)


def _median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _group(label: str, members: list[int], best: dict[int, int], lost: set[int]) -> GroupFigure:
    reached = [sum(1 for pk in members if best[pk] >= index) for index in range(len(PIPELINE_STAGES))]
    return GroupFigure(
        label=label,
        companies=len(members),
        reached=reached,
        lost=sum(1 for pk in members if pk in lost),
        overall=rate(reached[-1], reached[0]),
    )


def figures(queryset: QuerySet[Prospect] | None = None) -> Figures:
    """The conversion figures of ``queryset`` (every company by default). Four queries: the
    companies, their stage history, the employees of the linked agreements, the agreements."""
    queryset = Prospect.objects.all() if queryset is None else queryset
    rows: list[Any] = list(
        queryset.order_by()
        .select_related(None)
        .values(
            "pk",
            "name",
            "stage",
            "size_band",
            "lost_reason_kind",
            "created_at",
            "potential_staff",
            "agreement_id",
            "source_partner__name",
        )
    )
    pks = [row["pk"] for row in rows]
    first_reach: dict[int, dict[int, dt.date]] = defaultdict(dict)
    best: dict[int, int] = {}
    lost_from: dict[int, str] = {}
    changes = (
        ProspectStageChange.objects.filter(prospect_id__in=queryset.values("pk"))
        .order_by("prospect_id", "at", "pk")
        .values_list("prospect_id", "from_stage", "to_stage", "at")
    )
    for prospect_id, from_stage, to_stage, at in changes:
        if to_stage == ProspectStage.LOST:
            lost_from[prospect_id] = from_stage
            continue
        index = STAGE_INDEX.get(to_stage)
        if index is None:
            continue
        day = timezone.localdate(at)
        best[prospect_id] = max(best.get(prospect_id, 0), index)
        for lower in range(index + 1):
            first_reach[prospect_id].setdefault(lower, day)
    lost: set[int] = set()
    for row in rows:
        pk = row["pk"]
        if row["stage"] == ProspectStage.LOST:
            lost.add(pk)
        else:  # a company without history (or whose history is behind) is at least where it is
            best[pk] = max(best.get(pk, 0), STAGE_INDEX[row["stage"]])
        best.setdefault(pk, 0)
        first_reach[pk].setdefault(0, timezone.localdate(row["created_at"]))
    count = len(PIPELINE_STAGES)
    reached = [sum(1 for pk in pks if best[pk] >= index) for index in range(count)]
    now = Counter(row["stage"] for row in rows)
    stages = [
        StageFigure(
            stage=stage,
            reached=reached[index],
            now=now.get(stage, 0),
            to_next=rate(reached[index + 1], reached[index]) if index + 1 < count else None,
        )
        for index, stage in enumerate(PIPELINE_STAGES)
    ]

    def durations_between(low: int, high: int) -> Duration:
        days = [
            (first_reach[pk][high] - first_reach[pk][low]).days
            for pk in pks
            if high in first_reach[pk] and low in first_reach[pk]
        ]
        return Duration(PIPELINE_STAGES[low], PIPELINE_STAGES[high], len(days), _median(days))

    by_source_members: dict[str, list[int]] = defaultdict(list)
    by_size_members: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_source_members[row["source_partner__name"] or ""].append(row["pk"])
        by_size_members[row["size_band"] or ""].append(row["pk"])
    by_source = [
        _group(name, by_source_members[name], best, lost)
        for name in sorted(by_source_members, key=lambda n: (not n, n))
    ]
    for group in by_source:
        group.label = group.label or _("Sans partenaire")
    size_order = [*SizeBand.values, ""]
    by_size = [
        _group(str(SizeBand(size).label) if size else _("Effectif non renseigné"), by_size_members[size], best, lost)
        for size in size_order
        if size in by_size_members
    ]
    reasons = Counter(row["lost_reason_kind"] or LostReason.OTHER for row in rows if row["pk"] in lost)
    lost_reasons = [(str(LostReason(kind).label), reasons[kind]) for kind in LostReason.values if reasons.get(kind)]
    at_stage = Counter(lost_from.get(pk, "") for pk in lost)
    lost_at_stage = [(str(stage.label), at_stage[stage]) for stage in PIPELINE_STAGES if at_stage.get(stage)]
    if at_stage.get(""):
        lost_at_stage.append((_("Étape inconnue"), at_stage[""]))
    staff = _staff_lines(rows)
    potential = sum(
        row["potential_staff"] or 0 for row in rows if row["stage"] not in (ProspectStage.LOST, ProspectStage.RELOCATED)
    )
    return Figures(
        companies=len(rows),
        stages=stages,
        overall=rate(reached[-1], reached[0]),
        by_source=by_source,
        by_size=by_size,
        durations=[durations_between(index, index + 1) for index in range(count - 1)],
        overall_duration=durations_between(0, count - 1),
        lost_reasons=lost_reasons,
        lost_at_stage=lost_at_stage,
        lost_total=len(lost),
        staff=staff,
        potential_in_play=potential,
    )


def _staff_lines(rows: Iterable[Any]) -> list[StaffLine]:
    linked = {row["agreement_id"]: row for row in rows if row["agreement_id"]}
    if not linked:
        return []
    today = timezone.localdate()
    counts = {
        item["agreement_id"]: item
        for item in AgreementEmployee.objects.filter(agreement_id__in=linked)
        .values("agreement_id")
        .annotate(
            named=Count("pk"),
            joined=Count("pk", filter=Q(joined_at__isnull=False)),
            active=Count(
                "pk", filter=Q(joined_at__isnull=False) & (Q(removed_on__isnull=True) | Q(removed_on__gt=today))
            ),
        )
        .order_by()
    }
    references = dict(EmployerAgreement.objects.filter(pk__in=linked).values_list("pk", "reference"))
    lines = []
    for agreement_id, row in linked.items():
        item: Any = counts.get(agreement_id, {})
        lines.append(
            StaffLine(
                prospect_name=row["name"],
                prospect_pk=row["pk"],
                agreement_reference=references.get(agreement_id, ""),
                agreement_pk=agreement_id,
                potential=row["potential_staff"],
                named=item.get("named", 0),
                joined=item.get("joined", 0),
                active=item.get("active", 0),
            )
        )
    return sorted(lines, key=lambda line: (-line.joined, line.prospect_name))
