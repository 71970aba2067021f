"""Celery tasks of the engagements app: thin, on the shared policy (engagements.taskpolicy)."""

from engagements.beat import each_engagement, each_firm
from engagements.models import Engagement, Firm, RequestStatus
from engagements.services import digest, documents, email_deliver, reminders
from engagements.services.jobs import jobs_watchdog as _jobs_watchdog
from engagements.services.outbox import outbox_sweep as _outbox_sweep
from engagements.taskpolicy import waypoint_task
from engagements.tenancy import tenant_scope


@waypoint_task
def deliver_email(outbound_email_id: int, firm_id: int) -> None:
    # SMTP failures are not retried here: the row records them (retrying, with the next
    # attempt's time) and the outbox sweeper runs the next attempt, hours of them if need be.
    firm = Firm.objects.get(pk=firm_id)
    with tenant_scope(firm):
        email_deliver(outbound_email_id=outbound_email_id)


@waypoint_task
def jobs_watchdog() -> None:
    """Every JOB_WATCHDOG_SECONDS (Celery beat): re-queue or fail jobs whose worker was lost."""
    _jobs_watchdog()


@waypoint_task
def outbox_sweep() -> None:
    """Every OUTBOX_SWEEP_SECONDS (Celery beat): queue emails left queued, due to retry, or left
    "sending" by a worker that died."""
    _outbox_sweep()


@waypoint_task
def send_signoff_reminders() -> None:
    """Every 5 minutes (Celery beat): remind, tell overdue and escalate the approvers of every
    open sign-off request who have not decided. Each notice goes out once, so running again,
    or in two beat processes at once, sends nothing more."""
    each_engagement(
        lambda: Engagement.objects.filter(
            signoff_requests__status=RequestStatus.OPEN,
            signoff_requests__due_date__isnull=False,
        ).distinct(),
        lambda engagement: reminders.signoff_reminders_send(engagement=engagement),
        "Sign-off reminders",
    )


@waypoint_task
def send_daily_digests() -> None:
    """Every morning (Celery beat): each person who chose the daily digest gets one email of
    what waits on them. Firm by firm, so one firm's failure never stops the others."""
    each_firm(lambda firm: digest.digests_send(firm=firm), "Daily digests")


# --- documents (engagements.registry.DocumentKind) ---------------------------------------------


def _kind(slug: str):
    from engagements import registry

    kind = registry.document_kind(slug)
    if kind is None:
        raise LookupError(f"No document kind {slug!r} is registered.")
    return kind


@waypoint_task
def render_document(kind: str, version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant retries once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.document_render(kind=_kind(kind), version_id=version_id)


@waypoint_task
def deliver_document(kind: str, version_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.document_deliver(kind=_kind(kind), version_id=version_id)
