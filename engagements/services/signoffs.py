"""Phase gates: requesting sign-off, deciding, going stale, reopening and advancing.

The client's approval of the last phase is the handoff: once every phase is signed off (none
reopened or awaiting re-confirmation), it closes the engagement at once, with no consultant step
after it; while an earlier phase is reopened, the approval that completes the set closes it.
Reopening any phase of a closed engagement makes it active again in its last phase.

Every gate write locks the engagement row first. Decisions and artifact edits therefore run one
at a time per engagement: two approvers deciding at once, or a consultant editing while an
approver approves, can neither lose nor double-count a decision.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from engagements import registry
from engagements.errors import ApplicationError
from engagements.models import (
    ActivityKind,
    Decision,
    Engagement,
    EngagementStatus,
    Firm,
    GateSettings,
    PhaseState,
    PhaseStatus,
    RequestStatus,
    SignoffDecision,
    SignoffRequest,
    Stakeholder,
    User,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.services import activity_record, email_queue, stakeholder_invite
from engagements.snapshots import snapshot_diff, snapshot_digest

LAST_PHASE = WORKING_PHASES[-1]


def _locked(engagement: Engagement) -> Engagement:
    return Engagement.objects.select_for_update().select_related("client").get(pk=engagement.pk)


def phase_state(*, engagement: Engagement, phase: str) -> PhaseState:
    state, _ = PhaseState.objects.get_or_create(
        engagement=engagement, phase=phase, defaults={"firm": engagement.firm}
    )
    return state


def phase_state_peek(*, engagement: Engagement, phase: str) -> PhaseState:
    """The phase's state for reading: an unsaved in-progress one when none is stored yet."""
    state = PhaseState.objects.filter(engagement=engagement, phase=phase).first()
    return state or PhaseState(firm=engagement.firm, engagement=engagement, phase=phase)


def phase_is_open(*, engagement: Engagement, phase: str) -> bool:
    """A phase opens once the engagement has reached it (the earlier ones are signed off)."""
    order = list(Phase)
    return order.index(Phase(phase)) <= order.index(Phase(engagement.current_phase))


def _spec(phase: str) -> registry.PhaseSpec:
    spec = registry.spec_for(phase)
    if spec is None:
        raise ApplicationError(f"{Phase(phase).label} is not available yet.")
    return spec


def live_snapshot(*, engagement: Engagement, phase: str) -> tuple[dict, str]:
    snapshot = _spec(phase).snapshot(engagement)
    return snapshot, snapshot_digest(snapshot)


def open_request(*, engagement: Engagement, phase: str) -> SignoffRequest | None:
    return SignoffRequest.objects.filter(
        engagement=engagement, phase=phase, status=RequestStatus.OPEN
    ).first()


# --- editing -----------------------------------------------------------------------------------


@contextmanager
def phase_edit(*, engagement: Engagement, phase: str, actor: User) -> Iterator[Engagement]:
    """Wrap every write to a phase's artifacts: locks the engagement, refuses a signed-off phase,
    and afterwards marks an open sign-off request stale when the artifacts no longer match it."""
    with transaction.atomic():
        locked = _locked(engagement)
        if not phase_is_open(engagement=locked, phase=phase):
            raise ApplicationError(
                f"{Phase(phase).label} has not started yet: the client signs off the earlier "
                "phases first."
            )
        if phase_state_peek(engagement=locked, phase=phase).status == PhaseStatus.SIGNED_OFF:
            raise ApplicationError(
                f"{Phase(phase).label} is signed off and read-only. "
                "Reopen it with a reason to change it."
            )
        yield locked
        signoff_refresh_staleness(engagement=locked, actor=actor)


def signoff_refresh_staleness(*, engagement: Engagement, actor: User | None) -> None:
    """After any edit: flag each open request whose artifacts changed, and tell its approvers."""
    for request in SignoffRequest.objects.filter(engagement=engagement, status=RequestStatus.OPEN):
        _, digest = live_snapshot(engagement=engagement, phase=request.phase)
        is_stale = digest != request.digest
        if is_stale == request.is_stale:
            continue
        request.is_stale = is_stale
        request.save(update_fields=["is_stale", "updated_at"])
        if is_stale:
            _announce_stale(request, actor, digest)


