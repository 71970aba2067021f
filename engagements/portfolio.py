"""The firm's portfolio: every engagement with where its gate stands, for how long, waiting on
whom, and a red / amber / green status with its reason in words.

The status is computed in SQL (one `CASE` of indexed `EXISTS` tests), so filtering, sorting by
status and paginating never load every engagement. It uses only what is stored: the open
request's due date, how long the engagement has been in its phase, and the planned dates of the
milestones of phases not yet signed off. Readiness is *not* part of it: each phase's readiness
checks run several queries per engagement (see each app's `gate.py`), so they are computed only
for the rows shown (a page, or the export), never to rank the whole firm.

Rules, first match wins:

- red, "overdue": the current phase's open sign-off request is past its due date;
- red, "stalled": more than `STALLED_AFTER_DAYS` days in the current phase;
- amber, "due soon": the open request is due within `DUE_SOON_DAYS` days (or today);
- amber, "slow": more than `SLOW_AFTER_DAYS` days in the phase and no request open;
- amber, "milestone late": a milestone of a phase not yet signed off is past its planned date;
- green, "on track": otherwise.

Engagements on hold, completed, cancelled or closed have no colour: they are not moving by
design, and are sorted after the active ones.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format

from engagements import registry
from engagements.exports import csv_writer
from engagements.models import (
    Client,
    Decision,
    Engagement,
    EngagementStatus,
    Milestone,
    PhaseState,
    PhaseStatus,
    RequestStatus,
    SignoffDecision,
    SignoffRequest,
    Stakeholder,
    User,
)
from engagements.phases import WORKING_PHASES, Phase

STALLED_AFTER_DAYS = 30
SLOW_AFTER_DAYS = 14
DUE_SOON_DAYS = 2

RED, AMBER, GREEN, NONE = "red", "amber", "green", "none"

# reason code -> (colour, rank for sorting by status: most urgent first)
REASONS: dict[str, tuple[str, int]] = {
    "overdue": (RED, 0),
    "stalled": (RED, 1),
    "due_soon": (AMBER, 2),
    "slow": (AMBER, 3),
    "milestone_late": (AMBER, 4),
    "on_track": (GREEN, 5),
    "on_hold": (NONE, 6),
    "closed": (NONE, 7),
}
RANK_CODES = {rank: code for code, (_, rank) in REASONS.items()}
COLOUR_LABELS = {RED: "Red", AMBER: "Amber", GREEN: "Green", NONE: "—"}

SORTS: dict[str, str] = {
    "status": "Most urgent first",
    "days": "Longest in phase first",
    "client": "Client, A to Z",
    "due": "Sign-off due soonest",
}


@dataclass(frozen=True)
class PortfolioFilters:
    mine: User | None = None
    """Only engagements this user leads."""
    stalled_days: int | None = None
    """Only engagements more than this many days in their current phase."""
    overdue: bool = False
    """Only engagements whose current sign-off request is past its due date."""
    phase: str | None = None
    client: Client | None = None
    sort: str = "status"


def _days_ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def portfolio_list(
    *, filters: PortfolioFilters = PortfolioFilters(), now: datetime | None = None
) -> QuerySet:
    """The active firm's engagements, filtered and sorted, each annotated with `reason_rank`
    (the rank in `REASONS` of its status's reason: see `RANK_CODES`).

    Every condition is an indexed `EXISTS` or a column test: the status of the whole firm costs
    one query, whatever the number of engagements, requests and milestones."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    open_request = SignoffRequest.objects.filter(
        engagement=OuterRef("pk"), phase=OuterRef("current_phase"), status=RequestStatus.OPEN
    )
    its_phase_signed_off = PhaseState.objects.filter(
        engagement=OuterRef("engagement"), phase=OuterRef("phase"), status=PhaseStatus.SIGNED_OFF
    )
    late_milestone = Milestone.objects.filter(
        ~Exists(its_phase_signed_off), engagement=OuterRef("pk"), due_date__lt=today
    )
    overdue = Exists(open_request.filter(due_date__lt=today))
    inactive = Q(current_phase=Phase.CLOSED) | Q(
        status__in=[EngagementStatus.COMPLETED, EngagementStatus.CANCELLED]
    )

    def rank(code: str) -> Value:
        return Value(REASONS[code][1])

    engagements = Engagement.objects.select_related("client", "lead_consultant").annotate(
        reason_rank=Case(
            When(inactive, then=rank("closed")),
            When(status=EngagementStatus.ON_HOLD, then=rank("on_hold")),
            When(overdue, then=rank("overdue")),
            When(phase_entered_at__lt=_days_ago(now, STALLED_AFTER_DAYS), then=rank("stalled")),
            When(
                Exists(open_request.filter(due_date__lte=today + timedelta(days=DUE_SOON_DAYS))),
                then=rank("due_soon"),
            ),
            When(
                ~Exists(open_request),
                phase_entered_at__lt=_days_ago(now, SLOW_AFTER_DAYS),
                then=rank("slow"),
            ),
            When(Exists(late_milestone), then=rank("milestone_late")),
            default=rank("on_track"),
            output_field=IntegerField(),
        ),
    )
    if filters.mine is not None:
        engagements = engagements.filter(lead_consultant=filters.mine)
    if filters.stalled_days is not None:
        engagements = engagements.exclude(inactive).filter(
            phase_entered_at__lt=_days_ago(now, filters.stalled_days)
        )
    if filters.overdue:
        engagements = engagements.filter(overdue)
    if filters.phase:
        engagements = engagements.filter(current_phase=filters.phase)
    if filters.client is not None:
        engagements = engagements.filter(client=filters.client)
    if filters.sort == "due":
        engagements = engagements.annotate(
            request_due=Subquery(open_request.values("due_date")[:1], output_field=DateField())
        )
    # Inactive engagements last when sorting by days: "days in phase" of a closed one means nothing.
    inactive_last = Case(
        When(inactive, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    order = {
        "status": ["reason_rank", "phase_entered_at"],
        "days": [inactive_last, "phase_entered_at"],
        "client": ["client__name"],
        "due": [F("request_due").asc(nulls_last=True), "reason_rank"],
    }.get(filters.sort, ["reason_rank", "phase_entered_at"])
    return engagements.order_by(*order, "name", "id")


def portfolio_summary() -> dict[str, int]:
    """How many of the firm's engagements are red, amber and green: one grouped query."""
    counts = {RED: 0, AMBER: 0, GREEN: 0}
    ranks = (
        portfolio_list()
        .order_by()
        .values("reason_rank")
        .annotate(engagements=Count("id"))
        .values_list("reason_rank", "engagements")
    )
    for rank, engagements in ranks:
        colour = REASONS[RANK_CODES[rank]][0]
        if colour in counts:
            counts[colour] += engagements
    return counts


# --- the rows shown ------------------------------------------------------------------------------


@dataclass
class Readiness:
    passed: int
    total: int
    failing: list[str]

    @property
    def is_ready(self) -> bool:
        return self.passed == self.total


@dataclass
class PortfolioRow:
    engagement: Engagement
    days_in_phase: int
    colour: str
    reason_code: str
    reason: str
    request: SignoffRequest | None = None
    requested_days_ago: int | None = None
    pending: list[str] = field(default_factory=list)
    readiness: Readiness | None = None
    milestone_title: str = ""
    milestone_due: date | None = None
    milestone_days_late: int | None = None
    phase_status: str = PhaseStatus.IN_PROGRESS
    phase_url_name: str | None = None
    """The workspace page of the current phase, where its gate panel is."""

    @property
    def colour_label(self) -> str:
        return COLOUR_LABELS[self.colour]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _when(days: int) -> str:
    if days == 0:
        return "today"
    return f"in {_plural(days, 'day')}" if days > 0 else f"{_plural(-days, 'day')} ago"


@dataclass(frozen=True)
class _Gate:
    """What the rows shown need beyond the engagement itself, loaded for all of them at once."""

    request: SignoffRequest | None
    phase_status: str
    milestone: tuple[str, date] | None
    """The first planned milestone (title, date) of a phase not signed off."""


def _reason_words(
    code: str, engagement: Engagement, gate: _Gate, days: int, today: date, pending: Sequence[str]
) -> str:
    phase = engagement.get_current_phase_display()
    waiting = f"; waiting on {', '.join(pending)}" if pending else ""
    due = gate.request.due_date if gate.request else None
    if code == "overdue" and due:
        late = _plural((today - due).days, "day")
        return f"Sign-off overdue: was due {date_format(due, 'j M')}, {late} ago{waiting}"
    if code == "stalled":
        return f"Stalled: {_plural(days, 'day')} in {phase}{waiting}"
    if code == "due_soon" and due:
        return f"Sign-off due {_when((due - today).days)}{waiting}"
    if code == "slow":
        if gate.phase_status == PhaseStatus.SIGNED_OFF:
            return f"{_plural(days, 'day')} in {phase}: signed off but not moved on"
        return f"{_plural(days, 'day')} in {phase} and not yet sent for sign-off"
    if code == "milestone_late" and gate.milestone:
        title, planned = gate.milestone
        return f"Milestone “{title}” is {_plural((today - planned).days, 'day')} past its date"
    if code == "on_hold":
        return "On hold"
    if code == "closed":
        return (
            "Closed"
            if engagement.current_phase == Phase.CLOSED
            else engagement.get_status_display()
        )
    if due:
        return f"On track: sign-off due {_when((due - today).days)}{waiting}"
    return "On track"


def _gates(engagements: list[Engagement]) -> dict[int, _Gate]:
    """Each engagement's open request for its current phase, its current phase's state and its
    next milestone: three queries for any number of engagements."""
    ids = [e.pk for e in engagements]
    current = {e.pk: e.current_phase for e in engagements}
    requests = {
        r.engagement_id: r
        for r in SignoffRequest.objects.filter(
            engagement_id__in=ids, status=RequestStatus.OPEN
        ).only(
            "pk",
            "engagement_id",
            "phase",
            "approver_ids",
            "digest",
            "is_stale",
            "created_at",
            "due_date",
        )
        if r.phase == current[r.engagement_id]
    }
    statuses: dict[int, dict[str, str]] = {}
    for engagement_id, phase, status in PhaseState.objects.filter(
        engagement_id__in=ids
    ).values_list("engagement_id", "phase", "status"):
        statuses.setdefault(engagement_id, {})[phase] = status
    milestones: dict[int, tuple[str, date]] = {}
    for engagement_id, phase, title, due_date in (
        Milestone.objects.filter(engagement_id__in=ids)
        .order_by("due_date", "id")
        .values_list("engagement_id", "phase", "title", "due_date")
    ):
        signed_off = statuses.get(engagement_id, {}).get(phase) == PhaseStatus.SIGNED_OFF
        if engagement_id not in milestones and not signed_off:
            milestones[engagement_id] = (title, due_date)
    return {
        pk: _Gate(
            request=requests.get(pk),
            phase_status=statuses.get(pk, {}).get(current[pk], PhaseStatus.IN_PROGRESS),
            milestone=milestones.get(pk),
        )
        for pk in ids
    }


def _pending_names(requests: list[SignoffRequest]) -> dict[int, list[str]]:
    """Per request, the names of the required approvers who have not approved it.

    An approval counts if it is the approver's latest decision and, when the request went stale,
    it was given on content other than the requested snapshot (i.e. after the change). That
    reads stored digests only; the gate panel, which computes the live snapshot, is exact."""
    approver_ids = {pk for request in requests for pk in request.approver_ids}
    approvers = {
        s.pk: s.name
        for s in Stakeholder.objects.filter(pk__in=approver_ids, is_approver=True).only(
            "pk", "name"
        )
    }
    latest: dict[tuple[int, int], tuple[str, str]] = {}
    decisions = (
        SignoffDecision.objects.filter(request__in=requests)
        .order_by("created_at", "id")
        .values_list("request_id", "stakeholder_id", "decision", "reviewed_digest")
    )
    for request_id, stakeholder_id, decision, digest in decisions:
        latest[(request_id, stakeholder_id)] = (decision, digest)
    pending: dict[int, list[str]] = {}
    for request in requests:
        names = []
        for pk in request.approver_ids:
            if pk not in approvers:
                continue
            decision, digest = latest.get((request.pk, pk), ("", ""))
            approved = decision == Decision.APPROVE and (
                digest == request.digest if not request.is_stale else digest != request.digest
            )
            if not approved:
                names.append(approvers[pk])
        pending[request.pk] = sorted(names)
    return pending


def readiness_of(engagement: Engagement) -> Readiness | None:
    """The current phase's readiness checks (several queries: one engagement at a time)."""
    spec = registry.spec_for(engagement.current_phase)
    if spec is None or engagement.current_phase == Phase.CLOSED:
        return None
    checks = [check for check in spec.readiness(engagement) if check.available]
    return Readiness(
        passed=sum(check.passed for check in checks),
        total=len(checks),
        failing=[check.todo for check in checks if not check.passed],
    )


ROW_BATCH = 500


def portfolio_rows(
    engagements: Iterable[Engagement], *, now: datetime | None = None, with_readiness: bool = True
) -> list[PortfolioRow]:
    """The rows for engagements from `portfolio_list`: five queries per `ROW_BATCH`
    engagements, plus each engagement's readiness checks when `with_readiness`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    engagements = list(engagements)
    rows = []
    for offset in range(0, len(engagements), ROW_BATCH):
        batch = engagements[offset : offset + ROW_BATCH]
        gates = _gates(batch)
        pending = _pending_names([g.request for g in gates.values() if g.request])
        for engagement in batch:
            gate = gates[engagement.pk]
            request = gate.request
            names = pending.get(request.pk, []) if request else []
            days = max(0, (now - engagement.phase_entered_at).days)
            code = RANK_CODES[engagement.reason_rank]
            spec = registry.spec_for(engagement.current_phase)
            planned = gate.milestone[1] if gate.milestone else None
            rows.append(
                PortfolioRow(
                    engagement=engagement,
                    days_in_phase=days,
                    colour=REASONS[code][0],
                    reason_code=code,
                    reason=_reason_words(code, engagement, gate, days, today, names),
                    request=request,
                    requested_days_ago=(today - timezone.localdate(request.created_at)).days
                    if request
                    else None,
                    pending=names,
                    readiness=readiness_of(engagement) if with_readiness else None,
                    milestone_title=gate.milestone[0] if gate.milestone else "",
                    milestone_due=planned,
                    milestone_days_late=(today - planned).days
                    if planned and planned < today
                    else None,
                    phase_status=gate.phase_status,
                    phase_url_name=spec.workspace_url_name if spec else None,
                )
            )
    return rows


# --- CSV export ----------------------------------------------------------------------------------

CSV_HEADER = [
    "Engagement",
    "Client",
    "Lead",
    "Phase",
    "Days in phase",
    "Status",
    "Reason",
    "Readiness passed",
    "Readiness checks",
    "Sign-off requested on",
    "Sign-off due",
    "Waiting on",
    "Next milestone",
    "Milestone planned",
]


def portfolio_csv(rows: Iterable[PortfolioRow]) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        engagement = row.engagement
        writer.writerow(
            (
                engagement.name,
                engagement.client.name,
                engagement.lead_consultant or "",
                engagement.get_current_phase_display(),
                row.days_in_phase,
                row.colour_label if row.colour != NONE else "",
                row.reason,
                row.readiness.passed if row.readiness else "",
                row.readiness.total if row.readiness else "",
                timezone.localdate(row.request.created_at).isoformat() if row.request else "",
                row.request.due_date.isoformat() if row.request and row.request.due_date else "",
                "; ".join(row.pending),
                row.milestone_title,
                row.milestone_due.isoformat() if row.milestone_due else "",
            )
        )
    return out.getvalue()


# --- time in each phase --------------------------------------------------------------------------


@dataclass
class PhaseDurations:
    phase: Phase
    finished: list[float]
    """Days each engagement spent in this phase, for those that went past it."""
    ongoing: list[float]
    """Days so far of the engagements in this phase now."""

    @property
    def median(self) -> float | None:
        return statistics.median(self.finished) if self.finished else None

    @property
    def shortest(self) -> float | None:
        return min(self.finished) if self.finished else None

    @property
    def longest(self) -> float | None:
        return max(self.finished) if self.finished else None

    @property
    def longest_ongoing(self) -> float | None:
        return max(self.ongoing) if self.ongoing else None


def phase_durations(*, now: datetime | None = None) -> list[PhaseDurations]:
    """How long the active firm's engagements spend in each working phase, in two queries.

    A phase an engagement has moved past lasted from the sign-off of the phase before it (for
    the first phase, the engagement's creation) to its own sign-off. The current phase has
    lasted since `phase_entered_at`. A phase whose boundaries are not both recorded is left out
    rather than guessed."""
    now = now or timezone.now()
    signed: dict[int, dict[str, datetime]] = {}
    for engagement_id, phase, signed_off_at in PhaseState.objects.filter(
        signed_off_at__isnull=False
    ).values_list("engagement_id", "phase", "signed_off_at"):
        signed.setdefault(engagement_id, {})[phase] = signed_off_at
    result = {phase: PhaseDurations(phase, [], []) for phase in WORKING_PHASES}
    order = list(Phase)
    for pk, created_at, current, entered_at, status in Engagement.objects.values_list(
        "pk", "created_at", "current_phase", "phase_entered_at", "status"
    ):
        current_index = order.index(Phase(current))
        start: datetime | None = created_at
        for phase in WORKING_PHASES[:current_index]:
            end = signed.get(pk, {}).get(phase.value)
            if start is not None and end is not None and end >= start:
                result[phase].finished.append((end - start).total_seconds() / 86400)
            start = end
        if current != Phase.CLOSED and status == EngagementStatus.ACTIVE:
            result[Phase(current)].ongoing.append(
                max(0.0, (now - entered_at).total_seconds() / 86400)
            )
    return list(result.values())
