from celery import shared_task

from engagements.models import Firm
from engagements.services import documents, email_deliver
from engagements.tenancy import tenant_scope


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
