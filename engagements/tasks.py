"""Celery tasks of the engagements app: thin, on the shared policy (engagements.taskpolicy)."""

from engagements.models import Firm
from engagements.services import email_deliver
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
