"""What waits on whom: the items a client user can act on in the portal, and the items a
consultant must move on in the workspace.

The gate's own kinds (sign-off decisions, readiness, open requests) live here; each phase app
registers its kinds (`registry.register_waiting`) from its AppConfig.ready, so `engagements`
never imports a phase app. Every kind is computed in one batch for all the engagements in view:
a page's query count does not grow with its engagements or items, with two exceptions said where
they happen (a stale request's live snapshot, and readiness, which is bounded by
`READINESS_LIMIT`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from engagements import registry
from engagements.models import (
    Decision,
    Engagement,
    EngagementStatus,
    Membership,
    PhaseState,
    PhaseStatus,
    RequestStatus,
    SignoffDecision,
    SignoffRequest,
    Stakeholder,
    User,
)
from engagements.phases import Phase
from engagements.snapshots import SectionChanges, snapshot_diff

READINESS_LIMIT = 12
"""Across many engagements ("My work"), readiness is checked for at most this many: each check
reads the phase's artifacts, so it costs queries per engagement. Those longest in their phase
come first; the others say so and show their checks on their own overview."""


@dataclass(frozen=True)
class WaitingItem:
    kind: str
    title: str
    engagement: Engagement
    url: str
    """Where to act on it: the page (and anchor) with the form or the record."""
    action: str = "Open"
    """The words of the link to `url`, e.g. "Review and decide"."""
    phase: str = ""
    due: date | None = None
    since: datetime | None = None
    """When it started waiting, for items without a due date (and as a tie-break)."""
    since_label: str = "waiting since"
    """What `since` is, in words: "assigned", "requested", "in this phase since", …"""
    detail: str = ""
    lines: tuple[str, ...] = ()
    """Short lines under the detail: failing checks, approvers not decided, …"""
    changes: tuple[SectionChanges, ...] = ()
    """For a sign-off request that went stale: what changed since it was requested."""

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label if self.phase else ""

    @property
    def is_overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()

    @property
    def kind_label(self) -> str:
        kind = registry.waiting_kind(self.kind)
        return kind.label if kind else ""

    def sort_key(self) -> tuple:
        # Overdue and soonest due first; then what has waited longest.
        return (
            self.due or date.max,
            self.since or timezone.now(),
            self.engagement.name,
            self.title,
        )


class WaitingList(list):
    """A list of WaitingItems that also says how many engagements' readiness was not checked."""

    readiness_unchecked: int = 0


def _sorted(items: Iterable[WaitingItem]) -> WaitingList:
    return WaitingList(sorted(items, key=WaitingItem.sort_key))


# --- who sees what -----------------------------------------------------------------------------


def waiting_for_client(
    *, membership: Membership, engagement: Engagement | None = None
) -> WaitingList:
    """What waits on a client user, on every engagement of their client where they are a portal
    stakeholder (or on `engagement` only): only their own stakeholder records, only what they
    can do in the portal."""
    if membership.client_id is None:
        return WaitingList()
    stakeholders = Stakeholder.objects.filter(
        user_id=membership.user_id,
        has_portal_access=True,
        engagement__client_id=membership.client_id,
    ).select_related("engagement", "user")
    if engagement is not None:
        stakeholders = stakeholders.filter(engagement=engagement)
    records = list(stakeholders)
    if not records:
        return WaitingList()
    items: list[WaitingItem] = []
    for kind in registry.waiting_kinds(registry.CLIENT):
        items += kind.items(records)
    return _sorted(items)


def staff_engagements(
    *, user: User, membership: Membership, mine_only: bool = False
) -> QuerySet[Engagement]:
    """The active engagements whose work a staff member sees on "My work": the ones they lead;
    for a firm owner every engagement of the firm, unless `mine_only`."""
    engagements = (
        Engagement.objects.filter(status=EngagementStatus.ACTIVE)
        .exclude(current_phase=Phase.CLOSED)
        .select_related("client", "lead_consultant")
        .order_by("phase_entered_at", "id")
    )
    if mine_only or not membership.is_owner:
        engagements = engagements.filter(lead_consultant=user)
    return engagements


def waiting_for_staff(
    *,
    user: User,
    membership: Membership,
    engagement: Engagement | None = None,
    mine_only: bool = False,
    kinds: Sequence[str] | None = None,
) -> WaitingList:
    """What waits on the firm's consultants: on `engagement` (its overview, every open phase's
    readiness), or on "My work" across `staff_engagements` (readiness of each current phase,
    for at most READINESS_LIMIT engagements). `kinds` limits it to some kinds."""
    if engagement is not None:
        active = (
            engagement.status == EngagementStatus.ACTIVE
            and engagement.current_phase != Phase.CLOSED
        )
        engagements = [engagement] if active else []
    else:
        engagements = list(staff_engagements(user=user, membership=membership, mine_only=mine_only))
    result = WaitingList()
    if not engagements:
        return result
    items: list[WaitingItem] = []
    for kind in registry.waiting_kinds(registry.STAFF):
        if kinds is not None and kind.kind not in kinds:
            continue
        if kind.kind == "readiness":
            found, unchecked = _readiness_items(engagements, every_phase=engagement is not None)
            items += found
            result.readiness_unchecked = unchecked
        else:
            items += kind.items(engagements)
    result += _sorted(items)
    return result


