"""Every write of Phase 5 (launch), and the two periodic jobs: sending planned communications
and escalating incidents that miss their response-time target."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, User
from engagements.phases import Phase
from engagements.services import email_deliver, email_write
from engagements.services.signoffs import phase_edit
from launch.models import (
    DEFAULT_RESPONSE_MINUTES,
    Channel,
    Communication,
    Escalation,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    LaunchPlan,
    PilotFeedback,
    RunbookStep,
    Wave,
    WaveDecision,
    WaveStatus,
)

LAUNCH = Phase.LAUNCH


def plan_for(*, engagement: Engagement) -> LaunchPlan | None:
    return LaunchPlan.objects.filter(engagement=engagement).first()


def plan_update(*, engagement: Engagement, actor: User, **fields) -> LaunchPlan:
    start, end = fields.get("cutover_start"), fields.get("cutover_end")
    if start and end and end <= start:
        raise ApplicationError("The cutover window must end after it starts.", field="cutover_end")
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        plan, _ = LaunchPlan.objects.get_or_create(
            engagement=locked, defaults={"firm": locked.firm}
        )
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.save()
    return plan


def item_save(*, engagement: Engagement, actor: User, model, item=None, **fields):
    """Add or edit a runbook step, communication, monitoring check or rollback step."""
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        if item is None:
            item = model(firm=locked.firm, engagement=locked)
            if hasattr(item, "position"):
                item.position = model.objects.filter(engagement=locked).count()
        for key, value in fields.items():
            setattr(item, key, value)
        item.save()
    return item


def item_delete(*, item, actor: User) -> None:
    with phase_edit(engagement=item.engagement, phase=LAUNCH, actor=actor):
        item.delete()


def runbook_tick(*, step: RunbookStep, actor: User, done: bool) -> RunbookStep:
    """Tick a cutover step off live (or untick it): who did it and when is kept."""
    with phase_edit(engagement=step.engagement, phase=LAUNCH, actor=actor):
        step.done_at = timezone.now() if done else None
        step.done_by = actor if done else None
        step.save(update_fields=["done_at", "done_by", "updated_at"])
    return step


# --- waves ------------------------------------------------------------------------------------


def wave_save(
    *,
    engagement: Engagement,
    actor: User,
    members: list[Stakeholder],
    wave: Wave | None = None,
    **fields,
) -> Wave:
    if fields["planned_end"] < fields["planned_start"]:
        raise ApplicationError("A wave cannot end before it starts.", field="planned_end")
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        if any(m.engagement_id != locked.pk for m in members):
            raise ApplicationError("Wave members must be stakeholders of this engagement.")
        if wave is None:
            wave = Wave(
                firm=locked.firm,
                engagement=locked,
                position=Wave.objects.filter(engagement=locked).count(),
            )
        for key, value in fields.items():
            setattr(wave, key, value)
        wave.save()
        wave.members.set(members, through_defaults={"firm": locked.firm})
    return wave


def wave_decide(*, wave: Wave, actor: User, decision: str, reason: str) -> Wave:
    """Record go or no-go. A wave can only get its go once the previous wave had its go."""
    if not reason.strip():
        raise ApplicationError("Say why: the decision is recorded with its reason.", field="reason")
    if decision not in ("go", "no_go"):
        raise ApplicationError("Decide go or no-go.")
    with phase_edit(engagement=wave.engagement, phase=LAUNCH, actor=actor):
        if decision == "go":
            previous = (
                Wave.objects.filter(engagement=wave.engagement, position__lt=wave.position)
                .exclude(status=WaveStatus.CANCELLED)
                .order_by("-position")
                .first()
            )
            if previous is not None and previous.status not in (WaveStatus.GO, WaveStatus.LIVE):
                raise ApplicationError(
                    f"{wave.name} cannot start before {previous.name} has its go decision."
                )
        WaveDecision.objects.create(
            firm=wave.firm, wave=wave, decision=decision, decided_by=actor, reason=reason.strip()
        )
        wave.status = WaveStatus.GO if decision == "go" else WaveStatus.NO_GO
        wave.save(update_fields=["status", "updated_at"])
    return wave


def pilot_feedback_add(*, wave: Wave, actor: User, **fields) -> PilotFeedback:
    """Capture what the pilot group said, with the fix it is linked to."""
    with phase_edit(engagement=wave.engagement, phase=LAUNCH, actor=actor):
        return PilotFeedback.objects.create(firm=wave.firm, wave=wave, **fields)


def wave_set_status(*, wave: Wave, actor: User, status: str) -> Wave:
    """Mark a wave live (after its go) or cancelled (consciously)."""
    with phase_edit(engagement=wave.engagement, phase=LAUNCH, actor=actor):
        if status == WaveStatus.LIVE and wave.status != WaveStatus.GO:
            raise ApplicationError("A wave goes live only after its go decision.")
        if status not in (WaveStatus.LIVE, WaveStatus.CANCELLED):
            raise ApplicationError("A wave can be marked live or cancelled.")
        wave.status = status
        wave.save(update_fields=["status", "updated_at"])
    return wave


# --- hypercare --------------------------------------------------------------------------------


def incident_report(*, engagement: Engagement, reporter: User, **fields) -> Incident:
    """Anyone on the engagement reports an incident: consultants, or client users in the portal.
    Reporting is allowed whatever the gate's state: problems do not wait for paperwork."""
    return Incident.objects.create(
        firm=engagement.firm, engagement=engagement, reported_by=reporter, **fields
    )