def _announce_stale(request: SignoffRequest, actor: User | None, digest: str) -> None:
    engagement = request.engagement
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.SIGNOFF_STALE,
        message=f"{request.get_phase_display()} changed after sign-off was requested; "
        "approvers must review the changes.",
    )
    for approver in _approvers(request):
        _email(
            request,
            key=f"stale:{digest}:{approver.public_id}",
            to=approver.email,
            template="emails/signoff_stale",
            link=portal_link(request),
            recipient_name=approver.name,
        )


# --- due dates ---------------------------------------------------------------------------------


def gate_settings_get(*, firm: Firm) -> GateSettings:
    """The firm's chasing rules; the defaults until the firm has changed them."""
    return GateSettings.objects.filter(firm=firm).first() or GateSettings(firm=firm)


@transaction.atomic
def gate_settings_update(*, firm: Firm, actor: User, **changes) -> GateSettings:
    settings_row = GateSettings.objects.select_for_update().filter(firm=firm).first()
    settings_row = settings_row or GateSettings(firm=firm)
    for field, value in changes.items():
        setattr(settings_row, field, value)
    try:
        settings_row.full_clean(exclude=["firm"])
    except ValidationError as invalid:
        field, errors = next(iter(invalid.message_dict.items()))
        label = GateSettings._meta.get_field(field).verbose_name
        raise ApplicationError(f"{label.capitalize()}: {errors[0]}", field=field) from None
    settings_row.save()
    return settings_row


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def signoff_default_due_date(*, firm: Firm, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return add_business_days(today, gate_settings_get(firm=firm).due_business_days)


def _check_due_date(due_date: date) -> None:
    if due_date < timezone.localdate():
        raise ApplicationError(
            "The due date is in the past: choose today or a later day.", field="due_date"
        )
    if due_date > timezone.localdate() + timedelta(days=365):
        raise ApplicationError("The due date is more than a year away.", field="due_date")


# --- requesting --------------------------------------------------------------------------------


@transaction.atomic
def signoff_request_create(
    *, engagement: Engagement, phase: str, actor: User, due_date: date | None = None
) -> SignoffRequest:
    engagement = _locked(engagement)
    spec = _spec(phase)
    state = phase_state(engagement=engagement, phase=phase)
    _check_requestable(engagement, phase, state)
    failing = [check.todo for check in spec.readiness(engagement) if check.blocks]
    if failing:
        raise ApplicationError("Not ready for sign-off: " + " ".join(failing))
    if due_date is None:
        due_date = signoff_default_due_date(firm=engagement.firm)
    _check_due_date(due_date)
    approvers = list(Stakeholder.objects.filter(engagement=engagement, is_approver=True))
    snapshot = spec.snapshot(engagement)
    request = SignoffRequest.objects.create(
        firm=engagement.firm,
        engagement=engagement,
        phase=phase,
        requested_by=actor,
        snapshot=snapshot,
        digest=snapshot_digest(snapshot),
        approver_ids=[approver.pk for approver in approvers],
        due_date=due_date,
        is_reconfirmation=state.needs_reconfirmation,
    )
    state.status = PhaseStatus.AWAITING_SIGNOFF
    state.save(update_fields=["status", "updated_at"])
    verb = "re-confirmation" if request.is_reconfirmation else "sign-off"
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.SIGNOFF_REQUESTED,
        message=f"{actor} requested {verb} of {request.get_phase_display()} from "
        f"{', '.join(a.name for a in approvers)}, due {request.due_date:%-d %b %Y}.",
    )
    for approver in approvers:
        if approver.user_id is None:
            stakeholder_invite(stakeholder=approver, actor=actor)
        _email(
            request,
            key=f"requested:{request.public_id}:{approver.public_id}",
            to=approver.email,
            template="emails/signoff_requested",
            link=portal_link(request),
            recipient_name=approver.name,
            needs_account=approver.user_id is None,
        )
    return request


