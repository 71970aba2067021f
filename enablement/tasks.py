"""Celery tasks of Phase 6: thin — they take ids and the firm id, set the tenant scope and call
a service."""

from celery import shared_task
from django.db import OperationalError

from enablement import documents
from enablement.services import alerts as adoption_alerts
from enablement.services import metrics as adoption_metrics
from engagements.models import Firm
from engagements.tenancy import tenant_scope


@shared_task
def render_handoff_pack(version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant retries once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.handoff_pack_version_render(version_id=version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def deliver_handoff_pack(version_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.handoff_pack_version_deliver(version_id=version_id)


# --- adoption (beat jobs and the on-demand recompute) -------------------------------------------


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def compute_adoption_metrics() -> None:
    """Every 15 minutes (Celery beat): recompute the weeks that received usage events, per
    firm, then the alerts of the engagements whose metrics changed. Safe to run twice: a week
    is recomputed from scratch and an alert opens (and is emailed) once."""
    # Cross-tenant on purpose: beat has no firm; each firm's work runs inside its own scope.
    for firm in Firm.objects.all():
        with tenant_scope(firm):
            for engagement in adoption_metrics.metrics_compute():
                adoption_alerts.alerts_evaluate(engagement=engagement)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def evaluate_adoption_alerts() -> None:
    """Every hour (Celery beat): open and close alerts of every active engagement with metrics,
    so a week that ends without new events still counts, and recoveries close alerts."""
    for firm in Firm.objects.all():
        with tenant_scope(firm):
            adoption_metrics.metrics_compute()
            for engagement in adoption_metrics.engagements_tracked():
                adoption_alerts.alerts_evaluate(engagement=engagement)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recompute_adoption(engagement_id: int, firm_id: int, job_id: int) -> None:
    """A consultant's "recompute now": the engagement's waiting weeks, then its alerts."""
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        adoption_metrics.metrics_recompute_job(engagement_id=engagement_id, job_id=job_id)
