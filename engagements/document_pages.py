"""The pages every document kind shares (`engagements.registry.DocumentKind`): request a
render, follow its progress, retry it, download it, send it, and in the portal download what
was sent. A phase page shows a kind's versions by including documents/_versions.html with the
context of `document_section`."""

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from engagements import registry
from engagements.access import portal_view, workspace_view
from engagements.forms import SendDocumentForm
from engagements.models import Engagement, User
from engagements.pages import document_download, engagement_or_404
from engagements.portal import portal_engagement_or_404
from engagements.registry import DocumentKind
from engagements.services import documents

VERSION_FRAGMENT = "documents/_versions.html#version"


@dataclass
class DocumentSection:
    """One kind's versions on its phase page: newest first, with their deliveries, and the
    form to send the newest."""

    kind: DocumentKind
    versions: list[Any]
    send_form: SendDocumentForm

    @property
    def latest(self) -> Any | None:
        return self.versions[0] if self.versions else None


def document_section(
    slug: str, engagement: Engagement, *, send_form: SendDocumentForm | None = None
) -> DocumentSection:
    """What documents/_versions.html needs for one kind (three queries)."""
    kind = _kind_or_404(slug)
    return DocumentSection(
        kind=kind,
        versions=documents.document_version_list(kind=kind, engagement=engagement),
        send_form=send_form or SendDocumentForm(engagement=engagement, kind=kind),
    )


def _actor(request: HttpRequest) -> User:
    # workspace_view lets only signed-in staff this far.
    return cast(User, request.user)


def _kind_or_404(slug: str) -> DocumentKind:
    kind = registry.document_kind(slug)
    if kind is None:
        raise Http404
    return kind


def _version(kind: DocumentKind, engagement: Engagement, version_id) -> Any:
    return get_object_or_404(
        kind.model.objects.select_related("job", "requested_by"),
        engagement=engagement,
        public_id=version_id,
    )


def _back(kind: DocumentKind, engagement: Engagement) -> HttpResponse:
    url = reverse(kind.page_url_name, args=[engagement.public_id])
    return redirect(f"{url}#{kind.anchor}" if kind.anchor else url)


@workspace_view
@require_POST
def document_render(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    engagement, document = engagement_or_404(public_id), _kind_or_404(kind)
    version = documents.document_request(
        kind=document, engagement=engagement, actor=_actor(request)
    )
    messages.success(request, f"Rendering {document.noun} v{version.number}…")
    return _back(document, engagement)


@workspace_view
@require_POST
def document_retry(request: HttpRequest, public_id, kind: str, version_id) -> HttpResponse:
    engagement, document = engagement_or_404(public_id), _kind_or_404(kind)
    version = _version(document, engagement, version_id)
    documents.document_retry(kind=document, version=version)
    messages.success(request, f"Rendering {document.noun} v{version.number} again…")
    return _back(document, engagement)


@workspace_view
@require_GET
def document_progress(request: HttpRequest, public_id, kind: str, version_id) -> HttpResponse:
    """The version fragment htmx polls while it renders."""
    engagement, document = engagement_or_404(public_id), _kind_or_404(kind)
    (version,) = documents.with_deliveries(document, [_version(document, engagement, version_id)])
    context = {"engagement": engagement, "kind": document, "version": version}
    return render(request, VERSION_FRAGMENT, context)


@workspace_view
@require_GET
def document_version_download(
    request: HttpRequest, public_id, kind: str, version_id
) -> FileResponse:
    engagement, document = engagement_or_404(public_id), _kind_or_404(kind)
    return document_download(_version(document, engagement, version_id))


@workspace_view
@require_POST
def document_send(request: HttpRequest, public_id, kind: str, version_id) -> HttpResponse:
    engagement, document = engagement_or_404(public_id), _kind_or_404(kind)
    version = _version(document, engagement, version_id)
    form = SendDocumentForm(request.POST, engagement=engagement, kind=document)
    # The form has one checkbox list, so its only error is said in a message above the page.
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return _back(document, engagement)
    rows = documents.document_send(
        kind=document,
        version=version,
        actor=_actor(request),
        recipients=list(form.cleaned_data["recipients"]),
    )
    people = "person" if len(rows) == 1 else "people"
    messages.success(
        request,
        f"{document.label} v{version.number} is on its way to {len(rows)} {people}.",
    )
    return _back(document, engagement)


@portal_view
@require_GET
def portal_document_download(
    request: HttpRequest, public_id, kind: str, version_id
) -> FileResponse:
    """A client stakeholder downloads a version that was sent to someone; drafts stay hidden."""
    engagement, document = portal_engagement_or_404(request, public_id), _kind_or_404(kind)
    if not document.in_portal:
        raise Http404
    for version in documents.document_shared_list(kind=document, engagement=engagement):
        if str(version.public_id) == str(version_id):
            return document_download(version)
    raise Http404
