from architecture import documents
from engagements.models import Firm
from engagements.taskpolicy import waypoint_task
from engagements.tenancy import tenant_scope


@waypoint_task
def render_blueprint(version_id: int, firm_id: int) -> None:
    # Not retried automatically: a render error is usually in the data, so the page shows it
    # and the consultant retries once it is fixed.
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.blueprint_version_render(version_id=version_id)


@waypoint_task
def deliver_blueprint(version_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        documents.blueprint_version_deliver(version_id=version_id)
