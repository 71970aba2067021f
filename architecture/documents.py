"""The architecture blueprint PDF: its versions (rendered in the background, v1, v2, …), their
sends by email, and the pages that request, follow, download and send them.

The pipeline itself is shared with the diagnostic report (`engagements.services.documents`);
the functions at the top bind it to the blueprint, and the views below call only those.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from architecture.models import BlueprintVersion
from diagnostics.forms import SendReportForm
from engagements.access import portal_view, workspace_view
from engagements.models import Engagement, OutboundEmail, Stakeholder, User
from engagements.pages import document_download, engagement_or_404
from engagements.phases import Phase
from engagements.portal import portal_engagement_or_404
from engagements.services import documents

ARCHITECTURE = Phase.ARCHITECTURE
FOLDER = "blueprints"
EMAIL_TEMPLATE = "emails/blueprint"

# --- the pipeline, bound to the blueprint -----------------------------------------------------


def blueprint_delivery_prefix(version: BlueprintVersion) -> str:
    return f"blueprint:{version.public_id}:"


def blueprint_version_request(*, engagement: Engagement, actor: User) -> BlueprintVersion:
    """Queue a new version (v1, v2, …) for rendering after this transaction commits."""
    from architecture.tasks import render_blueprint

    return documents.document_request(
        model=BlueprintVersion, engagement=engagement, phase=ARCHITECTURE, actor=actor,
        kind="architecture_blueprint", task=render_blueprint,
    )  # fmt: skip


def blueprint_version_retry(*, version: BlueprintVersion) -> BlueprintVersion:
    from architecture.tasks import render_blueprint

    return documents.document_retry(version=version, task=render_blueprint)


def blueprint_version_render(*, version_id: int) -> BlueprintVersion:
    """Render one version to PDF and store it. Safe to run again: a stored version is kept."""
    from architecture.blueprint import render_blueprint_pdf

    version = BlueprintVersion.objects.select_related("engagement", "job").get(pk=version_id)
    return documents.document_render(
        version=version,
        render_pdf=lambda engagement, number, progress: render_blueprint_pdf(
            engagement, version_number=number, progress=progress
        ),
        folder=FOLDER,
    )


def blueprint_version_send(
    *, version: BlueprintVersion, actor: User, recipients: list[Stakeholder]
) -> list[OutboundEmail]:
    """Write one delivery record per recipient now and send them in the background; nobody
    receives the same version twice."""
    from architecture.tasks import deliver_blueprint

    return documents.document_send(
        version=version,
        phase=ARCHITECTURE,
        actor=actor,
        recipients=recipients,
        template=EMAIL_TEMPLATE,
        link=settings.SITE_URL
        + reverse("portal_architecture", args=[version.engagement.public_id]),
        prefix=blueprint_delivery_prefix(version),
        deliver_task=deliver_blueprint,
    )


def blueprint_version_deliver(*, version_id: int) -> None:
    version = BlueprintVersion.objects.select_related("engagement").get(pk=version_id)
    documents.document_deliver(version=version, prefix=blueprint_delivery_prefix(version))


def shared_blueprint_versions(*, engagement: Engagement) -> list[BlueprintVersion]:
    """Rendered versions sent to at least one stakeholder, newest first: what the client may
    download in the portal (two queries)."""
    return documents.sent_versions(
        BlueprintVersion.objects.filter(engagement=engagement), blueprint_delivery_prefix
    )


# --- workspace ------------------------------------------------------------------------------


class SendBlueprintForm(SendReportForm):
    """The stakeholders to send a version to; by default the approvers, who sign it off."""

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, engagement=engagement, **kwargs)
        if not self.is_bound:
            self.initial["recipients"] = [
                s.pk for s in self.fields["recipients"].queryset if s.is_approver
            ]


def blueprint_versions_context(engagement: Engagement) -> dict:
    """What `architecture/_blueprint_versions.html` needs on the blueprint page: every version
    with its deliveries, newest first, and the form to send the newest (three queries)."""
    versions = list(
        BlueprintVersion.objects.filter(engagement=engagement).select_related("job", "requested_by")
    )
    return {
        "blueprint_versions": documents.with_deliveries(versions, blueprint_delivery_prefix),
        "blueprint_send_form": SendBlueprintForm(engagement=engagement, prefix="send"),
    }


def _version(engagement: Engagement, version_id) -> BlueprintVersion:
    return get_object_or_404(
        BlueprintVersion.objects.select_related("job", "requested_by"),
        engagement=engagement,
        public_id=version_id,
    )


@workspace_view
@require_POST
def blueprint_render(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = blueprint_version_request(engagement=engagement, actor=request.user)
    messages.success(request, f"Rendering blueprint v{version.number}…")
    return redirect("blueprint", engagement.public_id)


@workspace_view
@require_POST
def blueprint_retry(request: HttpRequest, public_id, version_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = _version(engagement, version_id)
    blueprint_version_retry(version=version)
    messages.success(request, f"Rendering blueprint v{version.number} again…")
    return redirect("blueprint", engagement.public_id)


@workspace_view
@require_GET
def blueprint_progress(request: HttpRequest, public_id, version_id) -> HttpResponse:
    """The version fragment htmx polls while it renders."""
    engagement = engagement_or_404(public_id)
    (version,) = documents.with_deliveries(
        [_version(engagement, version_id)], blueprint_delivery_prefix
    )
    context = {"engagement": engagement, "version": version}
    return render(request, "architecture/_blueprint_versions.html#version", context)


@workspace_view
@require_GET
def blueprint_download(request: HttpRequest, public_id, version_id) -> FileResponse:
    engagement = engagement_or_404(public_id)
    return document_download(_version(engagement, version_id))


@workspace_view
@require_POST
def blueprint_send(request: HttpRequest, public_id, version_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = _version(engagement, version_id)
    form = SendBlueprintForm(request.POST, engagement=engagement, prefix="send")
    # The form has one checkbox list, so its only error is said in a message above the page.
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect("blueprint", engagement.public_id)
    rows = blueprint_version_send(
        version=version, actor=request.user, recipients=list(form.cleaned_data["recipients"])
    )
    messages.success(
        request,
        f"Blueprint v{version.number} is on its way to {len(rows)} "
        f"{'person' if len(rows) == 1 else 'people'}.",
    )
    return redirect("blueprint", engagement.public_id)


# --- portal ---------------------------------------------------------------------------------


@portal_view
@require_GET
def portal_blueprint_download(request: HttpRequest, public_id, version_id) -> FileResponse:
    """A client stakeholder downloads a version that was sent to someone; drafts stay hidden."""
    engagement = portal_engagement_or_404(request, public_id)
    for version in shared_blueprint_versions(engagement=engagement):
        if str(version.public_id) == str(version_id):
            return document_download(version)
    raise Http404