def incident_update(
    *, incident: Incident, actor: User, status: str, assignee: User | None = None
) -> Incident:
    now = timezone.now()
    if status not in IncidentStatus.values:
        raise ApplicationError("Unknown status.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        incident.assignee = assignee if assignee is not None else incident.assignee
        if status != IncidentStatus.OPEN and incident.first_response_at is None:
            incident.first_response_at = now
        incident.status = status
        incident.resolved_at = now if status == IncidentStatus.RESOLVED else None
        incident.save()
    return incident


def response_minutes(*, engagement: Engagement, severity: str) -> int:
    policy = EscalationPolicy.objects.filter(engagement=engagement, severity=severity).first()
    return policy.response_minutes if policy else DEFAULT_RESPONSE_MINUTES[severity]


def incidents_escalate(*, engagement: Engagement | None = None, now=None) -> int:
    """Escalate every open incident (of `engagement`, else of the firm in scope) past its
    response-time target, one level per missed target; each level is recorded once and
    notified once. Returns how many."""
    now = now or timezone.now()
    count = 0
    policies_of = EscalationPolicy.objects.all()
    incidents = Incident.objects.filter(status=IncidentStatus.OPEN)
    if engagement is not None:
        policies_of = policies_of.filter(engagement=engagement)
        incidents = incidents.filter(engagement=engagement)
    policies = {(p.engagement_id, p.severity): p for p in policies_of}
    for incident in incidents.select_related("engagement"):
        policy = policies.get((incident.engagement_id, incident.severity))
        minutes = policy.response_minutes if policy else DEFAULT_RESPONSE_MINUTES[incident.severity]
        targets = policy.escalate_to if policy else []
        due_level = int((now - incident.created_at) / timedelta(minutes=minutes))
        for level in range(incident.escalation_level + 1, due_level + 1):
            recipient = _escalation_recipient(incident, targets, level)
            if recipient is None:
                break
            with transaction.atomic():
                escalation, created = Escalation.objects.get_or_create(
                    incident=incident,
                    level=level,
                    defaults={"firm": incident.firm, "notified": recipient},
                )
                Incident.objects.filter(pk=incident.pk).update(escalation_level=level)
            # Written and sent idempotently: a run that died after recording the level still
            # notifies, and a repeated run never notifies twice.
            email, _ = email_write(
                firm=incident.firm,
                dedupe_key=f"escalation:{incident.public_id}:{level}",
                to=escalation.notified,
                template="emails/incident_escalated",
                context={"incident": incident, "level": level, "minutes": minutes},
            )
            email_deliver(outbound_email_id=email.pk)
            count += created
    return count


def _escalation_recipient(incident: Incident, targets: list[str], level: int) -> str | None:
    """Level 1 goes to the lead consultant, further levels down the policy's list."""
    chain = [
        e for e in [getattr(incident.engagement.lead_consultant, "email", None), *targets] if e
    ]
    return chain[level - 1] if level - 1 < len(chain) else None


def communications_send_due(*, engagement: Engagement | None = None, now=None) -> int:
    """Send each planned email communication (of `engagement`, else of the firm in scope)
    whose time has come to the stakeholders of its audience roles, once; returns how many
    were sent."""
    now = now or timezone.now()
    sent = 0
    due = Communication.objects.filter(
        channel=Channel.EMAIL, sent_at__isnull=True, send_at__lte=now
    )
    if engagement is not None:
        due = due.filter(engagement=engagement)
    for communication in due:
        audience = Stakeholder.objects.filter(
            engagement_id=communication.engagement_id, role__in=communication.audience_roles
        )
        for stakeholder in audience:
            email, _ = email_write(
                firm=communication.firm,
                dedupe_key=f"communication:{communication.public_id}:{stakeholder.email}",
                to=stakeholder.email,
                template="emails/launch_communication",
                context={"communication": communication, "recipient": stakeholder},
            )
            email_deliver(outbound_email_id=email.pk)
        Communication.objects.filter(pk=communication.pk).update(sent_at=timezone.now())
        sent += 1
    return sent
