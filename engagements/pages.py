"""Helpers every workspace page shares: finding the engagement, showing a refused rule on its
form, and the context of a phase page (its gate panel)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from engagements import selectors
from engagements.errors import ApplicationError
from engagements.forms import ReopenForm
from engagements.models import DocumentVersion, Engagement


def engagement_or_404(public_id) -> Engagement:
    """The active firm's engagement, or 404 (also for another firm's: existence never leaks)."""
    return get_object_or_404(
        Engagement.objects.select_related("client", "lead_consultant"), public_id=public_id
    )


def show_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Put a service's refusal on the field it names, or on the form as a whole."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


@contextmanager
def refusal_on(form: forms.Form) -> Iterator[None]:
    """Run a form's action; a service's refusal lands on the form (see `show_error`) instead
    of leaving the view, so the page is shown again with what was typed and the reason:

        if form.is_valid():
            with refusal_on(form):
                services.thing_create(...)
                return redirect(...)
        return render(request, "page.html", {"form": form}, status=400)

    Refusals outside a form go to `RefusalMiddleware`, which shows them on the page the user
    acted from."""
    try:
        yield
    except ApplicationError as error:
        show_error(form, error)


def phase_page(engagement: Engagement, phase: str, section: str) -> dict:
    """What every page of a phase shows around its content: the gate panel and its forms."""
    return {
        "engagement": engagement,
        "gate": selectors.gate_overview(engagement=engagement, phase=phase),
        "section": section,
        "reopen_form": ReopenForm(),
    }


def document_download(version: DocumentVersion) -> FileResponse:
    """A rendered PDF version as a download; 404 while it is not rendered."""
    if not version.is_ready:
        raise Http404
    return FileResponse(
        default_storage.open(version.file, "rb"),
        as_attachment=True,
        filename=version.filename,
        content_type="application/pdf",
    )
