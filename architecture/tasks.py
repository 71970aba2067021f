from celery import shared_task

from architecture import documents
from engagements.models import Firm
from engagements.tenancy import tenant_scope


@shared_task
def render_blueprint(version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant retries once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.blueprint_version_render(version_id=version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def deliver_blueprint(version_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.blueprint_version_deliver(version_id=version_id)
