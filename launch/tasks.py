from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from engagements.beat import each_engagement
from engagements.models import Firm
from engagements.tenancy import tenant_scope
from launch import selectors, services
from launch.workbench import services as workbench


@shared_task
def send_due_communications() -> None:
    """Every minute (Celery beat): send planned launch emails whose time has come, engagement
    by engagement, so one whose mail fails does not hold back the others."""
    now = timezone.now()
    each_engagement(
        lambda: selectors.engagements_with_due_communications(now=now),
        lambda engagement: services.communications_send_due(engagement=engagement, now=now),
        "Launch communications",
    )


@shared_task
def escalate_incidents() -> None:
    """Every minute (Celery beat): escalate incidents past their response-time target,
    engagement by engagement."""
    now = timezone.now()
    each_engagement(
        selectors.engagements_with_open_incidents,
        lambda engagement: services.incidents_escalate(engagement=engagement, now=now),
        "Incident escalation",
    )


# --- the data-migration workbench -------------------------------------------------------------
# Late acknowledgement: a worker killed mid-run leaves the message unacknowledged, and a worker
# picks it up again after the broker's visibility timeout. The services guard on state (a
# finished run or an existing dataset is left alone), so a repeat is harmless. Database errors a
# retry may fix are retried with backoff; when the retries are used up (or anything else escapes
# the service) `on_failure` has the service record it, so the page never shows a dead job
# running. Problems in the data end the job in the service, with the reason shown on the page.
# (A killed worker does not call on_failure: its message is delivered again instead.)


WORKBENCH_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 6,
}


def _source_gave_up(task, exc, task_id, args, kwargs, einfo) -> None:
    upload_id, firm_id = args
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.source_give_up(upload_id=upload_id, error=exc)


def _run_gave_up(task, exc, task_id, args, kwargs, einfo) -> None:
    run_id, firm_id = args
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.run_give_up(run_id=run_id, error=exc)


@shared_task(**WORKBENCH_TASK, on_failure=_source_gave_up)
def migration_inspect_source(upload_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.source_inspect(upload_id=upload_id)


@shared_task(**WORKBENCH_TASK, on_failure=_run_gave_up)
def migration_run(run_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.run_execute(run_id=run_id)