def _check_requestable(engagement: Engagement, phase: str, state: PhaseState) -> None:
    if engagement.current_phase == Phase.CLOSED:
        raise ApplicationError("This engagement is closed.")
    if not phase_is_open(engagement=engagement, phase=phase):
        raise ApplicationError(f"{Phase(phase).label} has not started yet.")
    if state.status == PhaseStatus.AWAITING_SIGNOFF:
        raise ApplicationError(f"{Phase(phase).label} is already waiting for sign-off.")
    if state.status == PhaseStatus.SIGNED_OFF and not state.needs_reconfirmation:
        raise ApplicationError(f"{Phase(phase).label} is already signed off.")


# --- deciding ----------------------------------------------------------------------------------


@transaction.atomic
def signoff_decide(
    *,
    request: SignoffRequest,
    stakeholder: Stakeholder,
    decision: str,
    reviewed_digest: str,
    typed_name: str = "",
    comment: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> SignoffRequest:
    engagement = _locked(request.engagement)
    request = SignoffRequest.objects.select_related("engagement").get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise ApplicationError("This sign-off request is already closed; nothing was recorded.")
    if stakeholder.pk not in request.approver_ids or not stakeholder.is_approver:
        raise ApplicationError("You are not an approver of this sign-off request.")
    snapshot, digest = live_snapshot(engagement=engagement, phase=request.phase)
    if reviewed_digest != digest:
        raise ApplicationError(
            "The phase changed while you were reviewing it. The changes are shown on this page: "
            "review them, then decide again."
        )
    _validate_decision(stakeholder, decision, typed_name, comment)
    SignoffDecision.objects.create(
        firm=engagement.firm,
        request=request,
        stakeholder=stakeholder,
        user=stakeholder.user,
        decision=decision,
        typed_name=typed_name.strip(),
        comment=comment.strip(),
        reviewed_digest=digest,
        ip_address=ip_address,
        user_agent=user_agent[:500],
    )
    if decision == Decision.REJECT:
        _reject(request, stakeholder, comment.strip())
    else:
        _record_approval(request, stakeholder, snapshot, digest)
    return request


def _validate_decision(
    stakeholder: Stakeholder, decision: str, typed_name: str, comment: str
) -> None:
    if decision == Decision.REJECT:
        if not comment.strip():
            raise ApplicationError(
                "Say why you reject it, so the consultant can fix it.", field="comment"
            )
        return
    if decision != Decision.APPROVE:
        raise ApplicationError("Choose to approve or to reject.")
    expected = {
        " ".join(name.split()).casefold()
        for name in (stakeholder.name, stakeholder.user.full_name)
        if name
    }
    if " ".join(typed_name.split()).casefold() not in expected:
        raise ApplicationError(
            f"To approve, type your full name exactly as “{stakeholder.name}”.", field="typed_name"
        )


def _reject(request: SignoffRequest, stakeholder: Stakeholder, reason: str) -> None:
    request.status = RequestStatus.REJECTED
    request.rejection_reason = reason
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "rejection_reason", "closed_at", "updated_at"])
    # Back to work, also after a refused re-confirmation: the phase must be fixed and asked again.
    state = phase_state(engagement=request.engagement, phase=request.phase)
    state.status = PhaseStatus.IN_PROGRESS
    state.needs_reconfirmation = False
    state.save(update_fields=["status", "needs_reconfirmation", "updated_at"])
    activity_record(
        engagement=request.engagement,
        actor=stakeholder.user,
        kind=ActivityKind.SIGNOFF_REJECTED,
        message=f"{stakeholder.name} rejected {request.get_phase_display()}: {reason}",
    )
    for user in _consultants_to_tell(request):
        _email(
            request,
            key=f"rejected:{request.public_id}:{user.pk}",
            to=user.email,
            template="emails/signoff_rejected",
            link=workspace_link(request),
            recipient_name=user.get_short_name(),
            approver=stakeholder,
            reason=reason,
        )


