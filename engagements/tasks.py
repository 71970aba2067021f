import logging

from celery import shared_task

from engagements.beat import each_engagement
from engagements.models import Engagement, Firm, RequestStatus
from engagements.services import digest, documents, email_deliver, reminders
from engagements.tenancy import tenant_scope

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_email(outbound_email_id: int, firm_id: int) -> None:
    firm = Firm.objects.get(pk=firm_id)
    with tenant_scope(firm):
        email_deliver(outbound_email_id=outbound_email_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_signoff_reminders() -> None:
    """Every 15 minutes (Celery beat): remind, tell overdue and escalate the approvers of every
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_daily_digests() -> None:
    """Every morning (Celery beat): each person who chose the daily digest gets one email of
    what waits on them. Firm by firm, so one firm's failure never stops the others."""
    # Cross-tenant on purpose: beat has no firm; each firm's digests are sent in its own scope.
    for firm in Firm.objects.order_by("pk"):
        with tenant_scope(firm):
            try:
                digest.digests_send(firm=firm)
            except Exception:
                logger.exception(
                    "Daily digests of firm %s failed; tomorrow's run tries again", firm.pk
                )


# --- documents (engagements.registry.DocumentKind) ---------------------------------------------


def _kind(slug: str):
    from engagements import registry

    kind = registry.document_kind(slug)
    if kind is None:
        raise LookupError(f"No document kind {slug!r} is registered.")
    return kind


@shared_task
def render_document(kind: str, version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant retries once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.document_render(kind=_kind(kind), version_id=version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def deliver_document(kind: str, version_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.document_deliver(kind=_kind(kind), version_id=version_id)
