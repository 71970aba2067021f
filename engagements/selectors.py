"""Reads shared by pages and the API. Every query here runs under the active firm's scope."""

from django.db.models import Count, Q, QuerySet

from engagements.models import (
    ActivityEvent,
    Client,
    Engagement,
    Invitation,
    Membership,
    PhaseStatus,
    RequestStatus,
    Role,
    SignoffRequest,
    Stakeholder,
    User,
)


def engagement_list(*, client: Client | None = None, phase: str | None = None) -> QuerySet:
    engagements = Engagement.objects.select_related("client", "lead_consultant").annotate(
        stakeholder_count=Count("stakeholders", distinct=True)
    )
    if client is not None:
        engagements = engagements.filter(client=client)
    if phase:
        engagements = engagements.filter(current_phase=phase)
    return engagements.order_by("-created_at", "-id")


def client_list() -> QuerySet:
    return Client.objects.annotate(engagement_count=Count("engagements")).order_by("name", "id")


def stakeholder_list(*, engagement: Engagement) -> QuerySet:
    return Stakeholder.objects.filter(engagement=engagement).order_by("name", "id")


def activity_list(*, engagement: Engagement, client_view: bool = False) -> QuerySet:
    events = ActivityEvent.objects.filter(engagement=engagement).select_related("actor")
    if client_view:
        events = events.filter(visible_to_client=True)
    return events.order_by("-created_at", "-id")


def consultant_choices() -> QuerySet:
    """Users who may lead an engagement: the firm's owners and consultants."""
    member_ids = Membership.objects.filter(role__in=[Role.OWNER, Role.CONSULTANT]).values("user_id")
    return User.objects.filter(pk__in=member_ids).order_by("full_name", "email")


def team_list() -> QuerySet:
    return (
        Membership.objects.filter(role__in=[Role.OWNER, Role.CONSULTANT])
        .select_related("user")
        .order_by("role", "user__full_name")
    )


def pending_invitation_list(*, role: str) -> QuerySet:
    return Invitation.objects.filter(role=role, accepted_at__isnull=True).order_by("-created_at")


def portal_engagement_list(*, membership: Membership) -> QuerySet:
    """Engagements of the client user's own client on which they are a portal stakeholder."""
    return (
        Engagement.objects.filter(
            client_id=membership.client_id,
            stakeholders__user_id=membership.user_id,
            stakeholders__has_portal_access=True,
        )
        .select_related("client", "lead_consultant")
        .distinct()
        .order_by("-created_at", "-id")
    )


def portal_stakeholder_for(*, membership: Membership, engagement: Engagement) -> Stakeholder:
    return Stakeholder.objects.get(
        Q(engagement=engagement) & Q(user_id=membership.user_id) & Q(has_portal_access=True)
    )


# --- gates -------------------------------------------------------------------------------------


def gate_overview(*, engagement: Engagement, phase: str) -> dict:
    """Everything a gate panel shows: state, readiness, the open request and its approvals, the
    last rejection, and what changed since the snapshot when the request went stale."""
    from engagements import registry
    from engagements.services import signoffs
    from engagements.snapshots import snapshot_diff

    spec = registry.spec_for(phase)
    state = signoffs.phase_state_peek(engagement=engagement, phase=phase)
    request = signoffs.open_request(engagement=engagement, phase=phase)
    live, digest = signoffs.live_snapshot(engagement=engagement, phase=phase)
    last_closed = (
        SignoffRequest.objects.filter(engagement=engagement, phase=phase)
        .exclude(status=RequestStatus.OPEN)
        .first()
    )
    checks = spec.readiness(engagement)
    return {
        "phase": phase,
        "state": state,
        "checks": checks,
        "is_ready": not any(check.blocks for check in checks),
        "request": request,
        "progress": signoffs.approval_progress(request=request) if request else [],
        "changes": snapshot_diff(request.snapshot, live) if request and request.is_stale else [],
        "live_digest": digest,
        "last_closed": last_closed,
        "is_open": signoffs.phase_is_open(engagement=engagement, phase=phase),
        "editable": state.status != PhaseStatus.SIGNED_OFF
        and signoffs.phase_is_open(engagement=engagement, phase=phase),
        "can_advance": engagement.current_phase == phase and state.status == PhaseStatus.SIGNED_OFF,
        "default_due_date": signoffs.signoff_default_due_date(firm=engagement.firm),
    }


def signoff_decisions(*, request: SignoffRequest) -> QuerySet:
    return request.decisions.select_related("stakeholder").order_by("created_at", "id")
