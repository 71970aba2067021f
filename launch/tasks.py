from django.utils import timezone

from engagements.beat import each_engagement
from engagements.models import Firm
from engagements.taskpolicy import waypoint_task
from engagements.tenancy import tenant_scope
from launch import selectors, services
from launch.workbench import services as workbench


@waypoint_task
def send_due_communications() -> None:
    """Every minute (Celery beat): send planned launch emails whose time has come, engagement
    by engagement, so one whose mail fails does not hold back the others."""
    now = timezone.now()
    each_engagement(
        lambda: selectors.engagements_with_due_communications(now=now),
        lambda engagement: services.communications_send_due(engagement=engagement, now=now),
        "Launch communications",
    )


@waypoint_task
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
# On the shared task policy: late acknowledgement (a worker killed mid-run leaves the message
# unacknowledged; the job watchdog re-queues the run once its heartbeat is stale), database
# errors a retry may fix retried with backoff after closing the connection, and the job failed
# when the task gives up. `on_failure` then has the service record it its own way (the run's
# staging files removed, the upload refused), so the page never shows a dead job running. The
# services guard on state (a finished run or an existing dataset is left alone), so a repeat is
# harmless. Problems in the data end the job in the service, with the reason shown on the page.


def _source_gave_up(task, exc, task_id, args, kwargs, einfo) -> None:
    upload_id, firm_id = args
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.source_give_up(upload_id=upload_id, error=exc)


def _run_gave_up(task, exc, task_id, args, kwargs, einfo) -> None:
    run_id, firm_id = args
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.run_give_up(run_id=run_id, error=exc)


@waypoint_task(on_failure=_source_gave_up)
def migration_inspect_source(upload_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.source_inspect(upload_id=upload_id)


@waypoint_task(on_failure=_run_gave_up)
def migration_run(run_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        workbench.run_execute(run_id=run_id)