def _record_approval(
    request: SignoffRequest, stakeholder: Stakeholder, snapshot: dict, digest: str
) -> None:
    activity_record(
        engagement=request.engagement,
        actor=stakeholder.user,
        kind=ActivityKind.SIGNOFF_APPROVED,
        message=f"{stakeholder.name} approved {request.get_phase_display()}.",
    )
    if undecided_approvers(request=request, digest=digest):
        return
    request.status = RequestStatus.APPROVED
    request.closed_at = timezone.now()
    request.approved_digest = digest
    request.approved_snapshot = snapshot if digest != request.digest else None
    request.is_stale = False
    request.save()
    state = phase_state(engagement=request.engagement, phase=request.phase)
    state.status = PhaseStatus.SIGNED_OFF
    state.signed_off_at = request.closed_at
    state.needs_reconfirmation = False
    state.save(update_fields=["status", "signed_off_at", "needs_reconfirmation", "updated_at"])
    activity_record(
        engagement=request.engagement,
        actor=None,
        kind=ActivityKind.PHASE_SIGNED_OFF,
        message=f"{request.get_phase_display()} is signed off by every approver.",
    )
    if request.engagement.current_phase == LAST_PHASE and _every_phase_signed_off(
        request.engagement
    ):
        _engagement_close(request.engagement)
    consultants = [
        (u.email, u.get_short_name(), workspace_link(request))
        for u in _consultants_to_tell(request)
    ]
    approvers = [(a.email, a.name, portal_link(request)) for a in _approvers(request)]
    for email, name, link in consultants + approvers:
        _email(
            request,
            key=f"approved:{request.public_id}:{email}",
            to=email,
            template="emails/signoff_approved",
            link=link,
            recipient_name=name,
        )


def _every_phase_signed_off(engagement: Engagement) -> bool:
    """Every working phase signed off, none waiting for its approvers to re-confirm it."""
    confirmed = PhaseState.objects.filter(
        engagement=engagement, status=PhaseStatus.SIGNED_OFF, needs_reconfirmation=False
    ).values_list("phase", flat=True)
    return {phase.value for phase in WORKING_PHASES} <= set(confirmed)


def undecided_approvers(*, request: SignoffRequest, digest: str) -> list[Stakeholder]:
    """Required approvers whose latest decision is not an approval of exactly this content."""
    latest: dict[int, SignoffDecision] = {}
    for decision in request.decisions.order_by("created_at", "id"):
        latest[decision.stakeholder_id] = decision
    return [
        approver
        for approver in _approvers(request)
        if approver.pk not in latest
        or latest[approver.pk].decision != Decision.APPROVE
        or latest[approver.pk].reviewed_digest != digest
    ]


def approval_progress(*, request: SignoffRequest) -> list[dict]:
    """Each required approver with whether their approval counts for the content as it is now."""
    _, digest = live_snapshot(engagement=request.engagement, phase=request.phase)
    missing = {approver.pk for approver in undecided_approvers(request=request, digest=digest)}
    return [{"stakeholder": a, "approved": a.pk not in missing} for a in _approvers(request)]


def _approvers(request: SignoffRequest) -> list[Stakeholder]:
    # Approvers removed since the request, or no longer approvers, are no longer required.
    return list(
        Stakeholder.objects.filter(pk__in=request.approver_ids, is_approver=True).select_related(
            "user"
        )
    )


def _consultants_to_tell(request: SignoffRequest) -> list[User]:
    users = {request.engagement.lead_consultant, request.requested_by} - {None}
    return sorted(users, key=lambda user: user.email)


# --- reopening and advancing -------------------------------------------------------------------


