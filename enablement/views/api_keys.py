"""Workspace pages of the firm's API keys: list and create (the key shown once), revoke after
a confirmation."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from enablement.forms.adoption import ApiKeyForm
from enablement.models import ApiKey
from enablement.services import api_keys as services
from engagements.access import workspace_view
from engagements.pages import refusal_on

PAGE_SIZE = 20


@workspace_view
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The firm's keys, newest first, and the form to create one. A created key is shown on
    the answer to that POST only: it is not stored, so it cannot be shown again."""
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            _, new_key = services.api_key_create(
                firm=request.membership.firm, actor=request.user, **form.cleaned_data
            )
            form = ApiKeyForm()
    keys = ApiKey.objects.select_related("created_by", "revoked_by").order_by(
        "revoked_at", "-created_at", "-id"
    )
    context = {
        "form": form,
        "new_key": new_key,
        "page": Paginator(keys, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    status = 400 if form.is_bound and form.errors else 200
    response = render(request, "enablement/api_keys.html", context, status=status)
    if new_key:
        # The secret is in this page only: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@workspace_view
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, api_key_id) -> HttpResponse:
    """GET asks to confirm; POST revokes. Integrations using the key stop at once."""
    key = get_object_or_404(ApiKey.objects, public_id=api_key_id)
    if request.method == "POST":
        services.api_key_revoke(api_key=key, actor=request.user)
        messages.success(request, f"“{key.name}” is revoked: requests with it are refused.")
        return redirect("api_keys")
    return render(request, "enablement/api_key_revoke.html", {"key": key})
