from celery import shared_task

from engagements.models import Firm
from engagements.services import email_deliver
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
