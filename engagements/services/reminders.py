"""Chasing open sign-off requests: a reminder before the due date, an overdue notice after it,
and an escalation some days later still, each to each approver who has not decided.

Every notice is one outbox row whose dedupe key names the request, the approver and the kind, so
it goes out once however often the beat job runs, and however many beat processes run at once:
the second writer of the same key meets the unique constraint and sends nothing. Only open
requests are chased; a decided (approved or rejected) request is never chased again, and a
stale one is chased as the same request, since its approvers must still decide on it.

An escalation goes to the engagement's lead consultant and to the client's sponsors: the
approvers in the leadership role other than the late approver.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from engagements.models import (
    ActivityKind,
    Engagement,
    GateSettings,
    RequestStatus,
    SignoffRequest,
    Stakeholder,
    StakeholderRole,
)
from engagements.services import activity_record, email_queue
from engagements.services import signoffs as gates


class NoticeKind:
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class Notice:
    kind: str
    request: SignoffRequest
    approver: Stakeholder
    due: date
    today: date


def notices_due(*, request: SignoffRequest, rules: GateSettings, today: date) -> list[Notice]:
    """The notices `request` calls for today, for each approver who has not decided on it."""
    due = request.due_date
    if request.status != RequestStatus.OPEN or due is None:
        return []
    kinds = _kinds_due(request, due, rules, today)
    if not kinds:
        return []
    _, digest = gates.live_snapshot(engagement=request.engagement, phase=request.phase)
    late = gates.undecided_approvers(request=request, digest=digest)
    return [Notice(kind, request, approver, due, today) for kind in kinds for approver in late]


def _kinds_due(request: SignoffRequest, due: date, rules: GateSettings, today: date) -> list[str]:
    kinds = []
    reminder_from = due - timedelta(days=rules.reminder_days_before)
    # A request made inside the reminder window was just announced: no reminder on top of it.
    asked_before_window = timezone.localdate(request.created_at) < reminder_from
    if rules.reminder_enabled and reminder_from <= today <= due and asked_before_window:
        kinds.append(NoticeKind.REMINDER)
    if rules.overdue_enabled and today > due:
        kinds.append(NoticeKind.OVERDUE)
    if rules.escalation_enabled and today >= due + timedelta(days=rules.escalation_days_after_due):
        kinds.append(NoticeKind.ESCALATION)
    return kinds


def signoff_reminders_send(*, engagement: Engagement, today: date | None = None) -> int:
    """Write and queue every notice the engagement's open requests call for today, once each.
    Returns how many were new. Safe to run again and concurrently."""
    today = today or timezone.localdate()
    rules = gates.gate_settings_get(firm=engagement.firm)
    requests = SignoffRequest.objects.filter(
        engagement=engagement, status=RequestStatus.OPEN, due_date__isnull=False
    ).select_related("engagement__lead_consultant", "requested_by")
    sent = 0
    for request in requests:
        for notice in notices_due(request=request, rules=rules, today=today):
            sent += _send(notice)
    return sent


def _send(notice: Notice) -> int:
    if notice.kind == NoticeKind.ESCALATION:
        return sum(
            _queue(notice, to=email, name=name, link=link, template="escalated")
            for email, name, link in _escalation_recipients(notice)
        )
    user = notice.approver.user
    if user is not None and user.wants_daily_digest:
        return 0  # the daily digest lists it instead
    return _queue(
        notice,
        to=notice.approver.email,
        name=notice.approver.name,
        link=gates.portal_link(notice.request),
        template=notice.kind,
    )


def _escalation_recipients(notice: Notice) -> list[tuple[str, str, str]]:
    """(email, name, link): the lead consultant to the workspace, sponsors to the portal."""
    request = notice.request
    recipients: dict[str, tuple[str, str]] = {}
    lead = request.engagement.lead_consultant or request.requested_by
    if lead is not None:
        recipients[lead.email] = (lead.get_short_name(), gates.workspace_link(request))
    sponsors = Stakeholder.objects.filter(
        engagement=request.engagement, is_approver=True, role=StakeholderRole.LEADERSHIP
    ).exclude(pk=notice.approver.pk)
    for sponsor in sponsors:
        recipients.setdefault(sponsor.email, (sponsor.name, gates.portal_link(request)))
    return sorted((email, name, link) for email, (name, link) in recipients.items())


def _queue(notice: Notice, *, to: str, name: str, link: str, template: str) -> int:
    request = notice.request
    key = f"chase:{notice.kind}:{request.public_id}:{notice.approver.public_id}"
    if notice.kind == NoticeKind.ESCALATION:
        key += f":{to}"
    # The timeline line commits with the email's row, so it is written once, as the email is.
    with transaction.atomic():
        _, created = email_queue(
            firm=request.firm,
            dedupe_key=key,
            to=to,
            template=f"emails/signoff_{template}",
            context={
                **gates.signoff_email_context(request),
                "approver": notice.approver,
                "recipient_name": name,
                "link": link,
                "days_late": (notice.today - notice.due).days,
            },
        )
        if created:
            _record(notice, to)
    return int(created)


def _record(notice: Notice, to: str) -> None:
    request = notice.request
    what = {
        NoticeKind.REMINDER: f"Reminded {notice.approver.name}",
        NoticeKind.OVERDUE: f"Told {notice.approver.name} the decision is overdue",
        NoticeKind.ESCALATION: f"Escalated {notice.approver.name}'s late decision to {to}",
    }[notice.kind]
    activity_record(
        engagement=request.engagement,
        actor=None,
        kind=ActivityKind.SIGNOFF_CHASED,
        message=f"{what}: sign-off of {request.get_phase_display()}, due {notice.due:%-d %b %Y}.",
        visible_to_client=False,
    )
