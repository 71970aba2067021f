from celery import shared_task

from engagements.models import Firm
from engagements.tenancy import tenant_scope
from launch import documents, services


@shared_task
def send_due_communications() -> None:
    """Every minute (Celery beat): send planned launch emails whose time has come, per firm."""
    # Cross-tenant on purpose: beat has no firm; each firm's work runs inside its own scope.
    for firm in Firm.objects.all():
        with tenant_scope(firm):
            services.communications_send_due()


@shared_task
def escalate_incidents() -> None:
    """Every minute (Celery beat): escalate incidents past their response-time target."""
    for firm in Firm.objects.all():
        with tenant_scope(firm):
            services.incidents_escalate()


@shared_task
def render_launch_plan(version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant renders again once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.launch_plan_version_render(version_id=version_id)
