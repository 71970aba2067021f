"""Celery tasks of Phase 6: thin — they take ids and the firm id, set the tenant scope and call
a service."""

import logging

from enablement.services import alerts as adoption_alerts
from enablement.services import metrics as adoption_metrics
from engagements.beat import each_engagement
from engagements.models import Engagement, Firm
from engagements.taskpolicy import waypoint_task
from engagements.tenancy import tenant_scope

logger = logging.getLogger(__name__)


# --- adoption (beat jobs and the on-demand recompute) -------------------------------------------


@waypoint_task
def compute_adoption_metrics() -> None:
    """Every 15 minutes (Celery beat): recompute the weeks that received usage events, per
    engagement, then its alerts if it is still tracking adoption. Safe to run twice: a week
    is recomputed from scratch and an alert opens (and is emailed) once."""

    def compute(engagement: Engagement) -> None:
        adoption_metrics.metrics_compute(engagement=engagement)
        adoption_alerts.alerts_evaluate(engagement=engagement)  # nothing if no longer tracking

    each_engagement(adoption_metrics.engagements_to_compute, compute, "Adoption metrics")


@waypoint_task
def evaluate_adoption_alerts() -> None:
    """Every hour (Celery beat): open and close alerts of every engagement still tracking
    adoption with metrics, so a week that ends without new events still counts (its silent
    week is filled first), and recoveries close alerts."""

    def engagements() -> list[Engagement]:
        waiting = adoption_metrics.engagements_to_compute()
        tracked = adoption_metrics.engagements_tracked()
        return list({e.pk: e for e in [*waiting, *tracked]}.values())

    def evaluate(engagement: Engagement) -> None:
        adoption_metrics.metrics_compute(engagement=engagement)
        adoption_alerts.alerts_evaluate(engagement=engagement)  # nothing if no longer tracking

    each_engagement(engagements, evaluate, "Adoption alerts")


@waypoint_task
def recompute_adoption(engagement_id: int, firm_id: int, job_id: int) -> None:
    """A consultant's "recompute now": the engagement's waiting weeks, then its alerts."""
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        adoption_metrics.metrics_recompute_job(engagement_id=engagement_id, job_id=job_id)