@transaction.atomic
def phase_reopen(*, engagement: Engagement, phase: str, actor: User, reason: str) -> PhaseState:
    engagement = _locked(engagement)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the phase is reopened.", field="reason")
    state = phase_state(engagement=engagement, phase=phase)
    if state.status != PhaseStatus.SIGNED_OFF:
        raise ApplicationError(
            f"{Phase(phase).label} is not signed off, so there is nothing to reopen."
        )
    state.status = PhaseStatus.IN_PROGRESS
    state.needs_reconfirmation = False
    state.save(update_fields=["status", "needs_reconfirmation", "updated_at"])
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.PHASE_REOPENED,
        message=f"{actor} reopened {Phase(phase).label}: {reason}",
    )
    if engagement.current_phase == Phase.CLOSED:
        engagement.current_phase = LAST_PHASE
        engagement.status = EngagementStatus.ACTIVE
        engagement.phase_entered_at = timezone.now()
        engagement.save(update_fields=["current_phase", "status", "phase_entered_at", "updated_at"])
    later = list(WORKING_PHASES)[list(WORKING_PHASES).index(Phase(phase)) + 1 :]
    flagged = PhaseState.objects.filter(
        engagement=engagement, phase__in=later, status=PhaseStatus.SIGNED_OFF
    )
    for later_state in flagged:
        later_state.needs_reconfirmation = True
        later_state.save(update_fields=["needs_reconfirmation", "updated_at"])
        activity_record(
            engagement=engagement,
            actor=actor,
            kind=ActivityKind.PHASE_NEEDS_RECONFIRMATION,
            message=f"{later_state.get_phase_display()} must be re-confirmed by its approvers.",
        )
    return state


@transaction.atomic
def engagement_advance(*, engagement: Engagement, actor: User) -> Engagement:
    engagement = _locked(engagement)
    if engagement.current_phase == Phase.CLOSED:
        raise ApplicationError("This engagement is already closed.")
    order = list(Phase)
    current = Phase(engagement.current_phase)
    signed = set(
        PhaseState.objects.filter(engagement=engagement, status=PhaseStatus.SIGNED_OFF).values_list(
            "phase", flat=True
        )
    )
    not_signed = [p.label for p in order[: order.index(current) + 1] if p.value not in signed]
    if not_signed:
        raise ApplicationError(
            f"{', '.join(not_signed)} must be signed off by the client "
            "before the engagement moves on."
        )
    if order[order.index(current) + 1] == Phase.CLOSED:
        return _engagement_close(engagement, actor=actor)
    engagement.current_phase = order[order.index(current) + 1]
    engagement.phase_entered_at = timezone.now()
    engagement.save(update_fields=["current_phase", "phase_entered_at", "updated_at"])
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.PHASE_ADVANCED,
        message=f"{actor} moved the engagement on to {engagement.get_current_phase_display()}.",
    )
    return engagement


def _engagement_close(engagement: Engagement, *, actor: User | None = None) -> Engagement:
    engagement.current_phase = Phase.CLOSED
    engagement.status = EngagementStatus.COMPLETED
    engagement.phase_entered_at = timezone.now()
    engagement.save(update_fields=["current_phase", "status", "phase_entered_at", "updated_at"])
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.PHASE_ADVANCED,
        message=f"{LAST_PHASE.label} is signed off: the engagement is closed.",
    )
    return engagement


# --- email -------------------------------------------------------------------------------------


def portal_link(request: SignoffRequest) -> str:
    spec = _spec(request.phase)
    return settings.SITE_URL + reverse(spec.portal_url_name, args=[request.engagement.public_id])


def workspace_link(request: SignoffRequest) -> str:
    spec = _spec(request.phase)
    return settings.SITE_URL + reverse(spec.workspace_url_name, args=[request.engagement.public_id])


def signoff_email_context(request: SignoffRequest) -> dict:
    """What every email about a request shows: the phase, the engagement, the due date, what
    the snapshot holds, and what changed since the phase's previous request."""
    sections = [
        {"name": section.replace("_", " "), "count": len(items)}
        for section, items in request.snapshot.items()
        if isinstance(items, list) and items
    ]
    previous = (
        SignoffRequest.objects.filter(
            engagement=request.engagement, phase=request.phase, created_at__lt=request.created_at
        )
        .order_by("-created_at", "-id")
        .first()
    )
    changes = snapshot_diff(previous.snapshot, request.snapshot) if previous else []
    return {
        "request": request,
        "engagement": request.engagement,
        "phase": request.get_phase_display(),
        "summary": {
            "sections": sections,
            "changes": changes,
            "since": f"the request of {previous.created_at:%-d %b %Y}" if previous else "",
        },
    }


def _email(
    request: SignoffRequest, *, key: str, to: str, template: str, link: str, **context
) -> None:
    email_queue(
        firm=request.firm,
        dedupe_key=key,
        to=to,
        template=template,
        context={**signoff_email_context(request), "link": link, **context},
    )
