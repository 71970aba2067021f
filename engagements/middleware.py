from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRefresh

from engagements.errors import ApplicationError
from engagements.models import Membership
from engagements.tenancy import tenant_scope


class TenantMiddleware:
    """Sets the active firm from the signed-in user's membership for the whole request.

    The scope is reset when the request ends (tenant_scope restores it in `finally`), so it
    can never leak into the next request served by the same thread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = _membership_of(request)
        request.membership = membership  # type: ignore[attr-defined]  # read by access.membership_of
        with tenant_scope(membership.firm if membership else None):
            return self.get_response(request)


def _membership_of(request: HttpRequest) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # Unscoped on purpose: the membership is where the tenant comes from, and it is looked up
    # only by the authenticated user's own id.
    return Membership.unscoped.select_related("firm", "client", "user").filter(user=user).first()


class RefusalMiddleware:
    """The one place a page maps a refused action (`ApplicationError`) to what the user sees.

    A view that lets a service's refusal through gets it here: the message is shown where the
    user acted — the page they posted from (its Referer, when it is ours), or else the
    engagement's page — instead of a server error. An htmx request is told to reload the page,
    which then shows the message. Views with a form keep what was typed by catching the refusal
    on the form instead (`engagements.pages.refusal_on`). The API maps it in
    `engagements.api.problem_exception_handler`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        messages.error(request, exception.message)
        if getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return redirect(where_the_user_acted(request))


def where_the_user_acted(request: HttpRequest) -> str:
    """The page a POST came from when it is one of ours, else the engagement's page (workspace
    or portal), else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    match = request.resolver_match
    public_id = match.kwargs.get("public_id") if match else None
    membership = getattr(request, "membership", None)
    in_portal = membership is not None and membership.client_id is not None
    if public_id is not None:
        return reverse("portal_engagement" if in_portal else "engagement_detail", args=[public_id])
    return reverse("portal_home" if in_portal else "dashboard")