def group_by_kind(items: Iterable[WaitingItem], audience: str) -> list[dict]:
    """The items under each kind's heading, in the registry's order; empty kinds left out."""
    grouped: dict[str, list[WaitingItem]] = defaultdict(list)
    for item in items:
        grouped[item.kind].append(item)
    return [
        {"kind": kind.kind, "label": kind.label, "items": grouped[kind.kind]}
        for kind in registry.waiting_kinds(audience)
        if grouped.get(kind.kind)
    ]


def engagements_taking_input(engagements: Iterable[Engagement], phase: str) -> set[int]:
    """The pks of the engagements whose `phase` accepts the client's input now: reached, and
    not signed off (the rule of signoffs.phase_edit, for many engagements in one query)."""
    order = list(Phase)
    reached = {
        e.pk
        for e in engagements
        if order.index(Phase(e.current_phase)) >= order.index(Phase(phase))
    }
    if not reached:
        return set()
    signed_off = set(
        PhaseState.objects.filter(
            engagement_id__in=reached, phase=phase, status=PhaseStatus.SIGNED_OFF
        ).values_list("engagement_id", flat=True)
    )
    return reached - signed_off


# --- the gate's own kinds ----------------------------------------------------------------------


def _by_pk(engagements: Iterable[Engagement]) -> dict[int, Engagement]:
    return {e.pk: e for e in engagements}


@dataclass
class _OpenRequest:
    request: SignoffRequest
    approvers: list[Stakeholder]
    pending: list[Stakeholder]
    changes: list[SectionChanges] = field(default_factory=list)


def _open_requests(engagements: dict[int, Engagement], only_for: set[int] | None = None) -> list:
    """Every open sign-off request of the engagements, with its required approvers and those
    whose approval does not count for the content as it is now (the rule of
    signoffs.approval_progress, batched). `only_for`: keep only requests awaiting one of these
    stakeholders.

    A request that went stale needs its live snapshot, for the digest approvals must match and
    for what changed: that is the one read per request, and only stale requests pay it."""
    from engagements.services import signoffs

    requests = list(
        SignoffRequest.objects.filter(engagement_id__in=engagements, status=RequestStatus.OPEN)
    )
    requests = [r for r in requests if registry.is_available(r.phase)]
    if only_for is not None:
        requests = [r for r in requests if only_for & set(r.approver_ids)]
    if not requests:
        return []
    wanted = {pk for r in requests for pk in r.approver_ids}
    # Approvers removed since the request, or no longer approvers, are no longer required.
    approvers = {
        s.pk: s
        for s in Stakeholder.objects.filter(pk__in=wanted, is_approver=True).order_by("name", "id")
    }
    latest: dict[tuple[int, int], SignoffDecision] = {}
    for decision in SignoffDecision.objects.filter(request__in=requests).order_by(
        "created_at", "id"
    ):
        latest[(decision.request_id, decision.stakeholder_id)] = decision
    found = []
    for request in requests:
        request.engagement = engagements[request.engagement_id]
        digest, changes = request.digest, []
        if request.is_stale:
            live, digest = signoffs.live_snapshot(
                engagement=request.engagement, phase=request.phase
            )
            changes = snapshot_diff(request.snapshot, live)
        required = sorted(
            (approvers[pk] for pk in set(request.approver_ids) if pk in approvers),
            key=lambda s: (s.name, s.pk),
        )

        def counts(approver: Stakeholder, request=request, digest=digest) -> bool:
            decision = latest.get((request.pk, approver.pk))
            return (
                decision is not None
                and decision.decision == Decision.APPROVE
                and decision.reviewed_digest == digest
            )

        pending = [a for a in required if not counts(a)]
        found.append(_OpenRequest(request, required, pending, changes))
    return found


def _portal_phase_url(engagement: Engagement, phase: str, anchor: str = "") -> str:
    spec = registry.registered_spec(phase)
    return reverse(spec.portal_url_name, args=[engagement.public_id]) + anchor


def _workspace_phase_url(engagement: Engagement, phase: str, anchor: str = "") -> str:
    spec = registry.registered_spec(phase)
    return reverse(spec.workspace_url_name, args=[engagement.public_id]) + anchor


def signoff_decisions_to_give(stakeholders: list[Stakeholder]) -> list[WaitingItem]:
    """Open requests the stakeholder must approve or reject, and has not (or whose approval no
    longer counts because the phase changed since)."""
    mine = {s.pk: s for s in stakeholders if s.is_approver}
    if not mine:
        return []
    engagements = _by_pk(s.engagement for s in stakeholders)
    items = []
    for entry in _open_requests(engagements, only_for=set(mine)):
        request = entry.request
        waiting_on_me = [a for a in entry.pending if a.pk in mine]
        if not waiting_on_me:
            continue
        approved = len(entry.approvers) - len(entry.pending)
        detail = ""
        if len(entry.approvers) > 1:
            detail = f"{approved} of {len(entry.approvers)} approvers have approved."
        if entry.changes:
            detail = f"It changed after you were asked: review what changed, then decide. {detail}"
        items.append(
            WaitingItem(
                kind="signoff",
                title=f"Sign off {request.get_phase_display()}",
                engagement=request.engagement,
                url=_portal_phase_url(
                    request.engagement,
                    request.phase,
                    "#signoff-heading" if entry.changes else "#decide",
                ),
                action="Review and decide",
                phase=request.phase,
                due=request.due_date,
                since=request.created_at,
                since_label="asked",
                detail=detail,
                changes=tuple(entry.changes),
            )
        )
    return items


def _days(since: datetime) -> str:
    days = (timezone.now() - since).days
    return "today" if days < 1 else "1 day" if days == 1 else f"{days} days"


def signoffs_awaiting_the_client(engagements: list[Engagement]) -> list[WaitingItem]:
    """Open requests with who has not decided and for how long."""
    items = []
    for entry in _open_requests(_by_pk(engagements)):
        request = entry.request
        names = ", ".join(a.name for a in entry.pending)
        waited = _days(request.created_at)
        items.append(
            WaitingItem(
                kind="approvals",
                title=f"Waiting on {names}" if names else "Every approver has approved",
                engagement=request.engagement,
                url=_workspace_phase_url(request.engagement, request.phase, "#gate-heading"),
                action="See the sign-off",
                phase=request.phase,
                due=request.due_date,
                since=request.created_at,
                since_label="requested",
                detail=(f"Requested {waited} ago" if waited != "today" else "Requested today")
                + f" · {len(entry.approvers) - len(entry.pending)} of {len(entry.approvers)} "
                "approved"
                + (
                    " · changed since the request: approvers must review again"
                    if entry.changes
                    else ""
                ),
            )
        )
    return items


def _readiness_items(
    engagements: list[Engagement], *, every_phase: bool
) -> tuple[list[WaitingItem], int]:
    """Failing readiness checks of the phases being worked on (in progress, no open request):
    the current phase, and with `every_phase` also an earlier phase reopened. Checked for at
    most READINESS_LIMIT engagements, those longest in their phase first; returns the items and
    how many engagements were left unchecked."""
    states = {
        (state.engagement_id, state.phase): state.status
        for state in PhaseState.objects.filter(engagement__in=engagements)
    }
    order = list(Phase)
    to_check: list[tuple[Engagement, str]] = []
    for engagement in sorted(engagements, key=lambda e: (e.phase_entered_at, e.pk)):
        current = order.index(Phase(engagement.current_phase))
        for phase in order[: current + 1]:
            is_current = phase.value == engagement.current_phase
            status = states.get((engagement.pk, phase.value), PhaseStatus.IN_PROGRESS)
            if status != PhaseStatus.IN_PROGRESS or not registry.is_available(phase):
                continue
            # An earlier phase without a state row was never gated here: skip it.
            if is_current or (every_phase and (engagement.pk, phase.value) in states):
                to_check.append((engagement, phase.value))
    checked = to_check if every_phase else to_check[:READINESS_LIMIT]
    unchecked = len({e.pk for e, _ in to_check[len(checked) :]})
    items = []
    for engagement, checked_phase in checked:
        checks = registry.registered_spec(checked_phase).readiness(engagement)
        failing = [check for check in checks if check.blocks]
        if not failing:
            continue
        items.append(
            WaitingItem(
                kind="readiness",
                title=f"{len(failing)} of {len(checks)} readiness "
                f"check{'s' if len(checks) != 1 else ''} to finish",
                engagement=engagement,
                url=_workspace_phase_url(engagement, checked_phase, "#gate-heading"),
                action="Work on the phase",
                phase=checked_phase,
                since=engagement.phase_entered_at
                if checked_phase == engagement.current_phase
                else None,
                since_label="in this phase since",
                lines=tuple(check.todo for check in failing),
            )
        )
    return items, unchecked


def _readiness_placeholder(engagements: list[Engagement]) -> list[WaitingItem]:
    # Readiness is computed by waiting_for_staff itself: it alone knows the page's bound.
    return []


KINDS = (
    registry.WaitingKind(
        "signoff", "Sign-off decisions", registry.CLIENT, signoff_decisions_to_give
    ),
    registry.WaitingKind(
        "readiness", "Readiness to finish", registry.STAFF, _readiness_placeholder
    ),
    registry.WaitingKind(
        "approvals", "Sign-offs awaiting the client", registry.STAFF, signoffs_awaiting_the_client
    ),
)
"""The gate's own kinds, registered by EngagementsConfig.ready before any phase app's."""
